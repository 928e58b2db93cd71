"""Whose address a request comes from: the socket peer, or what a trusted proxy forwarded."""

from __future__ import annotations

import argparse

import httpx
import pytest
from server_process import SandboxProcess

from facturas_sandbox.cli import _serve_args, settings_from_args
from facturas_sandbox.client_address import ClientAddress, parse_networks
from facturas_sandbox.testing import running_sandbox


def scope(peer: str, *headers: tuple[str, str]) -> dict[str, object]:
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    return {"type": "http", "client": (peer, 50000), "headers": raw}


def test_without_trusted_proxies_the_peer_is_the_client_whatever_the_headers_say() -> None:
    address = ClientAddress()
    forged = scope("203.0.113.9", ("X-Forwarded-For", "192.0.2.1"), ("CF-Connecting-IP", "192.0.2.2"))
    assert address.of(forged) == "203.0.113.9"
    assert address.of({"type": "http", "headers": []}) == "unknown"


def test_behind_trusted_proxies_the_right_most_untrusted_hop_is_the_client() -> None:
    address = ClientAddress(["10.0.0.0/8", "127.0.0.1"])
    assert address.of(scope("127.0.0.1", ("X-Forwarded-For", "192.0.2.1, 203.0.113.5"))) == "203.0.113.5"
    # Several proxies: each appended its peer; the trusted ones are skipped from the right.
    chain = scope("127.0.0.1", ("X-Forwarded-For", "192.0.2.1, 203.0.113.5, 10.1.2.3"))
    assert address.of(chain) == "203.0.113.5"
    split = scope("127.0.0.1", ("X-Forwarded-For", "192.0.2.1"), ("X-Forwarded-For", "203.0.113.6:4431"))
    assert address.of(split) == "203.0.113.6"  # header lines joined, port dropped
    assert address.of(scope("10.9.9.9", ("X-Forwarded-For", "[2001:db8::1]:80"))) == "2001:db8::1"
    assert address.of(scope("127.0.0.1", ("X-Forwarded-For", "10.0.0.7, 10.0.0.8"))) == "10.0.0.7"
    # CF-Connecting-IP only when no X-Forwarded-For came.
    assert address.of(scope("127.0.0.1", ("CF-Connecting-IP", "203.0.113.7"))) == "203.0.113.7"
    both = scope("127.0.0.1", ("CF-Connecting-IP", "192.0.2.9"), ("X-Forwarded-For", "203.0.113.8"))
    assert address.of(both) == "203.0.113.8"
    assert address.of(scope("127.0.0.1")) == "127.0.0.1"
    # Garbage is a (bounded) address of its own, never a trusted hop.
    assert address.of(scope("127.0.0.1", ("X-Forwarded-For", "x" * 500))) == "x" * 100


def test_trusted_proxies_come_from_flags_or_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    parser = argparse.ArgumentParser()
    _serve_args(parser)
    monkeypatch.delenv("SANDBOX_TRUSTED_PROXIES", raising=False)
    assert settings_from_args(parser.parse_args([])).trusted_proxies == ()
    flags = parser.parse_args(["--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "::1"])
    assert settings_from_args(flags).trusted_proxies == ("10.0.0.0/8", "::1/128")
    monkeypatch.setenv("SANDBOX_TRUSTED_PROXIES", "172.16.0.0/12, 127.0.0.1")
    assert settings_from_args(parser.parse_args([])).trusted_proxies == ("172.16.0.0/12", "127.0.0.1/32")
    with pytest.raises(ValueError, match=r"not an IP network: 'proxy\.example'"):
        parse_networks(["proxy.example"])


def _bad_key_statuses(base: str, forwarded: list[str]) -> list[int]:
    with httpx.Client(base_url=base, timeout=30) as http:
        return [
            http.get("/facturascripts/api/3/clientes", headers={"Token": "nope", "X-Forwarded-For": ip}).status_code
            for ip in forwarded
        ]


def test_a_served_sandbox_trusts_no_forwarded_header_by_default() -> None:
    """uvicorn itself trusts X-Forwarded-For from loopback; the sandbox turns that off."""
    with running_sandbox() as sandbox:
        statuses = _bad_key_statuses(sandbox.base_url, [f"192.0.2.{n}" for n in range(1, 7)])
    assert statuses == [401] * 5 + [429]


@pytest.mark.slow
def test_serve_with_a_trusted_proxy_reads_the_forwarded_client() -> None:
    with SandboxProcess(None, "--trusted-proxy", "127.0.0.1/32") as server:
        assert _bad_key_statuses(server.base, [f"192.0.2.{n}" for n in range(1, 7)]) == [401] * 6
        assert _bad_key_statuses(server.base, ["198.51.100.1"] * 6) == [401] * 5 + [429]
    bad = SandboxProcess(None, "--trusted-proxy", "not-a-network")
    with pytest.raises(RuntimeError, match="not an IP network"):
        bad.start()
