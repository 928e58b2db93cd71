"""Fault rules as rows, one per rule, in the order they were added.

`pick` runs in one transaction that locks the tenant's rules (`FOR UPDATE`): of two replicas
serving a rule that fires `times: 1`, exactly one injects the fault.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict
from typing import Any

import psycopg

from ..faults import Fault, FaultRule, Faults
from ..store.postgres import PostgresBackend
from ..tenants import request_memo


class PgFaults(Faults):
    def __init__(self, backend: PostgresBackend) -> None:
        super().__init__()
        self._backend = backend
        self._table = f"{backend.schema}.fault_rules"

    def add(self, tenant_id: str, **fields: Any) -> FaultRule:
        _forget_hint(tenant_id)
        rule = FaultRule(id="flt_" + secrets.token_hex(8), **fields)
        self._backend.run(
            lambda c: c.execute(
                f"INSERT INTO {self._table} (tenant_id, id, rule) VALUES (%s, %s, %s::jsonb)",
                (tenant_id, rule.id, json.dumps(asdict(rule))),
            )
        )
        return rule

    def list(self, tenant_id: str) -> list[FaultRule]:
        rows = self._backend.run(
            lambda c: c.execute(
                f"SELECT rule FROM {self._table} WHERE tenant_id = %s ORDER BY seq", (tenant_id,)
            ).fetchall()
        )
        return [FaultRule(**row[0]) for row in rows]

    def remove(self, tenant_id: str, rule_id: str) -> bool:
        _forget_hint(tenant_id)
        return self._backend.run(
            lambda c: (
                c.execute(
                    f"DELETE FROM {self._table} WHERE tenant_id = %s AND id = %s RETURNING 1", (tenant_id, rule_id)
                ).fetchone()
                is not None
            )
        )

    def clear(self, tenant_id: str) -> None:
        _forget_hint(tenant_id)
        self._backend.run(lambda c: c.execute(f"DELETE FROM {self._table} WHERE tenant_id = %s", (tenant_id,)))

    def has_rules(self, tenant_id: str) -> bool:
        memo = request_memo()
        known = memo.get(("faults", tenant_id)) if memo is not None else None
        if known is not None:
            return known  # read with the request's credential, in the same statement
        return self._backend.run(
            lambda c: (
                c.execute(f"SELECT 1 FROM {self._table} WHERE tenant_id = %s LIMIT 1", (tenant_id,)).fetchone()
                is not None
            )
        )

    def pick(self, tenant_id: str, api: str, operation_id: str | None, method: str, path: str) -> Fault | None:
        def work(conn: psycopg.Connection) -> Fault | None:
            with conn.transaction():
                rows = conn.execute(
                    f"SELECT rule FROM {self._table} WHERE tenant_id = %s ORDER BY seq FOR UPDATE", (tenant_id,)
                ).fetchall()
                for (data,) in rows:
                    rule = FaultRule(**data)
                    if not rule.fires(self._rng, api, operation_id, method, path):
                        continue
                    if rule.times is not None and rule.times <= 0:
                        conn.execute(
                            f"DELETE FROM {self._table} WHERE tenant_id = %s AND id = %s", (tenant_id, rule.id)
                        )
                    else:
                        conn.execute(
                            f"UPDATE {self._table} SET rule = %s::jsonb WHERE tenant_id = %s AND id = %s",
                            (json.dumps(asdict(rule)), tenant_id, rule.id),
                        )
                    return Fault(rule.status, rule.latency_ms or 0, rule.drop, rule.empty, rule.id)
            return None

        return self._backend.run(work)


def _forget_hint(tenant_id: str) -> None:
    memo = request_memo()
    if memo is not None:
        memo.pop(("faults", tenant_id), None)
