"""Contracts are validated once per content; an invalid or edited contract is still refused."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from connexion.exceptions import InvalidSpecification
from connexion.spec import Specification

from facturas_sandbox import spec_validation
from facturas_sandbox.contracts import load_contract


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACTURAS_SANDBOX_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(spec_validation, "_validated", set())
    spec_validation.install()


def test_a_valid_contract_is_validated_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    original = spec_validation._original
    monkeypatch.setattr(spec_validation, "_original", lambda cls, spec: calls.append(1) or original(cls, spec))
    contract = load_contract("facturovia")
    Specification.from_dict(copy.deepcopy(contract))
    Specification.from_dict(copy.deepcopy(contract))
    assert calls == [1]
    monkeypatch.setattr(spec_validation, "_validated", set())  # a new process: the marker file remembers
    Specification.from_dict(copy.deepcopy(contract))
    assert calls == [1]


def test_an_invalid_or_edited_contract_is_validated_and_refused() -> None:
    contract = load_contract("facturovia")
    Specification.from_dict(copy.deepcopy(contract))
    broken = copy.deepcopy(contract)
    broken["paths"]["/invoices"]["get"]["responses"] = "not a responses object"
    with pytest.raises(InvalidSpecification):
        Specification.from_dict(broken)
    with pytest.raises(InvalidSpecification):
        Specification.from_dict(copy.deepcopy(broken))  # refused every time, never remembered
