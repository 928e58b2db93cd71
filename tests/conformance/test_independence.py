"""The QA tool judges a server from the contracts alone: conformance/ imports no vendor code."""

from __future__ import annotations

import ast
from pathlib import Path

import facturas_sandbox.conformance
from facturas_sandbox.vendors import all_vendors, vendor_names

CONFORMANCE = Path(facturas_sandbox.conformance.__file__).parent
# (module, name) imports of the vendors package conformance/ may make, and why.
ALLOWED = {
    ("vendors", "vendor_names"): "the list of API names, which imports no vendor",
    # Not a judgement: `proxy --strict` answers a violating request in the API's own error
    # shape, which only the vendor's error_response knows.
    ("vendors", "all_vendors"): "proxy --strict renders its refusals as the vendor does",
}


def _vendor_imports(path: Path) -> set[tuple[str, str]]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 2 or module.startswith("facturas_sandbox."):
                module = module.removeprefix("facturas_sandbox.")
            elif node.level == 1 or node.level > 2:
                continue  # conformance's own modules (or a level the package does not have)
            if module == "vendors" or module.startswith("vendors."):
                found |= {(module, alias.name) for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {(a.name, "") for a in node.names if a.name.startswith("facturas_sandbox.vendors")}
    return found


def test_conformance_imports_no_vendor_code() -> None:
    imports = {(path.name, *found) for path in sorted(CONFORMANCE.rglob("*.py")) for found in _vendor_imports(path)}
    assert {(module, name) for _, module, name in imports} <= set(ALLOWED), sorted(imports)
    assert ("proxy.py", "vendors", "all_vendors") in imports  # the checker sees what it allows


def test_the_checker_sees_a_vendor_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from ..vendors.facturascripts.documents import DOC_TYPES\n")
    assert _vendor_imports(module) == {("vendors.facturascripts.documents", "DOC_TYPES")}


def test_the_vendor_names_are_the_vendors() -> None:
    assert vendor_names() == [v.name for v in all_vendors()]
