"""Keep a conformance run against the sandbox clear of the sandbox's own incident ban.

Schemathesis sends missing and wrong credentials on purpose (`ignored_auth`); FacturaScripts
bans the client after five of them, so every later answer would be 429. With a control-plane
token (the tenant's admin token or the operator token) the runner turns the tenant's
`incident_ban` off for the run, lifts its bans before every phase and restores the setting
afterwards. Against a server that is not the sandbox there is nothing to turn off: the CLI
warns instead, and `--rate-limit` paces the run.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx

CONTROL_PATH = "/_sandbox"


class ControlError(Exception):
    """The control plane refused or could not be reached: a usage error for the CLI."""


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def is_sandbox(url: str, timeout: float) -> bool:
    """Does the server behind `url` answer the sandbox's health endpoint?"""
    try:
        response = httpx.get(origin(url) + CONTROL_PATH + "/health", timeout=timeout)
        return response.status_code == 200 and response.json().get("status") == "ok"
    except (httpx.HTTPError, ValueError, AttributeError):
        return False


def _secrets(value: Any) -> set[str]:
    if isinstance(value, dict):
        return {s for v in value.values() for s in _secrets(v)}
    if isinstance(value, list):
        return {s for v in value for s in _secrets(v)}
    return {value} if isinstance(value, str) and value else set()


class BanExemption:
    """`with BanExemption(url, admin_token, credential, timeout) as exemption:` runs with the
    tenant that owns `credential` exempt from incident bans; `exemption.lift()` between phases."""

    def __init__(self, url: str, admin_token: str, credential: str | None, timeout: float) -> None:
        self.base = origin(url) + CONTROL_PATH
        self.credential = credential
        self.client = httpx.Client(headers={"Authorization": f"Bearer {admin_token}"}, timeout=timeout)
        self.tenant_id = ""
        self._previous: bool | None = None

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.client.request(method, self.base + path, **kwargs)
        except httpx.HTTPError as exc:
            raise ControlError(f"cannot reach the sandbox's control plane at {self.base}: {exc}") from None
        if response.status_code == 401:
            raise ControlError("--sandbox-admin-token was refused by the control plane (HTTP 401)")
        if response.status_code >= 300:
            raise ControlError(f"the control plane answered HTTP {response.status_code} to {method} {path}")
        return response

    def _find_tenant(self) -> dict[str, Any]:
        """The admin token's own tenant; with the operator token, the tenant whose credentials
        include the one the run uses."""
        listed = self._call("GET", "/tenants").json()["data"]
        if len(listed) == 1:
            return self._call("GET", f"/tenants/{listed[0]['id']}").json()
        for summary in listed:
            tenant = self._call("GET", f"/tenants/{summary['id']}").json()
            if self.credential and self.credential in _secrets(tenant.get("credentials")):
                return tenant
        raise ControlError("no tenant of this control-plane token owns the credential given to the run")

    def __enter__(self) -> BanExemption:
        tenant = self._find_tenant()
        self.tenant_id = tenant["id"]
        self._previous = bool(tenant.get("incident_ban", True))
        if self._previous:
            self._call("PATCH", f"/tenants/{self.tenant_id}", json={"incident_ban": False})
        self.lift()
        return self

    def lift(self) -> None:
        self._call("DELETE", f"/tenants/{self.tenant_id}/bans")

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self._previous:
                self._call("PATCH", f"/tenants/{self.tenant_id}", json={"incident_ban": True})
        finally:
            self.client.close()
