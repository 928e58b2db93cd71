"""A private sandbox for an integrator's own tests, outside pytest or inside it.

    with running_sandbox() as sandbox, sandbox_tenant(sandbox) as tenant:
        invoices = httpx.get(tenant.api("facturovia") + "/invoices", headers=tenant.auth("facturovia"))

The sandbox runs in-process (uvicorn in a background thread, on a free loopback port, data in
memory) and each tenant is a fresh copy of the fixtures, deleted afterwards. The pytest plugin
(`facturas_sandbox.pytest_plugin`) offers the same as the `facturas_sandbox` and
`sandbox_tenant` fixtures.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from .settings import Settings
from .vendors import all_vendors


@dataclass(frozen=True)
class SandboxTenant:
    id: str
    admin_token: str
    credentials: dict[str, Any]
    apis: dict[str, str]  # API name -> base URL
    base_url: str

    def api(self, name: str) -> str:
        """The base URL of one API, e.g. `http://127.0.0.1:53211/facturovia/api`."""
        return self.apis[name]

    def auth(self, name: str) -> dict[str, str]:
        """Headers that authenticate as this tenant on an API that takes a header credential."""
        (vendor,) = (v for v in all_vendors() if v.name == name)
        return vendor.auth_headers(self.credentials[name])

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token}"}


@dataclass
class RunningSandbox:
    base_url: str
    operator_token: str
    _http: httpx.Client = field(repr=False)

    def create_tenant(self, name: str | None = None) -> SandboxTenant:
        response = self._http.post("/_sandbox/tenants", json={"name": name} if name else {})
        response.raise_for_status()
        body = response.json()
        apis = {a["name"]: self.base_url + a["base_path"] for a in self._http.get("/_sandbox/apis").json()["data"]}
        return SandboxTenant(body["id"], body["admin_token"], body["credentials"], apis, self.base_url)

    def delete_tenant(self, tenant: SandboxTenant) -> None:
        self._http.delete(f"/_sandbox/tenants/{tenant.id}", headers=tenant.admin)


def _free_socket(host: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    return sock


@contextmanager
def running_sandbox(data_dir: Path | None = None, *, startup_timeout: float = 30) -> Iterator[RunningSandbox]:
    """Serve every API on a free loopback port until the block ends."""
    from .app import create_app  # Connexion is imported only when a sandbox is wanted
    from .server import uvicorn_options

    host = "127.0.0.1"
    sock = _free_socket(host)
    port = sock.getsockname()[1]
    operator = "op_" + secrets.token_hex(16)
    settings = Settings(data_dir=data_dir, host=host, port=port, operator_token=operator)
    config = uvicorn.Config(create_app(settings), log_level="warning", lifespan="on", **uvicorn_options())
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="facturas-sandbox", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the sandbox did not start")
        time.sleep(0.02)
    base_url = f"http://{host}:{port}"
    try:
        with httpx.Client(base_url=base_url, timeout=30) as http:
            yield RunningSandbox(base_url, operator, http)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@contextmanager
def sandbox_tenant(sandbox: RunningSandbox, name: str | None = None) -> Iterator[SandboxTenant]:
    """A fresh tenant seeded from the fixtures, deleted when the block ends."""
    tenant = sandbox.create_tenant(name)
    try:
        yield tenant
    finally:
        sandbox.delete_tenant(tenant)
