"""The package's import graph: no module-level cycle, and no import hidden inside a function to
dodge one. A function-level import of the project's own code is allowed only where it is listed
below with its reason (start-up cost, a backend or command chosen at run time)."""

from __future__ import annotations

import ast
from pathlib import Path

import facturas_sandbox

ROOT = Path(facturas_sandbox.__file__).parent
PACKAGE = "facturas_sandbox"

# module -> why its functions import project code lazily.
LAZY_ALLOWED = {
    "cli": "each command imports its own machinery (uvicorn, the app, the store) only when it runs",
    "conformance.cli": "`conform` imports Schemathesis and the runner only when it runs",
    "conformance.proxy": "the proxy answers in the vendor's error shape (vendor.error_response) only in --strict mode",
    "pytest_plugin": "pytest loads the plugin in every run; the sandbox only when a test asks for it",
    "responses": "the tenant type is needed only when a handler asks for the request's tenant",
    "shared": "the PostgreSQL shared state (psycopg) only when the sandbox runs on PostgreSQL",
    "store": "the backend chosen at run time: psycopg only for PostgreSQL",
    "store.pg_schema": "a migration step reads the query module only when it runs",
    "store.tinydb_query": "the TinyDB backend only when a TinyDB query runs",
    "store_copy": "the copy command loads the sandbox and FacturaScripts' models only when it runs",
    "testing": "the app and the server only when a test starts a sandbox",
    "vendors": "a broken vendor package fails at start-up (all_vendors), not when the names are imported",
    # Inside FacturaScripts only third-party start-up cost is deferred, never a project module
    # but the PDF renderer (fpdf2, half a second to import) that only an export needs.
    "vendors.facturascripts.documents": "fpdf2 (through domain.pdf) only for the first PDF export",
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The project modules an import statement loads (relative to the package root). The
    importer's own packages are left out: Python has initialised them before it runs the module."""
    is_package = MODULES[module].name == "__init__.py"
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    elif node.level == 0:
        names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
    else:
        base = module.split(".") if module else []
        if not is_package:
            base = base[:-1]
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join([PACKAGE, *base, *([node.module] if node.module else [])])
        names = [prefix] + [f"{prefix}.{a.name}" for a in node.names]
    out = set()
    for name in names:
        if name == PACKAGE or name.startswith(PACKAGE + "."):
            relative = name.removeprefix(PACKAGE).removeprefix(".")
            ancestor = relative == "" or module.startswith(relative + ".")
            if relative in MODULES and relative != module and not ancestor:
                out.add(relative)
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level(module: str, body: list[ast.stmt]) -> set[str]:
    out: set[str] = set()
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            out |= _targets(module, node)
        elif isinstance(node, ast.If) and not _is_type_checking(node):
            out |= _module_level(module, node.body + node.orelse)
        elif isinstance(node, ast.Try):
            out |= _module_level(module, node.body + node.orelse + node.finalbody)
    return out


def _function_level(module: str, tree: ast.Module) -> set[str]:
    out: set[str] = set()
    for function in ast.walk(tree):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(function):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    out |= _targets(module, node) or {"<third party>"}
    return out


TREES = {module: ast.parse(path.read_text(encoding="utf-8")) for module, path in MODULES.items()}
GRAPH = {module: _module_level(module, tree.body) for module, tree in TREES.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_the_checker_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_graph_sees_relative_imports() -> None:
    assert "vendors.facturascripts.hooks" in GRAPH["vendors.facturascripts.engine"]
    assert "errors" in GRAPH["vendors.facturascripts.engine"]


def test_no_module_level_import_cycle() -> None:
    assert _cycle(GRAPH) is None


def test_function_level_imports_are_the_listed_ones() -> None:
    lazy = {
        module: targets
        for module, tree in TREES.items()
        if (targets := _function_level(module, tree) - {"<third party>"}) and module not in LAZY_ALLOWED
    }
    assert lazy == {}


def test_facturascripts_imports_its_own_modules_at_top_level() -> None:
    vendor = "vendors.facturascripts"
    hidden = {
        module: sorted(t for t in _function_level(module, tree) if t.startswith(vendor))
        for module, tree in TREES.items()
        if module.startswith(vendor)
    }
    assert {m: t for m, t in hidden.items() if t} == {}


def test_the_allow_list_has_no_stale_entry() -> None:
    stale = [m for m in LAZY_ALLOWED if not _function_level(m, TREES[m]) - {"<third party>"}]
    assert stale == []
