"""Per-tenant files by name: the rules every file store shares, and the directory store.

Names are keys, not paths: `valid_name` admits only names that cannot climb out of the
tenant's files (no `..`, no absolute path, no empty segment) or hide (no leading dot), so a
name read back from a record (attacker-controlled) needs no path resolution to be safe; an
invalid one simply names no file. The directory store walks the name one segment at a time
from the tenant's root with `O_NOFOLLOW`, so a symbolic link planted anywhere under the root
is never followed, and writes through a temporary file that is linked (or renamed, to
replace) into place: a reader sees the whole old file or the whole new one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from .base import StoreError

_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
MAX_NAME = 255
MAX_DEPTH = 8
_TEMP_PREFIX = ".tmp-"  # a leading dot: never a valid name, so never listed or overwritten


def valid_name(name: object) -> bool:
    if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME:
        return False
    parts = name.split("/")
    return len(parts) <= MAX_DEPTH and all(_SEGMENT.fullmatch(part) for part in parts)


def check_name(name: object) -> str:
    if not valid_name(name):
        raise ValueError(f"invalid file name {name!r}")
    return name  # type: ignore[return-value]


def parents(name: str) -> list[str]:
    """The folder names above a name: `a/b/c` → `a`, `a/b`."""
    parts = name.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class DirectoryFileStore:
    """Files under `root` (created on the first write), one file per name."""

    def __init__(self, root: Path, *, fsync: bool = False) -> None:
        self.root = root
        self._fsync = fsync

    # -- reads --------------------------------------------------------------------------------
    def get(self, name: str) -> bytes | None:
        with self._file(name) as fd:
            if fd is None:
                return None
            chunks = []
            while chunk := os.read(fd, 1 << 20):
                chunks.append(chunk)
            return b"".join(chunks)

    def size(self, name: str) -> int | None:
        with self._file(name) as fd:
            return None if fd is None else os.fstat(fd).st_size

    def exists(self, name: str) -> bool:
        with self._file(name) as fd:
            return fd is not None

    def list(self, prefix: str = "") -> list[str]:
        out: list[str] = []
        with self._directory([], create=False) as root:
            if root is not None:
                _walk(root, "", out)
        return sorted(n for n in out if n.startswith(prefix))

    # -- writes -------------------------------------------------------------------------------
    def put(self, name: str, content: bytes, *, replace: bool = False) -> bool:
        parts = check_name(name).split("/")
        try:
            with self._directory(parts[:-1], create=True) as folder:
                if folder is None:
                    return False  # a parent is a file (or a link)
                return self._write(folder, parts[-1], content, replace)
        except OSError as exc:
            raise StoreError(f"cannot write file {name!r}: {exc.strerror or exc}") from exc

    def delete(self, name: str) -> bool:
        if not valid_name(name):
            return False
        parts = name.split("/")
        with self._directory(parts[:-1], create=False) as folder:
            if folder is None:
                return False
            try:
                if not stat.S_ISREG(os.stat(parts[-1], dir_fd=folder, follow_symlinks=False).st_mode):
                    return False
                os.unlink(parts[-1], dir_fd=folder)
            except FileNotFoundError:
                return False
            return True

    def clear(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)  # rmtree never follows links

    # -- internals ------------------------------------------------------------------------------
    def _write(self, folder: int, leaf: str, content: bytes, replace: bool) -> bool:
        try:
            mode = os.stat(leaf, dir_fd=folder, follow_symlinks=False).st_mode
        except FileNotFoundError:
            mode = None
        if mode is not None and (not stat.S_ISREG(mode) or not replace):
            return False  # a folder or a link holds the name, or a file we may not replace
        temp = f"{_TEMP_PREFIX}{secrets.token_hex(8)}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=folder)
        try:
            try:
                view = memoryview(content)
                while view:
                    view = view[os.write(fd, view) :]
                if self._fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
            if replace:
                os.replace(temp, leaf, src_dir_fd=folder, dst_dir_fd=folder)
            else:
                try:
                    # link(2) fails if the name exists: exclusive creation of a complete file.
                    os.link(temp, leaf, src_dir_fd=folder, dst_dir_fd=folder, follow_symlinks=False)
                except FileExistsError:
                    return False
            if self._fsync:
                os.fsync(folder)
            return True
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp, dir_fd=folder)

    @contextmanager
    def _file(self, name: str) -> Iterator[int | None]:
        """A read descriptor of the regular file `name`, or None."""
        if not valid_name(name):
            yield None
            return
        parts = name.split("/")
        with self._directory(parts[:-1], create=False) as folder:
            fd = None
            if folder is not None:
                try:
                    fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, dir_fd=folder)
                except OSError:
                    fd = None
                if fd is not None and not stat.S_ISREG(os.fstat(fd).st_mode):
                    os.close(fd)
                    fd = None
            try:
                yield fd
            finally:
                if fd is not None:
                    os.close(fd)

    @contextmanager
    def _directory(self, parts: Sequence[str], *, create: bool) -> Iterator[int | None]:
        """A descriptor of the folder `parts` under the root, never through a link, or None."""
        fds: list[int] = []
        try:
            if create:
                self.root.mkdir(parents=True, exist_ok=True)
            try:
                fds.append(os.open(self.root, _DIR_FLAGS))
            except OSError:
                yield None
                return
            for part in parts:
                try:
                    fds.append(os.open(part, _DIR_FLAGS, dir_fd=fds[-1]))
                except FileNotFoundError:
                    if not create:
                        yield None
                        return
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(part, 0o700, dir_fd=fds[-1])
                    try:
                        fds.append(os.open(part, _DIR_FLAGS, dir_fd=fds[-1]))
                    except OSError:
                        yield None
                        return
                except OSError as exc:
                    if exc.errno in (errno.ENOTDIR, errno.ELOOP):  # a file or a link holds the name
                        yield None
                        return
                    raise
            yield fds[-1]
        finally:
            for fd in fds:
                os.close(fd)


def _walk(folder: int, prefix: str, out: list[str]) -> None:
    for entry in os.scandir(folder):
        if entry.name.startswith("."):
            continue
        name = f"{prefix}{entry.name}"
        if entry.is_file(follow_symlinks=False):
            if valid_name(name):
                out.append(name)
        elif entry.is_dir(follow_symlinks=False) and name.count("/") < MAX_DEPTH - 1:
            try:
                child = os.open(entry.name, _DIR_FLAGS, dir_fd=folder)
            except OSError:
                continue
            try:
                _walk(child, name + "/", out)
            finally:
                os.close(child)
