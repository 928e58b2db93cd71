"""exportar*?type=XLS: a business document as an .xlsx workbook, laid out as the real XLSExport.

The first sheet lists the lines (reference, description, quantity, price, discount, tax,
total) as numbers a spreadsheet can sum; the second, `doc`, has one row per header field.
"""

from __future__ import annotations

import io
from typing import Any

from .documents import DocType

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


def _cell(value: Any) -> Any:
    """A stored value as a cell: numbers stay numbers (a spreadsheet can sum them)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float, str)) or value is None:
        return value
    return str(value)


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
        sheet.append([_cell(line.get(field)) for _, field in LINE_COLUMNS])
    fields = book.create_sheet("doc")
    fields.append(["key", "value"])
    for key, value in header.items():
        if value is not None and not isinstance(value, (dict, list)):
            fields.append([key, str(value)])
    book.properties.creator = "FacturaScripts"
    book.properties.title = f"{doc.title} {header.get('codigo') or ''}".strip()
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
