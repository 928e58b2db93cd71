"""The credential index as a table: `(sha256 primary key, api, tenant, role)`.

Its primary key arbitrates racing claims across replicas (`INSERT … ON CONFLICT DO NOTHING`:
of two replicas claiming one value, exactly one inserts), and one primary-key look-up resolves
a presented secret. A claim is visible to every replica at once and, inside `atomic()`, undone
if the write fails; a release inside `atomic()` takes effect when the write succeeded, as in
the in-process index (credentials.py).
"""

from __future__ import annotations

from typing import Any

from ..credentials import CredentialIndex, Holder, digest
from ..store import pg_sql
from ..store.postgres import PostgresBackend
from ..tenants import request_memo


class PgCredentialIndex(CredentialIndex):
    def __init__(self, backend: PostgresBackend) -> None:
        super().__init__()
        self._backend = backend
        self._table = f"{backend.schema}.credentials"

    def resolve_with_record(self, api: str, value: str) -> tuple[Holder, dict[str, Any] | None] | None:
        """`resolve`, and in the same statement the record of the holder's tenant (None if the
        tenant is gone) and whether it has fault rules (left in the request's memo for
        `PgFaults.has_rules`): a request's authentication is one round trip."""
        s = self._backend.schema
        row = self._backend.run(
            lambda c: c.execute(
                f"SELECT c.api, c.tenant_id, c.role, d.raw, "
                f"EXISTS (SELECT 1 FROM {s}.fault_rules f WHERE f.tenant_id = c.tenant_id) "
                f"FROM {self._table} c LEFT JOIN {s}.documents d ON d.tenant_id = '_system' "
                f"AND d.collection = 'tenants' AND d.key = to_jsonb(c.tenant_id) WHERE c.sha256 = %s",
                (digest(value),),
            ).fetchone()
        )
        if row is None or row[0] != api:
            return None
        holder = Holder(row[0], row[1], row[2])
        memo = request_memo()
        if memo is not None:
            memo[("faults", holder.tenant_id)] = bool(row[4])
        return holder, (pg_sql.decode(row[3]) if row[3] is not None else None)

    def _holder(self, key: str) -> Holder | None:
        row = self._backend.run(
            lambda c: c.execute(f"SELECT api, tenant_id, role FROM {self._table} WHERE sha256 = %s", (key,)).fetchone()
        )
        return Holder(*row) if row else None

    def _take(self, key: str, holder: Holder) -> Holder | None:
        insert = (
            f"INSERT INTO {self._table} (sha256, api, tenant_id, role) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING RETURNING 1"
        )
        for _ in range(3):
            if self._backend.run(
                lambda c: c.execute(insert, (key, holder.api, holder.tenant_id, holder.role)).fetchone()
            ):
                return None
            # Held: by whom, read by a statement of its own (a later snapshot than the insert's,
            # which may predate the holder's commit). Released meanwhile: try again.
            current = self._holder(key)
            if current is not None:
                return current
        return Holder("", "", "")  # released and taken again three times over: call it taken

    def _drop(self, key: str, holder: Holder) -> None:
        self._backend.run(
            lambda c: c.execute(
                f"DELETE FROM {self._table} WHERE sha256 = %s AND api = %s AND tenant_id = %s AND role = %s",
                (key, holder.api, holder.tenant_id, holder.role),
            )
        )

    def _drop_tenant(self, tenant_id: str, kept: set[str]) -> None:
        self._backend.run(
            lambda c: c.execute(
                f"DELETE FROM {self._table} WHERE tenant_id = %s AND NOT (sha256 = ANY(%s))", (tenant_id, sorted(kept))
            )
        )

    def held_by(self, tenant_id: str) -> list[Holder]:
        rows = self._backend.run(
            lambda c: c.execute(
                f"SELECT api, tenant_id, role FROM {self._table} WHERE tenant_id = %s ORDER BY sha256", (tenant_id,)
            ).fetchall()
        )
        return [Holder(*row) for row in rows]
