"""Where the bundled OpenAPI contracts and fixtures are, installed or in a checkout."""

from __future__ import annotations

import copy
import functools
import os
from pathlib import Path
from typing import Any

import yaml

_PACKAGE = Path(__file__).resolve().parent


ENV_DIRS = {"openapi": "FACTURAS_SANDBOX_OPENAPI_DIR", "fixtures": "FACTURAS_SANDBOX_FIXTURES_DIR"}


def _data_dir(name: str) -> Path:
    # Overridable, to serve edited copies of the contracts or fixtures (with `serve --reload`).
    override = os.environ.get(ENV_DIRS[name])
    if override:
        return Path(override)
    # A wheel carries them inside the package (pyproject's force-include); a checkout or an
    # editable install has them at the top of the repository.
    packaged = _PACKAGE / "_data" / name
    if packaged.is_dir():
        return packaged
    for parent in _PACKAGE.parents:
        candidate = parent / name
        if candidate.is_dir() and (parent / "pyproject.toml").exists():
            return candidate
    raise FileNotFoundError(f"cannot find the {name}/ directory of facturas-sandbox")


def openapi_dir() -> Path:
    return _data_dir("openapi")


def fixtures_dir() -> Path:
    return _data_dir("fixtures")


def contract_path(name: str) -> Path:
    return openapi_dir() / f"{name}.yaml"


# libyaml's C parser reads the big contracts four times faster than the pure-Python one.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def _load(path: str, mtime: float) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_Loader)  # a safe loader, C or Python


def load_contract(name: str) -> dict[str, Any]:
    """The parsed contract. Loaded ourselves and handed to Connexion as a dict, so its Jinja2
    pass never sees the YAML (a literal `{{` in an example would break it)."""
    path = contract_path(name)
    return copy.deepcopy(_load(str(path), path.stat().st_mtime))
