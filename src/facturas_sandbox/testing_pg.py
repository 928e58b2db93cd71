"""A private PostgreSQL server for tests and benchmarks, started from the machine's own binaries.

    with running_postgres() as server:
        url = server.create_database("store_tests")   # postgresql://postgres@127.0.0.1:PORT/store_tests

The server is Debian's `postgresql` package run from a temporary directory: `initdb`, then
`pg_ctl start` on a free loopback port with its socket in that directory, never the system
cluster. PostgreSQL refuses to run as root, so as root the directory is handed to the
`postgres` user and every server command runs through `runuser`. The disk is never
synced (`fsync=off`: the data is thrown away with the directory), but every commit is written
before it is acknowledged, so a test may stop the server abruptly (`stop()`, `-m immediate`:
a crash) and start it again with every acknowledged write in place.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

INSTALL_HINT = "PostgreSQL's server binaries are not installed: apt-get install -y postgresql"
_NEEDED = ("initdb", "pg_ctl", "postgres")


class PostgresUnavailable(RuntimeError):
    """No usable PostgreSQL server binaries on this machine."""


def find_bindir() -> Path | None:
    """The newest `/usr/lib/postgresql/*/bin` (or `pg_config --bindir`) holding the server binaries."""
    candidates = [Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")]
    candidates.sort(key=lambda p: _version_key(p.parent.name), reverse=True)
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True)
            candidates.append(Path(out.stdout.strip()))
    for bindir in candidates:
        if all((bindir / name).is_file() for name in _NEEDED):
            return bindir
    return None


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit()) or (0,)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TestPostgres:
    """One running server; `url()` names a database on it, `create_database()` makes one."""

    __test__ = False  # not a pytest test class

    def __init__(self, bindir: Path, directory: Path, port: int, as_postgres: bool) -> None:
        self.bindir = bindir
        self.directory = directory
        self.port = port
        self._as_postgres = as_postgres

    @property
    def data_dir(self) -> Path:
        return self.directory / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new, empty database (the name is the caller's: letters, digits and `_`)."""
        if not name.replace("_", "").isalnum() or not name.isascii():
            raise ValueError(f"invalid database name {name!r}")
        import psycopg

        with psycopg.connect(self.url(), autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def pg_ctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return self._run(
            [str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.directory / "server.log"), *args],
            timeout,
        )

    def start(self) -> None:
        options = " ".join(
            (
                f"-p {self.port}",
                f"-k {self.directory}",
                "-c listen_addresses=127.0.0.1",
                "-c fsync=off",
                "-c full_page_writes=off",
                "-c max_connections=200",
            )
        )
        self.pg_ctl("-w", "-t", "60", "-o", options, "start")

    def stop(self) -> None:
        """Stop at once (no checkpoint): the data is about to be deleted anyway."""
        self.pg_ctl("-m", "immediate", "-w", "stop", timeout=30)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join((self.directory / "server.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _run(self, command: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        if result.returncode != 0:
            raise PostgresUnavailable(
                f"{' '.join(command)} failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}"
                f"\n{self.log_tail()}"
            )
        return result


@contextmanager
def running_postgres(bindir: Path | None = None) -> Iterator[TestPostgres]:
    """A fresh server for the duration of the block, deleted afterwards."""
    bindir = bindir or find_bindir()
    if bindir is None:
        raise PostgresUnavailable(INSTALL_HINT)
    as_postgres = os.geteuid() == 0
    directory = Path(tempfile.mkdtemp(prefix="facturas-pg-"))
    try:
        if as_postgres:
            shutil.chown(directory, "postgres", "postgres")
        server = TestPostgres(bindir, directory, _free_port(), as_postgres)
        initdb = [str(bindir / "initdb"), "-D", str(server.data_dir), "-U", "postgres", "-A", "trust", "-E", "UTF8"]
        try:
            # A linguistic default collation, as a Spanish deployment would have: the store must
            # never depend on the database's collation (it names "C" wherever order matters).
            server._run([*initdb, "--locale=C.UTF-8", "--locale-provider=icu", "--icu-locale=es-ES", "--no-sync"], 120)
        except PostgresUnavailable:  # a server built without ICU
            shutil.rmtree(server.data_dir, ignore_errors=True)
            server._run([*initdb, "--locale=C.UTF-8", "--no-sync"], 120)
        for attempt in range(3):
            try:
                server.start()
                break
            except PostgresUnavailable:
                # The free port was taken between choosing and binding: choose again.
                if attempt == 2:
                    raise
                server.port = _free_port()
        try:
            yield server
        finally:
            with contextlib.suppress(PostgresUnavailable, subprocess.SubprocessError):
                server.stop()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
