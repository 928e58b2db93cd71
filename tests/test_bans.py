"""The incident ledger: counts per (client IP, scope), bans, lifting, and bounded memory."""

from __future__ import annotations

from datetime import UTC, datetime

from facturas_sandbox.bans import SWEEP_EVERY, UNATTRIBUTED, Incidents


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_five_incidents_of_one_scope_ban_that_scope_only() -> None:
    incidents = Incidents(clock=Clock())
    for _ in range(4):
        incidents.add("192.0.2.1", "t1")
    assert not incidents.banned("192.0.2.1", "t1")
    incidents.add("192.0.2.1", "t1")
    assert incidents.banned("192.0.2.1", "t1")
    assert not incidents.banned("192.0.2.1", "t2")
    assert not incidents.banned("192.0.2.1", UNATTRIBUTED)
    assert not incidents.banned("192.0.2.2", "t1")


def test_bans_list_the_tenants_own_and_the_unattributed_ones_of_its_addresses() -> None:
    clock = Clock()
    incidents = Incidents(clock=clock)
    incidents.note_use("t1", "192.0.2.1")
    for _ in range(6):
        incidents.add("192.0.2.1", "t1")
        incidents.add("192.0.2.1", UNATTRIBUTED)
        incidents.add("192.0.2.9", UNATTRIBUTED)  # never used by t1
        clock.now += 10
    bans = {(b.client_ip, b.scope): b for b in incidents.bans("t1")}
    assert set(bans) == {("192.0.2.1", "t1"), ("192.0.2.1", UNATTRIBUTED)}
    assert bans[("192.0.2.1", "t1")].incidents == 6
    # Banned until the second incident (t=1010) leaves the window: 1610, and now is 1060.
    seconds_left = (bans[("192.0.2.1", "t1")].until - datetime.now(UTC)).total_seconds()
    assert 540 < seconds_left <= 550
    assert incidents.bans("t2") == []
    incidents.lift("t1")
    assert incidents.bans("t1") == []
    assert not incidents.banned("192.0.2.1", UNATTRIBUTED)
    assert incidents.banned("192.0.2.9", UNATTRIBUTED)  # not t1's to lift


def test_an_exempt_tenants_addresses_count_no_unattributed_incident() -> None:
    clock = Clock()
    incidents = Incidents(clock=clock)
    incidents.note_use("runner", "192.0.2.1", exempt=True)
    for _ in range(10):
        incidents.add("192.0.2.1", UNATTRIBUTED)
    assert not incidents.banned("192.0.2.1", UNATTRIBUTED)
    clock.now += 601  # the tenant has not used the address for ten minutes: counted again
    for _ in range(5):
        incidents.add("192.0.2.1", UNATTRIBUTED)
    assert incidents.banned("192.0.2.1", UNATTRIBUTED)


def test_expired_entries_are_swept() -> None:
    clock = Clock()
    incidents = Incidents(clock=clock)
    for n in range(SWEEP_EVERY - 1):
        incidents.add(f"10.0.{n // 256}.{n % 256}", UNATTRIBUTED)
        incidents.note_use(f"t{n}", "192.0.2.1")
    clock.now += 601
    incidents.add("192.0.2.200", UNATTRIBUTED)  # a sweep is due
    incidents.add("192.0.2.201", UNATTRIBUTED)
    assert len(incidents._times) <= 2 and not incidents._used
