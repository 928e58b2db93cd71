"""Validate each contract once per content, not on every start.

Connexion validates a specification against the OpenAPI meta-schema every time `add_api` is
called, and offers no switch for it. For the four bundled contracts that is more than a second
of every start (FacturaScripts' contract alone has 33k lines), spent re-proving what was proved
on the previous start. `validate_once` wraps Connexion's validation (connexion 3.3, pinned):
a contract whose exact content passed before is not validated again; anything new or edited —
a contract changed under `serve --reload` included — is validated in full, and an invalid one
is refused exactly as before. Verdicts are remembered in memory and, as empty marker files,
in the parsed-contract cache directory.
"""

from __future__ import annotations

import hashlib
import marshal
from pathlib import Path
from typing import Any

from connexion.spec import OpenAPISpecification

from .contracts import cache_dir

_validated: set[str] = set()
_original = OpenAPISpecification._validate_spec.__func__


def _digest(spec: dict[str, Any]) -> str | None:
    try:
        return hashlib.sha256(marshal.dumps(spec)).hexdigest()
    except ValueError:  # a value marshal cannot hold: validate every time
        return None


def _marker(digest: str) -> Path | None:
    folder = cache_dir()
    return None if folder is None else folder / "validated" / digest


def _validate_once(cls: type, spec: dict[str, Any]) -> None:
    digest = _digest(spec)
    if digest is not None:
        marker = _marker(digest)
        if digest in _validated or (marker is not None and marker.exists()):
            _validated.add(digest)
            return
    _original(cls, spec)  # raises InvalidSpecification for an invalid contract
    if digest is None:
        return
    _validated.add(digest)
    marker = _marker(digest)
    if marker is not None:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:
            pass  # an unwritable cache only costs the next start a validation


def install() -> None:
    OpenAPISpecification._validate_spec = classmethod(_validate_once)
