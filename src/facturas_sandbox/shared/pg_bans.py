"""Failed-authentication incidents and the addresses tenants used, as rows (bans.py's rules).

Every replica counts into the same rows, so five refused keys spread over two replicas ban
as five on one would. Times are epoch seconds from each replica's clock (`time.time`): the
replicas' clocks should agree to well under the 600 s window (NTP does).

A tenant's use of an address is written at most once per NOTE_EVERY seconds per replica (it
is read only as "used in the last 600 s"), unless its exemption changed: so a request does
not pay a write for it. Expired rows are swept every SWEEP_EVERY additions.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psycopg

from ..bans import MAX_INCIDENTS, SWEEP_EVERY, UNATTRIBUTED, WINDOW, Ban, Incidents
from ..store.postgres import PostgresBackend, scalar

NOTE_EVERY = 5.0  # seconds between two writes of one (tenant, address) use by one replica


class PgIncidents(Incidents):
    def __init__(
        self,
        backend: PostgresBackend,
        limit: int = MAX_INCIDENTS,
        window: float = WINDOW,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(limit, window, clock)
        self._backend = backend
        s = backend.schema
        self._incidents = f"{s}.incidents"
        self._use = f"{s}.address_use"
        self._noted: dict[tuple[str, str], tuple[float, bool]] = {}  # what this replica wrote last
        self._noted_lock = threading.Lock()

    # -- recording --------------------------------------------------------------------------
    def note_use(self, tenant_id: str, ip: str, *, exempt: bool = False) -> None:
        now = self.clock()
        with self._noted_lock:
            last = self._noted.get((tenant_id, ip))
            if last is not None and last[1] == exempt and now - last[0] < NOTE_EVERY:
                return
            self._noted[(tenant_id, ip)] = (now, exempt)
        self._backend.run(
            lambda c: c.execute(
                f"INSERT INTO {self._use} (tenant_id, client_ip, seen, exempt) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (tenant_id, client_ip) DO UPDATE SET seen = EXCLUDED.seen, exempt = EXCLUDED.exempt",
                (tenant_id, ip, now, exempt),
            )
        )

    def add(self, ip: str, scope: str) -> None:
        now = self.clock()
        horizon = now - self.window
        self._backend.run(
            lambda c: c.execute(
                f"INSERT INTO {self._incidents} (client_ip, scope, at) SELECT %s, %s, %s "
                f"WHERE %s <> %s OR NOT EXISTS (SELECT 1 FROM {self._use} "
                "WHERE client_ip = %s AND exempt AND seen > %s)",
                (ip, scope, now, scope, UNATTRIBUTED, ip, horizon),
            )
        )
        self._additions += 1
        if self._additions % SWEEP_EVERY == 0:
            self._sweep(now)

    # -- questions --------------------------------------------------------------------------
    def banned(self, ip: str, scope: str) -> bool:
        horizon = self.clock() - self.window
        count = self._backend.run(
            lambda c: scalar(
                c.execute(
                    f"SELECT count(*) FROM (SELECT 1 FROM {self._incidents} "
                    "WHERE client_ip = %s AND scope = %s AND at > %s LIMIT %s) AS recent",
                    (ip, scope, horizon, self.limit),
                )
            )
        )
        return count >= self.limit

    def bans(self, tenant_id: str) -> list[Ban]:
        now = self.clock()
        wall = datetime.now(UTC)
        horizon = now - self.window
        rows = self._backend.run(
            lambda c: c.execute(
                f"SELECT client_ip, scope, array_agg(at ORDER BY at) FROM {self._incidents} "
                f"WHERE at > %s AND (scope = %s OR (scope = %s AND client_ip IN "
                f"(SELECT client_ip FROM {self._use} WHERE tenant_id = %s AND seen > %s))) "
                "GROUP BY client_ip, scope ORDER BY client_ip, scope",
                (horizon, tenant_id, UNATTRIBUTED, tenant_id, horizon),
            ).fetchall()
        )
        out = []
        for ip, scope, times in rows:
            if len(times) >= self.limit:
                ends = times[-self.limit] + self.window
                out.append(Ban(ip, scope, len(times), wall + timedelta(seconds=ends - now)))
        return out

    # -- lifting ----------------------------------------------------------------------------
    def lift(self, tenant_id: str) -> None:
        horizon = self.clock() - self.window
        self._backend.run(
            lambda c: c.execute(
                f"DELETE FROM {self._incidents} WHERE scope = %s OR (scope = %s AND client_ip IN "
                f"(SELECT client_ip FROM {self._use} WHERE tenant_id = %s AND seen > %s))",
                (tenant_id, UNATTRIBUTED, tenant_id, horizon),
            )
        )

    def forget(self, tenant_id: str) -> None:
        self.lift(tenant_id)
        self._backend.run(lambda c: c.execute(f"DELETE FROM {self._use} WHERE tenant_id = %s", (tenant_id,)))
        with self._noted_lock:
            for key in [k for k in self._noted if k[0] == tenant_id]:
                del self._noted[key]

    def clear(self) -> None:
        self._backend.run(lambda c: c.execute(f"DELETE FROM {self._incidents}; DELETE FROM {self._use}"))
        with self._noted_lock:
            self._noted.clear()

    def _sweep(self, now: float) -> None:
        horizon = now - self.window

        def work(conn: psycopg.Connection) -> None:
            conn.execute(f"DELETE FROM {self._incidents} WHERE at <= %s", (horizon,))
            conn.execute(f"DELETE FROM {self._use} WHERE seen <= %s", (horizon,))

        self._backend.run(work)
        with self._noted_lock:
            for key in [k for k, (seen, _) in self._noted.items() if seen <= horizon]:
                del self._noted[key]
