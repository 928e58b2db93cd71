"""Where the bundled OpenAPI contracts and fixtures are, installed or in a checkout."""

from __future__ import annotations

import copy
import functools
import hashlib
import marshal
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

_PACKAGE = Path(__file__).resolve().parent


ENV_DIRS = {"openapi": "FACTURAS_SANDBOX_OPENAPI_DIR", "fixtures": "FACTURAS_SANDBOX_FIXTURES_DIR"}
CACHE_ENV = "FACTURAS_SANDBOX_CACHE_DIR"  # where parsed contracts are cached; "off" disables it


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


def cache_dir() -> Path | None:
    configured = os.environ.get(CACHE_ENV)
    if configured == "off":
        return None
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "facturas-sandbox"


def _parse(text: bytes) -> dict[str, Any]:
    return yaml.load(text, Loader=_Loader)  # a safe loader, C or Python


@functools.cache
def _load(path: str, mtime: float) -> dict[str, Any]:
    """Parse a contract once per content. Parsing the largest contract (FacturaScripts, 33k
    lines) takes about a second even with libyaml, so the parsed form is cached on disk under
    the SHA-256 of the file's bytes: an edited contract has another hash and is parsed again."""
    with open(path, "rb") as fh:
        raw = fh.read()
    folder = cache_dir()
    if folder is None:
        return _parse(raw)
    cached = folder / "contracts" / f"{hashlib.sha256(raw).hexdigest()}.marshal"
    try:
        return marshal.loads(cached.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        pass  # absent or unreadable: parse the YAML
    parsed = _parse(raw)
    tmp = None
    try:
        data = marshal.dumps(parsed)  # ValueError for values marshal cannot hold (dates): no cache
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cached.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, cached)
    except (OSError, ValueError):
        # A cache that cannot be written only costs the next start its parse.
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return parsed


def load_contract(name: str) -> dict[str, Any]:
    """The parsed contract. Loaded ourselves and handed to Connexion as a dict, so its Jinja2
    pass never sees the YAML (a literal `{{` in an example would break it)."""
    path = contract_path(name)
    return copy.deepcopy(_load(str(path), path.stat().st_mtime))
