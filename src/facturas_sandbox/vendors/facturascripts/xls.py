"""exportar*?type=XLS: a business document as an .xlsx workbook, laid out as the real XLSExport.

The first sheet lists the lines (reference, description, quantity, price, discount, tax,
total) as numbers a spreadsheet can sum; the second, `doc`, has one row per header field.
"""

from __future__ import annotations

import io
import re
from typing import Any

from .doctypes import DocType

MEDIA_TYPE = "application/vnd.ms-excel"
LINE_COLUMNS = (
    ("Referencia", "referencia"),
    ("Descripción", "descripcion"),
    ("Cantidad", "cantidad"),
    ("Precio", "pvpunitario"),
    ("Dto. %", "dtopor"),
    ("IVA %", "iva"),
    ("Total", "pvptotal"),
)


# Characters a worksheet's XML cannot hold (the C0 controls openpyxl refuses with
# IllegalCharacterError; U+FFFE/U+FFFF, which it writes and spreadsheets then cannot read; CR,
# which an XML reader turns into LF), and text that would read as the workbook's own escape.
_NOT_IN_XLSX = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")


def xlsx_text(text: str) -> str:
    """Text as OOXML writes what XML cannot carry (ST_Xstring): `\u0001` as `_x0001_`, which
    a spreadsheet shows as the original character, and a literal `_x0041_` with its `_` escaped."""
    return _NOT_IN_XLSX.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def _cell(value: Any) -> Any:
    """A stored value as a cell: numbers stay numbers (a spreadsheet can sum them)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)) or value is None:
        return value
    return xlsx_text(str(value))


def _append(sheet: Any, row: list[Any]) -> None:
    sheet.append(row)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            # openpyxl stores text beginning with "=" as a formula: a description is text.
            cell.data_type = "s"


def export_xlsx(doc: DocType, header: dict[str, Any], lines: list[dict[str, Any]]) -> bytes:
    # Imported on first use: openpyxl costs start-up time and memory that most runs never need.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "sheet1"
    sheet.append([title for title, _ in LINE_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for line in lines:
        _append(sheet, [_cell(line.get(field)) for _, field in LINE_COLUMNS])
    fields = book.create_sheet("doc")
    fields.append(["key", "value"])
    for key, value in header.items():
        if value is not None and not isinstance(value, (dict, list)):
            _append(fields, [key, _cell(str(value))])
    book.properties.creator = "FacturaScripts"
    book.properties.title = xlsx_text(f"{doc.title} {header.get('codigo') or ''}".strip())
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
