"""Start `facturas-sandbox serve` as a real process on a free loopback port, for tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SandboxProcess:
    def __init__(self, data_dir: Path | None, *extra: str, port: int | None = None) -> None:
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        args = ["--in-memory"] if data_dir is None else ["--data-dir", str(data_dir)]
        self.cmd = [
            sys.executable,
            "-m",
            "facturas_sandbox",
            "serve",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
            *args,
            *extra,
        ]
        self.proc: subprocess.Popen[bytes] | None = None
        # A file, not a pipe: nobody reads a pipe while the test runs, and a server whose
        # pipe fills up blocks on its next log line.
        self.output = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server

    def log(self) -> str:
        self.output.seek(0)
        return self.output.read().decode(errors="replace")

    def start(self, timeout: float = 30) -> SandboxProcess:
        self.proc = subprocess.Popen(self.cmd, stdout=self.output, stderr=subprocess.STDOUT, env={**os.environ})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.base}/_sandbox/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise TimeoutError("the sandbox did not answer in time")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
