"""The per-tenant file stores: a directory (TinyDB backend) and bytea rows (PostgreSQL)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from facturas_sandbox.store import Backend
from facturas_sandbox.store.files import DirectoryFileStore, valid_name

BAD_NAMES = ["", "/etc/passwd", "../x", "a/../b", "a//b", ".hidden", "a/.b", "a/", "MyFiles/..", "a\\b", "a b",
             "a\x00b", "ü.pdf", "x" * 256, "/".join("a" * 9), 5, None]  # fmt: skip


def test_put_get_size_exists_list_delete(backend: Backend) -> None:
    files = backend.files("t1")
    assert files.list() == [] and files.get("MyFiles/a.pdf") is None and not files.exists("MyFiles/a.pdf")
    assert files.put("MyFiles/a.pdf", b"%PDF-1")
    assert files.put("MyFiles/sub/b.png", b"\x89PNG\x00" * 1000)
    assert files.put("top.txt", b"")
    assert files.get("MyFiles/a.pdf") == b"%PDF-1" and files.size("MyFiles/sub/b.png") == 5000
    assert files.exists("top.txt") and files.size("top.txt") == 0
    assert files.list() == ["MyFiles/a.pdf", "MyFiles/sub/b.png", "top.txt"]
    assert files.list("MyFiles/") == ["MyFiles/a.pdf", "MyFiles/sub/b.png"]
    assert files.list("MyFiles/s") == ["MyFiles/sub/b.png"] and files.list("nothing") == []
    assert files.delete("MyFiles/a.pdf") and not files.delete("MyFiles/a.pdf")
    assert not files.delete("MyFiles")  # a folder is no file
    assert files.list() == ["MyFiles/sub/b.png", "top.txt"]


def test_a_taken_name_is_refused_unless_replacing(backend: Backend) -> None:
    files = backend.files("t1")
    assert files.put("MyFiles/a.pdf", b"first")
    assert not files.put("MyFiles/a.pdf", b"second")
    assert files.get("MyFiles/a.pdf") == b"first"
    assert files.put("MyFiles/a.pdf", b"second", replace=True)
    assert files.get("MyFiles/a.pdf") == b"second"


def test_a_name_is_a_file_or_a_folder_never_both(backend: Backend) -> None:
    files = backend.files("t1")
    assert files.put("MyFiles/a.pdf", b"x")
    assert not files.put("MyFiles", b"x") and not files.put("MyFiles", b"x", replace=True)
    assert not files.put("MyFiles/a.pdf/inner", b"x")
    assert files.list() == ["MyFiles/a.pdf"]


def test_invalid_names_name_nothing_and_cannot_be_written(backend: Backend) -> None:
    files = backend.files("t1")
    files.put("MyFiles/a.pdf", b"x")
    for name in BAD_NAMES:
        assert not valid_name(name)
        assert files.get(name) is None and files.size(name) is None  # type: ignore[arg-type]
        assert not files.exists(name) and not files.delete(name)  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            files.put(name, b"x")  # type: ignore[arg-type]
    assert files.list() == ["MyFiles/a.pdf"]


def test_tenants_have_separate_files_and_clear_removes_one_tenants(backend: Backend) -> None:
    one, two = backend.files("one"), backend.files("two")
    one.put("MyFiles/a.pdf", b"one")
    two.put("MyFiles/a.pdf", b"two")
    assert one.get("MyFiles/a.pdf") == b"one" and two.get("MyFiles/a.pdf") == b"two"
    one.clear()
    assert one.list() == [] and two.list() == ["MyFiles/a.pdf"]
    assert one.put("MyFiles/a.pdf", b"again")


def test_a_write_inside_a_failed_transaction_is_rolled_back_on_postgresql(backend: Backend, backend_name: str) -> None:
    store, files = backend.tenant("t1"), backend.files("t1")
    with pytest.raises(RuntimeError), store.transaction():
        files.put("MyFiles/a.pdf", b"x")
        store.collection("attachedfiles").insert({"id": 1, "path": "MyFiles/a.pdf"})
        raise RuntimeError
    # The directory store writes at once (callers remove what a failed write wrote); on
    # PostgreSQL the file went with the transaction.
    assert files.exists("MyFiles/a.pdf") is (backend_name == "tinydb")
    assert store.collection("attachedfiles").count() == 0


def test_the_directory_store_never_follows_a_link(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"host file")
    root = tmp_path / "files" / "t1"
    files = DirectoryFileStore(root)
    files.put("MyFiles/real.pdf", b"x")
    os.symlink(outside / "secret", root / "MyFiles" / "link.pdf")
    os.symlink(outside, root / "Linked")
    os.symlink(outside / "missing", root / "MyFiles" / "dangling.pdf")
    assert files.get("MyFiles/link.pdf") is None and files.get("Linked/secret") is None
    assert not files.exists("MyFiles/link.pdf") and files.size("Linked/secret") is None
    assert not files.put("MyFiles/link.pdf", b"overwrite?", replace=True)
    assert not files.put("Linked/new", b"escape?")
    assert not files.put("MyFiles/dangling.pdf", b"create through it?")
    assert not files.delete("MyFiles/link.pdf") and not files.delete("Linked/secret")
    assert files.list() == ["MyFiles/real.pdf"]
    assert (outside / "secret").read_bytes() == b"host file" and not (outside / "missing").exists()
    assert sorted(p.name for p in outside.iterdir()) == ["secret"]
    files.clear()
    assert (outside / "secret").exists() and not root.exists()


def test_the_directory_store_leaves_no_temporary_file(tmp_path: Path) -> None:
    files = DirectoryFileStore(tmp_path / "t1")
    files.put("a.pdf", b"x")
    files.put("a.pdf", b"y")  # refused
    files.put("a.pdf", b"z", replace=True)
    assert sorted(p.name for p in (tmp_path / "t1").iterdir()) == ["a.pdf"]
