"""One process owns a data directory, enforced by the operating system.

The TinyDB store keeps each tenant in memory and appends to its log; a second process on the
same directory would replay the log, truncate what it took for a torn line, and on exit
compact and truncate the log under the first one, losing what the first had acknowledged.
So opening a data directory takes an exclusive `flock` on `<data dir>/sandbox.lock`, held
for as long as the sandbox is open. The kernel drops the lock with the process however it
ends (`kill -9` included), so a crash never leaves a stale lock behind; the PID written in
the file only serves to name the holder in the refusal.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from .base import StoreError

LOCK_FILE = "sandbox.lock"


class DataDirInUse(StoreError):
    """Another process holds the data directory."""

    def __init__(self, directory: Path, holder: str) -> None:
        super().__init__(
            f"data directory {directory} is in use by process {holder}: one process owns a data "
            "directory (stop that one, or give this one another --data-dir)"
        )
        self.directory = directory
        self.holder = holder


class DataDirLock:
    def __init__(self, fd: int, directory: Path) -> None:
        self._fd: int | None = fd
        self.directory = directory

    @classmethod
    def acquire(cls, directory: Path) -> DataDirLock:
        """Own `directory` (created if missing); DataDirInUse if another process does."""
        directory = directory.resolve()
        try:
            directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"data directory {directory} is not writable: {exc.strerror or exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _holder(fd)
            os.close(fd)
            raise DataDirInUse(directory, holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return cls(fd, directory)

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing the last descriptor releases the lock


def _holder(fd: int) -> str:
    with contextlib.suppress(OSError, ValueError):
        pid = int(os.pread(fd, 32, 0).decode().strip())
        return str(pid)
    return "(PID not yet written)"
