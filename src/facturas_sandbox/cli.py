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
    parser.add_argument(
        "--store",
        metavar="URL",
        default=os.environ.get(STORE_ENV) or None,
        help="a postgresql://user@host:port/db URL: keep every tenant in PostgreSQL, shared by any number "
        f"of processes and replicas (env {STORE_ENV}; default: the --data-dir)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes serving one port (PostgreSQL store only: a data directory has one owner)",
    )
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
STORE_ENV = "SANDBOX_STORE"


def store_problem(args: argparse.Namespace) -> str | None:
    """Why --store / --workers cannot be served as given, or None."""
    from .store import POSTGRES_SCHEMES

    if args.store is not None and not args.store.startswith(POSTGRES_SCHEMES):
        return f"--store: {args.store!r} is not a postgresql:// URL (a data directory is --data-dir)"
    if args.workers < 1:
        return "--workers: at least 1"
    if args.workers > 1 and args.store is None:
        return (
            f"--workers {args.workers} needs the PostgreSQL store (--store postgresql://... or {STORE_ENV}): "
            "a data directory is owned by one process, which would be the only one to see its writes"
        )
    if args.workers > 1 and args.reload:
        return "--workers and --reload do not go together (the reloader runs one process)"
    return None


def settings_from_args(args: argparse.Namespace) -> Settings:
    return Settings(
        trusted_proxies=trusted_proxies(args),
        data_dir=None if args.in_memory or args.store else args.data_dir,
        store_url=args.store,
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
        f"  {'Data':<{width}}  {_data_description(settings)}",
    ]
    return "\n".join(lines)


def _data_description(settings: Settings) -> str:
    if settings.store_url is not None:
        from .store.postgres import redacted

        return f"PostgreSQL {redacted(settings.store_url)}"
    return str(settings.data_dir.resolve()) if settings.data_dir else "in memory (lost on exit)"


@command("serve", _serve_args)
def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import SETTINGS_ENV, create_app
    from .contracts import fixtures_dir, openapi_dir
    from .sandbox import Sandbox
    from .server import TIMEOUT_ENV as HEADER_TIMEOUT_ENV
    from .server import uvicorn_options
    from .store import StoreError

    problem = store_problem(args)
    if problem is not None:
        print(f"facturas-sandbox: {problem}", file=sys.stderr)
        return 2
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
    if args.workers > 1:
        # Each worker is a process of its own that opens the shared store itself; this one
        # only migrated the schema and seeded the demo tenant (above), then supervises.
        sandbox.close()
        os.environ[SETTINGS_ENV] = settings.to_json()
        print(f"  {args.workers} worker processes on one port", flush=True)
        uvicorn.run(
            "facturas_sandbox.app:app_from_environment",
            factory=True,
            workers=args.workers,
            access_log=args.log_level == "debug",
            **common,
        )
        return 0
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
    from . import store_copy as _store_copy  # noqa: F401
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
