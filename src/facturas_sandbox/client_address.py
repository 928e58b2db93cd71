"""The client's address, as far as the sandbox may trust it.

A request's client is the socket peer. Headers that name another address (`X-Forwarded-For`,
`CF-Connecting-IP`) are written by whoever sends the request, so they count only when the peer
is a proxy the operator named (`serve --trusted-proxy CIDR`, repeatable, or
`SANDBOX_TRUSTED_PROXIES=cidr,cidr`; none by default) — the rule of uvicorn's
`forwarded_allow_ips`, applied by the sandbox itself so that it holds whatever server runs it.

Behind trusted proxies the client is the right-most `X-Forwarded-For` address that is not a
trusted proxy: each proxy appends the address it received the request from, so that entry was
written by a proxy and everything left of it is whatever the client claimed. Without
`X-Forwarded-For`, a trusted peer's `CF-Connecting-IP` is used (Cloudflare sends both; a real
FacturaScripts reads `CF-Connecting-IP` first, which lets anyone behind a plain proxy pick
their address).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from starlette.datastructures import Headers

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_ADDRESS = 100  # what a non-IP entry is cut to: it becomes a key of the ban counters
UNKNOWN = "unknown"


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """CIDRs (or single addresses) of trusted proxies; ValueError names a bad one."""
    networks = []
    for value in values:
        text = value.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"not an IP network: {text!r} (expected e.g. 10.0.0.0/8 or 127.0.0.1)") from None
    return tuple(networks)


def _host(entry: str) -> str:
    """An address from a forwarded entry: ports and IPv6 brackets dropped, IPs normalised."""
    text = entry.strip()
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text[:MAX_ADDRESS]


class ClientAddress:
    def __init__(self, trusted_proxies: Iterable[str] = ()) -> None:
        self.trusted = parse_networks(trusted_proxies)

    def is_trusted(self, host: str) -> bool:
        if not self.trusted:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.trusted)

    def of(self, scope: Mapping[str, Any]) -> str:
        client = scope.get("client")
        peer = _host(client[0]) if client else UNKNOWN
        if not self.is_trusted(peer):
            return peer
        headers = Headers(scope=scope)  # type: ignore[arg-type]
        forwarded = [e for value in headers.getlist("x-forwarded-for") for e in value.split(",") if e.strip()]
        if forwarded:
            hosts = [_host(entry) for entry in forwarded]
            for host in reversed(hosts):
                if not self.is_trusted(host):
                    return host
            return hosts[0]  # every hop a trusted proxy: the first one is the client
        cloudflare = headers.get("cf-connecting-ip", "").strip()
        return _host(cloudflare) if cloudflare else peer
