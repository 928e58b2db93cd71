"""The parsed-contract cache: same data as parsing the YAML, and an edit is never served stale."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from facturas_sandbox import contracts


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    openapi, cache = tmp_path / "openapi", tmp_path / "cache"
    openapi.mkdir()
    monkeypatch.setenv(contracts.ENV_DIRS["openapi"], str(openapi))
    monkeypatch.setenv(contracts.CACHE_ENV, str(cache))
    return openapi, cache


def test_cached_contract_equals_the_parsed_yaml(dirs: tuple[Path, Path]) -> None:
    openapi, cache = dirs
    source = Path(__file__).resolve().parent.parent / "openapi" / "facturovia.yaml"
    (openapi / "x.yaml").write_bytes(source.read_bytes())
    first = contracts.load_contract("x")
    assert list((cache / "contracts").glob("*.marshal")), "the parse was not cached"
    contracts._load.cache_clear()  # a new process: only the disk cache is left
    second = contracts.load_contract("x")
    assert first == second == yaml.safe_load(source.read_text(encoding="utf-8"))


def test_an_edited_contract_is_parsed_again(dirs: tuple[Path, Path]) -> None:
    openapi, _ = dirs
    path = openapi / "y.yaml"
    path.write_text("openapi: 3.0.3\ninfo: {title: one, version: '1'}\npaths: {}\n")
    assert contracts.load_contract("y")["info"]["title"] == "one"
    contracts._load.cache_clear()
    path.write_text("openapi: 3.0.3\ninfo: {title: two, version: '1'}\npaths: {}\n")
    assert contracts.load_contract("y")["info"]["title"] == "two"


def test_the_cache_can_be_turned_off(dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    openapi, cache = dirs
    monkeypatch.setenv(contracts.CACHE_ENV, "off")
    (openapi / "z.yaml").write_text("openapi: 3.0.3\ninfo: {title: z, version: '1'}\npaths: {}\n")
    assert contracts.load_contract("z")["info"]["title"] == "z"
    assert not cache.exists()
