"""Command line: `facturas-sandbox serve` (and the QA commands added beside it)."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from .commands import COMMANDS, command
from .settings import DEFAULT_DATA_DIR, Settings


def _serve_args(parser: argparse.ArgumentParser) -> None:
    from .vendors import vendor_names

    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="where tenants' data lives")
    parser.add_argument("--in-memory", action="store_true", help="keep nothing on disk")
    parser.add_argument("--api", choices=vendor_names(), help="serve only this API, at its real root path")
    parser.add_argument("--fsync", action="store_true", help="fsync every write (survives power loss)")
    parser.add_argument(
        "--operator-token",
        default=os.environ.get("SANDBOX_OPERATOR_TOKEN"),
        help="a token that manages every tenant through /_sandbox (env SANDBOX_OPERATOR_TOKEN)",
    )
    parser.add_argument(
        "--trusted-proxy",
        action="append",
        dest="trusted_proxies",
        metavar="CIDR",
        default=None,
        help="a proxy whose X-Forwarded-For / CF-Connecting-IP name the client (repeatable; "
        "env SANDBOX_TRUSTED_PROXIES, comma-separated; default: none, the socket peer is the client)",
    )
    parser.add_argument("--public-url", help="the URL clients use to reach the sandbox, if not host:port")
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    parser.add_argument(
        "--request-timeout",
        type=float,
        default=None,
        help="seconds a client may take to send a request's headers (10) and its body (15); then the "
        "connection is closed (headers) or answered 408 (body)",
    )
    parser.add_argument(
        "--reload",
        action="store_true",
        help="restart when the contracts, fixtures or code change (use a --data-dir to keep data across reloads)",
    )


def trusted_proxies(args: argparse.Namespace) -> tuple[str, ...]:
    """The --trusted-proxy CIDRs, else SANDBOX_TRUSTED_PROXIES; ValueError names a bad one."""
    from .client_address import parse_networks

    values = args.trusted_proxies or os.environ.get(TRUSTED_PROXIES_ENV, "").split(",")
    return tuple(str(network) for network in parse_networks(values))


TRUSTED_PROXIES_ENV = "SANDBOX_TRUSTED_PROXIES"


def settings_from_args(args: argparse.Namespace) -> Settings:
    return Settings(
        trusted_proxies=trusted_proxies(args),
        data_dir=None if args.in_memory else args.data_dir,
        root_api=args.api,
        host=args.host,
        port=args.port,
        fsync=args.fsync,
        operator_token=args.operator_token,
        public_url=args.public_url,
        **({"body_timeout": args.request_timeout} if args.request_timeout else {}),
    )


def banner(settings: Settings, sandbox: object) -> str:
    from .tenants import DEMO_ADMIN_TOKEN, DEMO_TENANT_ID

    base = settings.base_url
    lines = [f"facturas-sandbox on {base}", ""]
    tenants = sandbox.tenants  # type: ignore[attr-defined]
    demo = tenants.get(DEMO_TENANT_ID) if settings.seed_demo else None
    mounted = sandbox.mounted_vendors()  # type: ignore[attr-defined]
    width = max(len("Control plane"), *(len(v.title) for v in mounted))
    for vendor in mounted:
        prefix = sandbox.vendor_prefix(vendor)  # type: ignore[attr-defined]
        lines.append(f"  {vendor.title:<{width}}  {base}{prefix}   (Swagger UI: {base}{prefix}/ui/)")
        if demo is not None:
            lines.extend(f"      {line}" for line in vendor.usage(base + prefix, demo.credentials[vendor.name]))
    lines += [
        "",
        f"  {'Control plane':<{width}}  {base}/_sandbox   (health: {base}/_sandbox/health, UI: {base}/_sandbox/ui/)",
        f"  {'Demo tenant':<{width}}  id {DEMO_TENANT_ID!r}, admin token {DEMO_ADMIN_TOKEN}",
        f"  {'Data':<{width}}  {settings.data_dir.resolve() if settings.data_dir else 'in memory (lost on exit)'}",
    ]
    return "\n".join(lines)


@command("serve", _serve_args)
def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import SETTINGS_ENV, create_app
    from .contracts import fixtures_dir, openapi_dir
    from .sandbox import Sandbox
    from .server import TIMEOUT_ENV as HEADER_TIMEOUT_ENV
    from .server import uvicorn_options
    from .store import StoreError

    try:
        settings = settings_from_args(args)
    except ValueError as exc:
        print(f"facturas-sandbox: --trusted-proxy: {exc}", file=sys.stderr)
        return 2
    if args.request_timeout:
        os.environ[HEADER_TIMEOUT_ENV] = str(args.request_timeout)
    try:
        sandbox = Sandbox.open(settings)
    except StoreError as exc:
        print(f"facturas-sandbox: {exc}", file=sys.stderr)
        return 2
    print(banner(settings, sandbox), flush=True)
    common = {"host": settings.host, "port": settings.port, "log_level": args.log_level, **uvicorn_options()}
    if args.reload:
        # The reloader runs the app in a child process that it restarts on every change; this
        # process only watches, so it hands the data directory over.
        sandbox.close()
        os.environ[SETTINGS_ENV] = settings.to_json()
        watched = [str(openapi_dir()), str(fixtures_dir()), str(Path(__file__).resolve().parent)]
        print(f"  Reloading on changes in {', '.join(watched)}", flush=True)
        uvicorn.run(
            "facturas_sandbox.app:app_from_environment",
            factory=True,
            reload=True,
            reload_dirs=watched,
            reload_includes=["*.yaml", "*.json", "*.py"],
            **common,
        )
        return 0
    uvicorn.run(create_app(settings, sandbox), access_log=args.log_level == "debug", **common)
    return 0


def _quiet_third_party_warnings() -> None:
    # Connexion imports Starlette's TestClient at import time, which warns about httpx;
    # nothing a sandbox user can act on.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    warnings.filterwarnings("ignore", category=DeprecationWarning, module="connexion")


def _load_commands() -> None:
    # The QA commands live beside the code they drive; importing them registers them.
    from . import tenant_cli as _tenant  # noqa: F401
    from .conformance import cli as _conformance  # noqa: F401
    from .conformance import proxy as _proxy  # noqa: F401


def main(argv: Sequence[str] | None = None) -> int:
    _quiet_third_party_warnings()
    _load_commands()
    parser = argparse.ArgumentParser(prog="facturas-sandbox", description="Contract-first sandbox for invoicing APIs")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name, (configure, _) in COMMANDS.items():
        configure(subparsers.add_parser(name))
    args = parser.parse_args(argv)
    return COMMANDS[args.command][1](args)


if __name__ == "__main__":
    raise SystemExit(main())
