"""The request journal as rows: every replica's requests in one journal per tenant.

Writing a row is off the request path: the response is sent, the entry is queued, and a
background thread inserts what gathered every FLUSH_EVERY seconds in one statement. So an
entry reaches other replicas a few milliseconds after its response (a replica reading its own
journal inserts its queue first), and entries still queued when a replica is killed are lost
with it: the journal is a diagnostic, not a record the sandbox promises to keep.
An entry is kept as received (bodies up to journal.BODY_KEEP) and masked and validated when
read, as in memory; a tenant keeps its newest `size` entries. An entry of a tenant deleted
meanwhile is not inserted.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import psycopg

from ..exchange import RecordedRequest, RecordedResponse
from ..journal import JOURNAL_SIZE, Journal, JournalEntry, Journals, RawBodies, Validate, first_matching
from ..store import StoreError
from ..store.pg_sql import json_param
from ..store.postgres import PostgresBackend

log = logging.getLogger(__name__)
FLUSH_EVERY = 0.05  # seconds between two inserts of the queue
TRIM_EVERY = 50  # entries of one tenant between two deletions of its oldest


def _pairs(headers: Any) -> list[tuple[str, str]]:
    return [(str(k), str(v)) for k, v in headers]


class PgJournals(Journals):
    def __init__(self, backend: PostgresBackend, size: int = JOURNAL_SIZE, flush_every: float = FLUSH_EVERY) -> None:
        super().__init__(size)
        self._backend = backend
        self._table = f"{backend.schema}.journal"
        self._tenants = f"{backend.schema}.tenants"
        self._flush_every = flush_every
        self._queue: list[tuple[str, JournalEntry]] = []
        self._queue_lock = threading.Lock()
        self._flush_lock = threading.Lock()  # one insert at a time: entries keep their order
        self._since_trim: dict[str, int] = {}
        self._wake = threading.Event()
        self._closed = False
        # The sandbox sets it once the contracts are mounted: api name -> its validator.
        self.validator_for: Callable[[str], Validate | None] = lambda api: None
        self._thread = threading.Thread(target=self._run, name="journal-writer", daemon=True)
        self._thread.start()

    def of(self, tenant_id: str) -> Journal:
        return _PgJournal(self, tenant_id)

    def drop(self, tenant_id: str) -> None:
        self.flush()
        self._backend.run(lambda c: c.execute(f"DELETE FROM {self._table} WHERE tenant_id = %s", (tenant_id,)))

    def close(self) -> None:
        self._closed = True
        self._wake.set()
        self._thread.join(timeout=5)
        self.flush()

    # -- writing ----------------------------------------------------------------------------
    def enqueue(self, tenant_id: str, entry: JournalEntry) -> None:
        with self._queue_lock:
            self._queue.append((tenant_id, entry))
            if len(self._queue) >= 256:
                self._wake.set()

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(self._flush_every)
            self._wake.clear()
            try:
                self.flush()
            except StoreError as exc:
                log.warning("journal entries lost: %s", exc)

    def flush(self) -> None:
        """Insert every queued entry (and trim the tenants that grew)."""
        with self._flush_lock:
            with self._queue_lock:
                batch, self._queue = self._queue, []
            if not batch:
                return
            rows = [_row(tenant_id, entry) for tenant_id, entry in batch]
            grown: list[str] = []
            for tenant_id, _ in batch:
                count = self._since_trim[tenant_id] = self._since_trim.get(tenant_id, 0) + 1
                if count >= TRIM_EVERY:
                    self._since_trim[tenant_id] = 0
                    grown.append(tenant_id)

            def work(conn: psycopg.Connection) -> None:
                with conn.cursor() as cur:
                    cur.executemany(
                        f"INSERT INTO {self._table} (tenant_id, api, status, entry, request_body, response_body) "
                        f"SELECT %s, %s, %s, %s::jsonb, %s, %s WHERE EXISTS "
                        f"(SELECT 1 FROM {self._tenants} WHERE tenant_id = %s)",
                        rows,
                    )
                for tenant_id in dict.fromkeys(grown):
                    conn.execute(
                        f"DELETE FROM {self._table} WHERE tenant_id = %s AND id < (SELECT min(id) FROM "
                        f"(SELECT id FROM {self._table} WHERE tenant_id = %s ORDER BY id DESC LIMIT %s) AS kept)",
                        (tenant_id, tenant_id, self._size),
                    )

            self._backend.run(work)

    # -- reading ----------------------------------------------------------------------------
    def read(self, tenant_id: str, *, api: str | None, status: int | None) -> list[JournalEntry]:
        self.flush()
        conditions: list[str] = ["tenant_id = %s"]
        params: list[Any] = [tenant_id]
        if api is not None:
            conditions.append("api = %s")
            params.append(api)
        if status is not None:
            conditions.append("status = %s")
            params.append(status)
        rows = self._backend.run(
            lambda c: c.execute(
                f"SELECT id, entry, request_body, response_body FROM {self._table} "
                f"WHERE {' AND '.join(conditions)} ORDER BY id DESC LIMIT %s",
                [*params, self._size],
            ).fetchall()
        )
        return [self._entry(*row) for row in rows]

    def clear_tenant(self, tenant_id: str) -> None:
        self.flush()
        self._backend.run(lambda c: c.execute(f"DELETE FROM {self._table} WHERE tenant_id = %s", (tenant_id,)))

    def _entry(self, entry_id: int, data: dict[str, Any], request_body: bytes, response_body: bytes) -> JournalEntry:
        request_body, response_body = bytes(request_body), bytes(response_body)
        request_headers, response_headers = _pairs(data["request_headers"]), _pairs(data["response_headers"])
        exchange = None
        if data["complete"]:
            exchange = (
                RecordedRequest(data["method"], data["path"], data["raw_query"], tuple(request_headers), request_body),
                RecordedResponse(data["status"], tuple(response_headers), response_body),
            )
        return JournalEntry(
            id=entry_id,
            time=datetime.fromisoformat(data["time"]),
            api=data["api"],
            method=data["method"],
            path=data["path"],
            query=data["query"],
            operation_id=data["operation_id"],
            status=data["status"],
            duration_ms=data["duration_ms"],
            raw=RawBodies(
                request_headers,
                request_body,
                data["request_type"],
                response_headers,
                response_body,
                data["response_type"],
            ),
            warnings=list(data["warnings"]),
            _exchange=exchange,
            _validate=self.validator_for(data["api"]),
        )


def _row(tenant_id: str, entry: JournalEntry) -> tuple[Any, ...]:
    raw = entry.raw or RawBodies([], b"", "", [], b"", "")
    exchange = entry._exchange
    data = {
        "time": entry.time.isoformat(),
        "api": entry.api,
        "method": entry.method,
        "path": entry.path,
        "query": entry.query,
        "raw_query": exchange[0].query if exchange else "",
        "operation_id": entry.operation_id,
        "status": entry.status,
        "duration_ms": entry.duration_ms,
        "warnings": entry.warnings,
        "request_headers": raw.request_headers,
        "request_type": raw.request_type,
        "response_headers": raw.response_headers,
        "response_type": raw.response_type,
        "complete": exchange is not None,
    }
    text = json_param(data)  # U+0000 and lone surrogates, which jsonb cannot hold, as U+FFFD
    return (tenant_id, entry.api, entry.status, text, raw.request_body, raw.response_body, tenant_id)


class _PgJournal(Journal):
    """One tenant's view of the shared journal (the interface of journal.Journal)."""

    def __init__(self, journals: PgJournals, tenant_id: str) -> None:
        self._journals = journals
        self._tenant_id = tenant_id

    def add(self, entry: JournalEntry) -> None:
        self._journals.enqueue(self._tenant_id, entry)

    def clear(self) -> None:
        self._journals.clear_tenant(self._tenant_id)

    def entries(
        self, *, api: str | None = None, status: int | None = None, conforms: bool | None = None, limit: int = 100
    ) -> list[JournalEntry]:
        # The query has filtered by api and status already.
        return first_matching(self._journals.read(self._tenant_id, api=api, status=status), limit, conforms=conforms)
