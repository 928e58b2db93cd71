"""Failed-authentication incidents and the bans they cause, per client IP and scope.

FacturaScripts counts an incident for every refused key and bans the client IP for everyone
once it has 5 incidents younger than 600 s (sliding window). A real installation has one
owner; the sandbox serves many tenants, often from one CI machine, so there the ban would
let one tenant's failures lock every other tenant out. Incidents are therefore counted per
(client IP, scope):

* scope = the tenant whose key the request presented (a disabled key, a key refused by
  `apiaccess`): a valid key of tenant T from IP X is banned iff (X, T) has the incidents;
* scope = UNATTRIBUTED when the key matches no tenant: a request with an unknown key is
  banned iff (X, unattributed) has them.

So an integrator still sees 401 ×5 then 429 with bad keys, and the full ban with their own
disabled or restricted keys, without anyone else being locked out.

A tenant may opt out (`incident_ban: false`, for conformance runs that send bad keys on
purpose): its requests are never banned, and unattributed incidents from the IPs it used in
the last WINDOW seconds are not counted. `lift` forgets a tenant's incidents (control plane
`DELETE …/bans` and reset).

The counters sit behind this small interface (note_use / add / banned / bans / lift) so that a
store shared by several processes can implement it later.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

UNATTRIBUTED = "unattributed"
MAX_INCIDENTS = 5
WINDOW = 600.0  # seconds
SWEEP_EVERY = 1024  # additions between sweeps of expired entries (bounds memory)


@dataclass(frozen=True)
class Ban:
    client_ip: str
    scope: str  # a tenant id, or UNATTRIBUTED
    incidents: int
    until: datetime

    def public(self) -> dict[str, Any]:
        return {
            "client_ip": self.client_ip,
            "scope": self.scope,
            "incidents": self.incidents,
            "until": self.until.isoformat(),
        }


class Incidents:
    def __init__(
        self, limit: int = MAX_INCIDENTS, window: float = WINDOW, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock  # monotonic seconds; tests replace it
        self._times: dict[tuple[str, str], deque[float]] = {}
        self._used: dict[str, dict[str, float]] = {}  # tenant -> client IP -> last request
        self._exempt: dict[str, float] = {}  # client IP -> last request of a tenant never banned
        self._additions = 0
        self._lock = threading.Lock()

    # -- recording --------------------------------------------------------------------------
    def note_use(self, tenant_id: str, ip: str, *, exempt: bool = False) -> None:
        """A request presented one of this tenant's keys from this IP."""
        now = self.clock()
        with self._lock:
            self._used.setdefault(tenant_id, {})[ip] = now
            if exempt:
                self._exempt[ip] = now
            self._count_addition(now)

    def add(self, ip: str, scope: str) -> None:
        now = self.clock()
        with self._lock:
            if scope == UNATTRIBUTED and self._fresh(self._exempt.get(ip), now):
                return
            self._recent((ip, scope), now).append(now)
            self._count_addition(now)

    # -- questions --------------------------------------------------------------------------
    def banned(self, ip: str, scope: str) -> bool:
        with self._lock:
            return len(self._recent((ip, scope), self.clock())) >= self.limit

    def bans(self, tenant_id: str) -> list[Ban]:
        """The tenant's own bans, and the unattributed bans of the IPs it used recently."""
        now = self.clock()
        wall = datetime.now(UTC)
        with self._lock:
            keys = [k for k in self._times if k[1] == tenant_id]
            keys += [(ip, UNATTRIBUTED) for ip in self._recent_ips(tenant_id, now)]
            out = []
            for key in sorted(set(keys)):
                times = self._recent(key, now)
                if len(times) >= self.limit:
                    # Banned until the incident that makes it `limit` leaves the window.
                    ends = times[-self.limit] + self.window
                    out.append(Ban(key[0], key[1], len(times), wall + timedelta(seconds=ends - now)))
            return out

    # -- lifting ----------------------------------------------------------------------------
    def lift(self, tenant_id: str) -> None:
        """Forget the tenant's incidents and the unattributed incidents of the IPs it used."""
        now = self.clock()
        with self._lock:
            for ip in self._recent_ips(tenant_id, now):
                self._times.pop((ip, UNATTRIBUTED), None)
            for key in [k for k in self._times if k[1] == tenant_id]:
                del self._times[key]

    def forget(self, tenant_id: str) -> None:
        """A deleted tenant: its bans lifted, its addresses forgotten."""
        self.lift(tenant_id)
        with self._lock:
            self._used.pop(tenant_id, None)

    def clear(self) -> None:
        with self._lock:
            self._times.clear()
            self._used.clear()
            self._exempt.clear()

    # -- internals (called with the lock held) ----------------------------------------------
    def _fresh(self, seen: float | None, now: float) -> bool:
        return seen is not None and seen > now - self.window

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._times.get(key)
        if times is None:
            times = self._times[key] = deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def _recent_ips(self, tenant_id: str, now: float) -> list[str]:
        return [ip for ip, seen in self._used.get(tenant_id, {}).items() if self._fresh(seen, now)]

    def _count_addition(self, now: float) -> None:
        self._additions += 1
        if self._additions % SWEEP_EVERY == 0:
            self._sweep(now)

    def _sweep(self, now: float) -> None:
        horizon = now - self.window
        for key in [k for k, times in self._times.items() if not times or times[-1] <= horizon]:
            del self._times[key]
        for tenant_id, ips in list(self._used.items()):
            for ip in [ip for ip, seen in ips.items() if seen <= horizon]:
                del ips[ip]
            if not ips:
                del self._used[tenant_id]
        for ip in [ip for ip, seen in self._exempt.items() if seen <= horizon]:
            del self._exempt[ip]
