"""`facturas-sandbox tenant new|delete`: a fresh tenant of a running sandbox, as shell lines.

    eval "$(facturas-sandbox tenant new --url http://127.0.0.1:8080)"

prints `export NAME=value` lines: the tenant's id and admin token, then each API's
credentials under the names `conform`, the bundled `schemathesis.toml` and the docs use
(FACTUROVIA_TOKEN, FACTURASCRIPTS_TOKEN, FACTURALA_TOKEN, FACTURALA_COMPANY_ID,
FACTURAGEM_API_KEY …). FACTURAgem's api_key comes from a session the command opens, as a
client would. `tenant delete` removes the tenant those variables name.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from typing import Any

import httpx

from .commands import command

DEFAULT_URL = "http://127.0.0.1:8080"

# (api, credential key in the control plane's answer) -> environment variable
VARIABLES: dict[str, list[tuple[str, str]]] = {
    "facturovia": [("read_write", "FACTUROVIA_TOKEN"), ("read_only", "FACTUROVIA_READ_ONLY_TOKEN")],
    "facturascripts": [("token", "FACTURASCRIPTS_TOKEN"), ("restricted_token", "FACTURASCRIPTS_RESTRICTED_TOKEN")],
    "facturala": [("token", "FACTURALA_TOKEN"), ("company_id", "FACTURALA_COMPANY_ID")],
    "facturagem": [("login", "FACTURAGEM_LOGIN"), ("password", "FACTURAGEM_PASSWORD")],
}


class TenantError(Exception):
    pass


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.description = "Create or delete a tenant of a running sandbox; `new` prints shell export lines."
    actions = parser.add_subparsers(dest="action", required=True)
    new = actions.add_parser("new", help="create a tenant and print its credentials as export lines")
    new.add_argument("--url", default=os.environ.get("SANDBOX_URL", DEFAULT_URL), help="the sandbox's URL")
    new.add_argument("--name", default="qa", help="a label for the tenant")
    new.add_argument(
        "--api", action="append", choices=sorted(VARIABLES), help="only this API's credentials (repeatable)"
    )
    new.add_argument(
        "--no-incident-ban",
        action="store_true",
        help="turn the tenant's incident ban off (for Schemathesis runs that send wrong keys on purpose)",
    )
    delete = actions.add_parser("delete", help="delete the tenant $SANDBOX_TENANT_ID with $SANDBOX_ADMIN_TOKEN")
    delete.add_argument("--url", default=os.environ.get("SANDBOX_URL", DEFAULT_URL))
    delete.add_argument("--id", default=os.environ.get("SANDBOX_TENANT_ID"), help="default $SANDBOX_TENANT_ID")
    delete.add_argument(
        "--admin-token", default=os.environ.get("SANDBOX_ADMIN_TOKEN"), help="default $SANDBOX_ADMIN_TOKEN"
    )


def _request(method: str, url: str, **kwargs: Any) -> httpx.Response:
    try:
        response = httpx.request(method, url, timeout=10, **kwargs)
    except httpx.HTTPError as exc:
        raise TenantError(f"cannot reach {url}: {exc}") from None
    if response.status_code >= 300:
        raise TenantError(f"{method} {url} answered HTTP {response.status_code}: {response.text[:200]}")
    return response


def _facturagem_key(base: str, prefix: str, credentials: dict[str, str]) -> str:
    answer = _request("POST", f"{base}{prefix}/session.json", data=credentials).json()
    return str(answer["api_key"])


def new_tenant(url: str, name: str, apis: list[str] | None, incident_ban: bool = True) -> list[tuple[str, str]]:
    """Create the tenant and return (variable, value) pairs."""
    base = url.rstrip("/")
    tenant = _request("POST", f"{base}/_sandbox/tenants", json={"name": name}).json()
    if not incident_ban:
        admin = {"Authorization": f"Bearer {tenant['admin_token']}"}
        _request("PATCH", f"{base}/_sandbox/tenants/{tenant['id']}", json={"incident_ban": False}, headers=admin)
    mounted = {api["name"]: api["base_path"] for api in _request("GET", f"{base}/_sandbox/apis").json()["data"]}
    out = [("SANDBOX_URL", base), ("SANDBOX_TENANT_ID", tenant["id"]), ("SANDBOX_ADMIN_TOKEN", tenant["admin_token"])]
    for api, pairs in VARIABLES.items():
        if apis and api not in apis:
            continue
        credentials = tenant["credentials"].get(api, {})
        out.extend((variable, str(credentials[key])) for key, variable in pairs if key in credentials)
        if api == "facturagem" and api in mounted:
            out.append(("FACTURAGEM_API_KEY", _facturagem_key(base, mounted[api], credentials)))
    return out


@command("tenant", _configure)
def tenant(args: argparse.Namespace) -> int:
    try:
        if args.action == "new":
            for variable, value in new_tenant(args.url, args.name, args.api, not args.no_incident_ban):
                print(f"export {variable}={shlex.quote(value)}")
            return 0
        if not args.id or not args.admin_token:
            raise TenantError("give --id and --admin-token (or SANDBOX_TENANT_ID and SANDBOX_ADMIN_TOKEN)")
        headers = {"Authorization": f"Bearer {args.admin_token}"}
        _request("DELETE", f"{args.url.rstrip('/')}/_sandbox/tenants/{args.id}", headers=headers)
        print(f"deleted tenant {args.id}", file=sys.stderr)
        return 0
    except TenantError as exc:
        print(f"facturas-sandbox tenant: {exc}", file=sys.stderr)
        return 2
