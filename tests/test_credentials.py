"""The credential index: one holder per value, claims tied to the write that makes them."""

from __future__ import annotations

import threading

import pytest

from facturas_sandbox.credentials import CredentialIndex, CredentialTaken, Holder, digest
from facturas_sandbox.vendors.base import Secret


def test_a_value_has_one_holder_across_tenants_apis_and_roles() -> None:
    index = CredentialIndex()
    assert index.claim("facturovia", "t1", Secret("s3cret", "read_write")) is True
    assert index.claim("facturovia", "t1", Secret("s3cret", "read_write")) is False  # its own, again
    for api, tenant, role in (("facturovia", "t2", "read_write"), ("facturascripts", "t1", "apikey"),
                              ("facturovia", "t1", "read_only")):  # fmt: skip
        with pytest.raises(CredentialTaken):
            index.claim(api, tenant, Secret("s3cret", role))
    assert index.resolve("facturovia", "s3cret") == Holder("facturovia", "t1", "read_write")
    assert index.resolve("facturascripts", "s3cret") is None  # another API's secret opens nothing here
    index.release("facturovia", "t2", "s3cret")  # not t2's: nothing happens
    assert index.resolve("facturovia", "s3cret") is not None
    index.release("facturovia", "t1", "s3cret")
    assert index.resolve("facturovia", "s3cret") is None


def test_a_reserved_value_is_only_ever_its_tenants() -> None:
    index = CredentialIndex()
    index.reserve("demo", "fsDemoFullAccess0001")
    with pytest.raises(CredentialTaken):
        index.claim("facturascripts", "t1", Secret("fsDemoFullAccess0001", "apikey"))
    assert index.claim("facturascripts", "demo", Secret("fsDemoFullAccess0001", "apikey"))


def test_concurrent_claims_of_one_value_have_one_winner() -> None:
    index = CredentialIndex()
    contenders = 16
    start = threading.Barrier(contenders)
    won: list[str] = []
    lost: list[str] = []

    def contend(tenant: str) -> None:
        start.wait(timeout=30)
        try:
            index.claim("facturascripts", tenant, Secret("contested", "apikey"))
            won.append(tenant)
        except CredentialTaken:
            lost.append(tenant)

    threads = [threading.Thread(target=contend, args=(f"t{n}",)) for n in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(won) == 1 and len(lost) == contenders - 1
    assert index.resolve("facturascripts", "contested").tenant_id == won[0]


def test_atomic_undoes_claims_and_defers_releases_of_a_failed_write() -> None:
    index = CredentialIndex()
    index.claim("facturascripts", "t1", Secret("old", "apikey"))
    with pytest.raises(RuntimeError), index.atomic():
        index.claim("facturascripts", "t1", Secret("new", "apikey"))
        with pytest.raises(CredentialTaken):  # visible to racing claims before the write ends
            index.claim("facturascripts", "t2", Secret("new", "apikey"))
        index.release("facturascripts", "t1", "old")
        assert index.resolve("facturascripts", "old") is not None  # released only on success
        raise RuntimeError("the store refused the write")
    assert index.resolve("facturascripts", "new") is None
    assert index.resolve("facturascripts", "old") is not None
    with index.atomic():
        index.claim("facturascripts", "t1", Secret("new", "apikey"))
        with index.atomic():  # nested: joins the outer write
            index.release("facturascripts", "t1", "old")
        assert index.resolve("facturascripts", "old") is not None
    assert index.resolve("facturascripts", "old") is None
    assert index.resolve("facturascripts", "new") is not None


def test_release_tenant_keeps_only_what_it_is_told() -> None:
    index = CredentialIndex()
    for value in ("own", "runtime"):
        index.claim("facturascripts", "t1", Secret(value, "apikey"))
    index.claim("facturascripts", "t2", Secret("theirs", "apikey"))
    index.release_tenant("t1", keep_digests=[digest("own")])
    assert [h.tenant_id for h in index.held_by("t1")] == ["t1"]
    assert index.resolve("facturascripts", "runtime") is None
    assert index.resolve("facturascripts", "theirs") is not None
