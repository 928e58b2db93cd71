"""Derive the sandbox's FacturaScripts data files from a checkout of the real core.

A real Spanish installation is what the setup wizard leaves behind: every model's `install()`
imports its table's CSV (Core/Data/Codpais/ESP/<table>.csv, else Core/Data/Lang/ES/<table>.csv),
the wizard applies Core/Data/Codpais/ESP/default.json to the settings, the deploy writes one
`pages` row per controller (its getPageData()), and the first start creates the `admin` user.
This module reads those facts from a checkout of NeoRazorX/facturascripts and writes them as
data, typed by the column definitions of openapi/facturascripts/models.yaml:

- fixtures/facturascripts/<table>.json: the rows of every table the wizard fills;
- openapi/facturascripts/foreign_keys.yaml: the FOREIGN KEY constraints of Core/Table/*.xml,
  which the contract build carries as `x-foreign-keys`.

Nothing here runs when the sandbox serves; the outputs are committed. Run it again after a
core release:

    python -m facturas_sandbox.vendors.facturascripts.core_data /path/to/facturascripts [--check]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml
from defusedxml import ElementTree

from ...contracts import fixtures_dir, openapi_dir
from .contract import kind_of, source_dir

# Tables whose CSV a Spanish installation imports, in an order where references come first.
CSV_TABLES = (
    "paises",
    "provincias",
    "ciudades",
    "divisas",
    "diarios",
    "series",
    "impuestos",
    "retenciones",
    "idsfiscales",
    "formaspago",
    "estados_documentos",
    "agenciastrans",
    "cuentasesp",
    "emails_notifications",
    "formatos_documentos",
    "familias",
    "productos",
    "variantes",
    "roles",
    "roles_access",
)
# The wizard's answers for the demo company (Wizard::saveStep1/2/3 with its form's defaults):
# the country and warehouse, selling without stock ticked (Wizard-2's checkbox is checked
# while the setting is unset), the employee role as default, the API enabled (the sandbox is
# an API). The default tax and payment method come from default.json, as its selects show them.
WIZARD_DEFAULTS: dict[str, Any] = {
    "codpais": "ESP",
    "homepage": "Root",
    "codalmacen": "ALG",
    "idempresa": 1,
    "ventasinstock": True,
    "codrole": "employee",
    "enable_api": True,
}
# User::install() with the default `initial_user`/`initial_pass` (admin/admin) and `lang`;
# the wizard's last step sets the home page of a new installation to Dashboard. codalmacen
# '1' is what install() writes (no constraint checks it).
# password_hash("admin") as PHP writes it ($2y$ is the same bcrypt as $2b$); the column is hidden.
ADMIN_PASSWORD_HASH = "$2y$10$XSU/eO7VMznxNrDEYmopf.GRj/46W0olLdEKC3RLtP1J.OJ7FMT3m"
ADMIN_USER: dict[str, Any] = {
    "nick": "admin",
    "password": ADMIN_PASSWORD_HASH,
    "email": "",
    "admin": True,
    "enabled": True,
    "idempresa": 1,
    "codalmacen": "1",
    "langcode": "es_ES",
    "homepage": "Dashboard",
    "level": 99,
}
_FOREIGN_KEY = re.compile(
    r"FOREIGN KEY\s*\(([^)]*)\)\s*REFERENCES\s+([A-Za-z0-9_]+)\s*\(([^)]*)\)(.*)$", re.IGNORECASE | re.DOTALL
)
_ASSIGN = re.compile(r"\$data\['(\w+)'\]\s*=\s*(.+?);")
_CLASS = re.compile(r"^(?:abstract\s+)?class\s+(\w+)(?:\s+extends\s+(\w+))?(?:\s+implements\s+(\w+))?", re.M)
# Base classes whose getPageData() hides the page from the menu (EditController's).
_HIDDEN_BASES = {"EditController", "ComercialContactController"}


def models_by_table() -> dict[str, dict[str, Any]]:
    with open(source_dir() / "models.yaml", encoding="utf-8") as fh:
        return {m["table"]: m for m in yaml.safe_load(fh)["models"]}


def _typed(value: str, column: dict[str, Any]) -> Any:
    """A CSV value as the database stores it (CSVImport inserts the text; the column types it)."""
    kind = kind_of(column["type"])
    if value == "NULL":
        return None
    if kind == "string":
        return value
    if value == "":
        return None
    if kind == "boolean":
        return value.strip().lower() in ("true", "1", "t")
    if kind == "integer":
        return int(value)
    if kind == "number":
        number = float(value)
        return int(number) if number.is_integer() else number
    return value


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def _csv_path(core: Path, table: str) -> Path | None:
    # CSVImport::getTableFilePath: the country's file first, then the language's.
    for candidate in (core / "Core/Data/Codpais/ESP", core / "Core/Data/Lang/ES"):
        path = candidate / f"{table}.csv"
        if path.exists():
            return path
    return None


def table_rows(core: Path, table: str, model: dict[str, Any]) -> list[dict[str, Any]]:
    path = _csv_path(core, table)
    if path is None:
        raise SystemExit(f"no CSV for {table} in {core}")
    columns = {c["name"]: c for c in model["columns"]}
    rows = []
    for raw in read_csv(path.read_text(encoding="utf-8")):
        unknown = set(raw) - set(columns)
        if unknown:
            print(f"{table}: columns not in the model, dropped: {sorted(unknown)}", file=sys.stderr)
        rows.append({k: _typed(v, columns[k]) for k, v in raw.items() if k in columns})
    pk = model["primary_key"]
    if next(c for c in model["columns"] if c["name"] == pk)["type"] == "serial" and rows and pk not in rows[0]:
        # The CSV leaves the serial key to the database: 1, 2, 3 ... in file order.
        rows = [{pk: n, **row} for n, row in enumerate(rows, start=1)]
    return rows


def settings_rows(core: Path) -> list[dict[str, Any]]:
    """Settings after Wizard::preSetAppSettings (default.json) and the wizard's steps."""
    defaults = json.loads((core / "Core/Data/Codpais/ESP/default.json").read_text(encoding="utf-8"))
    defaults.setdefault("default", {}).update(WIZARD_DEFAULTS)
    return [
        {"name": name, "properties": json.dumps(values, ensure_ascii=False, separators=(",", ":"))}
        for name, values in defaults.items()
    ]


def _literal(expression: str) -> Any:
    expression = expression.strip()
    if expression in ("true", "false"):
        return expression == "true"
    if expression == "null":
        return None
    quoted = re.search(r"'([^']*)'\s*$", expression)  # 'x' or `… ?? 'FacturaScripts'`
    return quoted.group(1) if quoted else None


def page_rows(core: Path) -> list[dict[str, Any]]:
    """One page per controller, as PluginsDeploy::initControllers() saves getPageData()."""
    folder = core / "Core/Controller"
    classes: dict[str, tuple[str | None, str]] = {}
    for path in sorted(folder.glob("*.php")):
        source = path.read_text(encoding="utf-8")
        match = _CLASS.search(source)
        if match:
            classes[match.group(1)] = (match.group(2), source)
    rows = []
    for name, (parent, source) in sorted(classes.items()):
        if name == "Installer" or name.startswith("Api") or parent is None:
            continue  # no page: the installer, API controllers, bare ControllerInterface ones
        body = re.search(r"function getPageData\(\)[^{]*\{(.*?)\n    \}", source, re.S)
        data: dict[str, Any] = {"name": name, "title": name, "icon": "fa-solid fa-circle", "menu": "new"}
        data |= {"submenu": None, "showonmenu": True, "ordernum": 100}
        ancestor: str | None = parent
        while ancestor is not None:
            if ancestor in _HIDDEN_BASES:
                data["showonmenu"] = False
                break
            ancestor = classes.get(ancestor, (None, ""))[0]
        if body:
            for key, expression in _ASSIGN.findall(body.group(1)):
                value = _literal(expression)
                if key in data and (value is not None or expression.strip() == "null"):
                    data[key] = value
        data["ordernum"] = 100  # loadPage() saves every new page with 100
        rows.append(data)
    return rows


def wizard_tables(core: Path) -> dict[str, list[dict[str, Any]]]:
    models = models_by_table()
    tables = {table: table_rows(core, table, models[table]) for table in CSV_TABLES}
    tables["settings"] = settings_rows(core)
    tables["pages"] = page_rows(core)
    tables["users"] = [ADMIN_USER]
    return tables


def foreign_keys(core: Path) -> dict[str, list[dict[str, Any]]]:
    """FOREIGN KEY constraints per table, from Core/Table/*.xml, for the tables the sandbox models."""
    models = models_by_table()
    out: dict[str, list[dict[str, Any]]] = {}
    for path in sorted((core / "Core/Table").glob("*.xml")):
        table = path.stem
        if table not in models:
            continue
        root = ElementTree.parse(path).getroot()
        keys = []
        for constraint in root.findall("constraint"):
            match = _FOREIGN_KEY.match((constraint.findtext("type") or "").strip())
            if match is None:
                continue
            columns = [c.strip() for c in match.group(1).split(",")]
            references = match.group(2)
            if references not in models:
                print(f"{table}.{columns}: references {references}, which the sandbox does not model", file=sys.stderr)
            on_delete = re.search(r"ON DELETE (CASCADE|SET NULL|RESTRICT|NO ACTION)", match.group(4), re.I)
            keys.append(
                {
                    "name": constraint.findtext("name"),
                    "columns": columns,
                    "references": references,
                    "referenced_columns": [c.strip() for c in match.group(3).split(",")],
                    "on_delete": on_delete.group(1).upper() if on_delete else "RESTRICT",
                }
            )
        if keys:
            out[table] = keys
    return out


# -- writing ------------------------------------------------------------------------------------
def dump_rows(rows: list[dict[str, Any]]) -> str:
    """One row per line: readable diffs when a core release changes a few rows."""
    lines = [json.dumps(row, ensure_ascii=False, separators=(", ", ": ")) for row in rows]
    return "[\n" + ",\n".join(lines) + "\n]\n"


FK_HEADER = (
    "# GENERATED by `python -m facturas_sandbox.vendors.facturascripts.core_data` from the FOREIGN KEY\n"
    "# constraints of FacturaScripts' Core/Table/*.xml. Do not edit by hand.\n"
)


def outputs(core: Path) -> dict[Path, str]:
    files = {
        fixtures_dir() / "facturascripts" / f"{table}.json": dump_rows(rows)
        for table, rows in wizard_tables(core).items()
    }
    fks = foreign_keys(core)
    files[openapi_dir() / "facturascripts" / "foreign_keys.yaml"] = FK_HEADER + yaml.safe_dump(
        {"foreign_keys": fks}, sort_keys=False, allow_unicode=True, width=200, default_flow_style=None
    )
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("core", type=Path, help="a checkout of NeoRazorX/facturascripts")
    parser.add_argument("--check", action="store_true", help="fail if a committed file differs")
    args = parser.parse_args(argv)
    stale = []
    for path, text in outputs(args.core).items():
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if stale:
        print("out of date: " + ", ".join(str(p) for p in stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
