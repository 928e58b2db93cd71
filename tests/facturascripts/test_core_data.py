"""The generator of the installation's data files reads a core checkout as the real server does."""

from __future__ import annotations

from pathlib import Path

from facturas_sandbox.vendors.facturascripts import core_data
from facturas_sandbox.vendors.facturascripts.core_data import models_by_table


def _write(root: Path, path: str, text: str) -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def test_csv_rows_are_typed_by_the_columns_and_the_country_file_wins(tmp_path: Path) -> None:
    _write(tmp_path, "Core/Data/Lang/ES/series.csv", 'codserie;descripcion;tipo;siniva\n"A";"Lang";;false\n')
    _write(tmp_path, "Core/Data/Codpais/ESP/series.csv", 'codserie;descripcion;tipo;siniva\n"A";"General";;true\n')
    _write(tmp_path, "Core/Data/Lang/ES/diarios.csv", '"iddiario";"descripcion"\n"1";"Principal"\n')
    roles = '"codrole";"pagename";allowdelete\n"employee";"Dashboard";false\n'
    _write(tmp_path, "Core/Data/Lang/ES/roles_access.csv", roles)
    models = models_by_table()
    assert core_data.table_rows(tmp_path, "series", models["series"]) == [
        {"codserie": "A", "descripcion": "General", "tipo": "", "siniva": True}
    ]
    assert core_data.table_rows(tmp_path, "diarios", models["diarios"]) == [{"iddiario": 1, "descripcion": "Principal"}]
    # a serial key the CSV leaves out is numbered in file order, as the database does
    assert core_data.table_rows(tmp_path, "roles_access", models["roles_access"]) == [
        {"id": 1, "codrole": "employee", "pagename": "Dashboard", "allowdelete": False}
    ]


def test_pages_come_from_the_controllers_page_data(tmp_path: Path) -> None:
    base = "<?php\nnamespace X;\n"
    _write(
        tmp_path,
        "Core/Controller/ListThing.php",
        base + "class ListThing extends ListController\n{\n    public function getPageData(): array\n    {\n"
        "        $data = parent::getPageData();\n        $data['menu'] = 'sales';\n"
        "        $data['title'] = 'things';\n        $data['ordernum'] = 5;\n        return $data;\n    }\n}\n",
    )
    _write(tmp_path, "Core/Controller/EditThing.php", base + "class EditThing extends EditController\n{\n}\n")
    _write(tmp_path, "Core/Controller/ApiThing.php", base + "class ApiThing extends ApiController\n{\n}\n")
    _write(tmp_path, "Core/Controller/Cron.php", base + "class Cron implements ControllerInterface\n{\n}\n")
    pages = {p["name"]: p for p in core_data.page_rows(tmp_path)}
    assert set(pages) == {"ListThing", "EditThing"}
    assert (pages["ListThing"]["menu"], pages["ListThing"]["title"], pages["ListThing"]["showonmenu"]) == (
        "sales",
        "things",
        True,
    )
    assert pages["ListThing"]["ordernum"] == 100  # a new page is saved with 100 whatever it asks
    assert (pages["EditThing"]["title"], pages["EditThing"]["showonmenu"]) == ("EditThing", False)


def test_foreign_keys_come_from_the_table_definitions(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "Core/Table/ciudades.xml",
        "<table><column><name>idciudad</name></column><constraint><name>ca_ciudades_provincias</name>"
        "<type>FOREIGN KEY (idprovincia) REFERENCES provincias (idprovincia) ON DELETE CASCADE ON UPDATE CASCADE"
        "</type></constraint><constraint><name>ciudades_pkey</name><type>PRIMARY KEY (idciudad)</type>"
        "</constraint></table>",
    )
    assert core_data.foreign_keys(tmp_path) == {
        "ciudades": [
            {
                "name": "ca_ciudades_provincias",
                "columns": ["idprovincia"],
                "references": "provincias",
                "referenced_columns": ["idprovincia"],
                "on_delete": "CASCADE",
            }
        ]
    }
