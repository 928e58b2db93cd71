"""Command line: `facturas-sandbox serve` (and the QA commands added beside it)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .settings import DEFAULT_DATA_DIR, Settings

Command = Callable[[argparse.Namespace], int]
_COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Command]] = {}


def command(name: str, configure: Callable[[argparse.ArgumentParser], None]) -> Callable[[Command], Command]:
    """Register a sub-command: `configure` adds its arguments, the function runs it."""

    def register(run: Command) -> Command:
        _COMMANDS[name] = (configure, run)
        return run

    return register


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
    parser.add_argument("--public-url", help="the URL clients use to reach the sandbox, if not host:port")
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])


def settings_from_args(args: argparse.Namespace) -> Settings:
    return Settings(
        data_dir=None if args.in_memory else args.data_dir,
        root_api=args.api,
        host=args.host,
        port=args.port,
        fsync=args.fsync,
        operator_token=args.operator_token,
        public_url=args.public_url,
    )


def banner(settings: Settings, sandbox: object) -> str:
    from .tenants import DEMO_ADMIN_TOKEN, DEMO_TENANT_ID

    base = settings.base_url
    lines = [f"facturas-sandbox on {base}", ""]
    tenants = sandbox.tenants  # type: ignore[attr-defined]
    demo = tenants.get(DEMO_TENANT_ID) if settings.seed_demo else None
    for vendor in sandbox.mounted_vendors():  # type: ignore[attr-defined]
        prefix = sandbox.vendor_prefix(vendor)  # type: ignore[attr-defined]
        lines.append(f"  {vendor.title:<15} {base}{prefix}   (Swagger UI: {base}{prefix}/ui/)")
        if demo is not None:
            lines.extend(f"      {line}" for line in vendor.usage(base + prefix, demo.credentials[vendor.name]))
    lines += [
        "",
        f"  Control plane   {base}/_sandbox   (health: {base}/_sandbox/health, UI: {base}/_sandbox/ui/)",
        f"  Demo tenant     id {DEMO_TENANT_ID!r}, admin token {DEMO_ADMIN_TOKEN}",
        f"  Data            {settings.data_dir.resolve() if settings.data_dir else 'in memory (lost on exit)'}",
    ]
    return "\n".join(lines)


@command("serve", _serve_args)
def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app
    from .sandbox import Sandbox
    from .store import StoreError

    settings = settings_from_args(args)
    try:
        sandbox = Sandbox.open(settings)
    except StoreError as exc:
        print(f"facturas-sandbox: {exc}", file=sys.stderr)
        return 2
    app = create_app(settings, sandbox)
    print(banner(settings, sandbox), flush=True)
    uvicorn.run(
        app, host=settings.host, port=settings.port, log_level=args.log_level, access_log=args.log_level == "debug"
    )
    return 0


def _load_commands() -> None:
    # The QA commands live beside the code they drive; importing them registers them.
    from .conformance import cli as _conformance  # noqa: F401
    from .conformance import proxy as _proxy  # noqa: F401


def main(argv: Sequence[str] | None = None) -> int:
    _load_commands()
    parser = argparse.ArgumentParser(prog="facturas-sandbox", description="Contract-first sandbox for invoicing APIs")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name, (configure, _) in _COMMANDS.items():
        configure(subparsers.add_parser(name))
    args = parser.parse_args(argv)
    return _COMMANDS[args.command][1](args)


if __name__ == "__main__":
    raise SystemExit(main())
