"""Invoice PDFs with fpdf2: one layout that every vendor fills from its own data.

The layout follows what a Spanish or Colombian reader expects of a paper invoice: issuer
block top left, document title and number top right, customer block, a lines table, the
tax breakdown, the totals box and free notes. Drafts carry a diagonal watermark.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from fpdf import FPDF

from .money import round_cents


@dataclass(frozen=True)
class Party:
    name: str
    tax_id_label: str
    tax_id: str
    lines: tuple[str, ...] = ()  # address, city, email ...


@dataclass(frozen=True)
class PdfLine:
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal
    tax_rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class InvoicePdf:
    title: str  # "FACTURA", "FACTURA RECTIFICATIVA", "FACTURA DE VENTA"
    number: str
    date: str
    issuer: Party
    customer: Party
    lines: tuple[PdfLine, ...]
    tax_rows: tuple[tuple[str, Decimal, Decimal], ...]  # (label, base, tax)
    totals: tuple[tuple[str, Decimal], ...]  # last one is printed bold
    currency: str = "EUR"
    labels: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    watermark: str | None = None
    extra_header: tuple[str, ...] = ()  # e.g. "Rectifica a: 2026-0001 (R1)"
    decimals: int = 2
    thousands: str = "."
    decimal_point: str = ","


_SPANISH_LABELS = {
    "customer": "Cliente",
    "date": "Fecha",
    "number": "Número",
    "description": "Descripción",
    "quantity": "Cant.",
    "price": "Precio",
    "discount": "Dto. %",
    "tax": "IVA %",
    "amount": "Importe",
    "base": "Base imponible",
    "tax_amount": "Cuota",
}


def _cp1252(text: str) -> str:
    # The core Helvetica font covers Windows-1252 (accents, ñ, €); anything else is replaced
    # rather than breaking the document.
    return text.encode("cp1252", errors="replace").decode("cp1252")


def format_amount(value: Decimal, doc: InvoicePdf) -> str:
    quantized = round_cents(value) if doc.decimals == 2 else value.quantize(Decimal(1).scaleb(-doc.decimals))
    sign = "-" if quantized < 0 else ""
    whole, _, frac = f"{abs(quantized):.{doc.decimals}f}".partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = doc.thousands.join(groups)
    return f"{sign}{text}{doc.decimal_point}{frac}" if frac else f"{sign}{text}"


def _plain(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text.replace(".", ",")


class _Document(FPDF):
    def __init__(self, doc: InvoicePdf) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.core_fonts_encoding = "cp1252"
        self.doc = doc
        self.set_auto_page_break(auto=True, margin=22)
        self.set_title(_cp1252(f"{doc.title} {doc.number}"))
        self.set_author(_cp1252(doc.issuer.name))
        self.set_creator("facturas-sandbox")

    def header(self) -> None:
        if self.doc.watermark:
            with self.local_context(text_color=(225, 225, 225)):
                self.set_font("Helvetica", "B", 70)
                with self.rotation(35, x=105, y=150):
                    self.text(30, 175, _cp1252(self.doc.watermark))

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", "", 7)
        self.set_text_color(120, 120, 120)
        self.cell(
            0,
            5,
            _cp1252(f"{self.doc.issuer.name} · {self.doc.issuer.tax_id_label} {self.doc.issuer.tax_id}"),
            align="L",
        )
        self.cell(0, 5, f"{self.page_no()}/{{nb}}", align="R")


def render_invoice(doc: InvoicePdf) -> bytes:
    labels = {**_SPANISH_LABELS, **doc.labels}
    pdf = _Document(doc)
    pdf.alias_nb_pages()
    pdf.add_page()

    # Issuer (left) and document title (right).
    pdf.set_font("Helvetica", "B", 13)
    pdf.set_xy(15, 15)
    pdf.multi_cell(100, 6, _cp1252(doc.issuer.name))
    pdf.set_font("Helvetica", "", 9)
    pdf.set_x(15)
    pdf.multi_cell(100, 4.5, _cp1252("\n".join((f"{doc.issuer.tax_id_label} {doc.issuer.tax_id}", *doc.issuer.lines))))
    pdf.set_xy(120, 15)
    pdf.set_font("Helvetica", "B", 16)
    pdf.set_text_color(30, 60, 110)
    pdf.cell(75, 8, _cp1252(doc.title), align="R")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("Helvetica", "", 10)
    pdf.set_xy(120, 25)
    pdf.cell(75, 5, _cp1252(f"{labels['number']}: {doc.number}"), align="R")
    pdf.set_xy(120, 30)
    pdf.cell(75, 5, _cp1252(f"{labels['date']}: {doc.date}"), align="R")
    y: float = 35
    for text in doc.extra_header:
        pdf.set_xy(120, y)
        pdf.cell(75, 5, _cp1252(text), align="R")
        y += 5

    # Customer box.
    top = max(pdf.get_y() + 8, 52)
    pdf.set_draw_color(180, 180, 180)
    pdf.set_xy(15, top)
    pdf.set_font("Helvetica", "B", 9)
    pdf.cell(0, 5, _cp1252(labels["customer"].upper()))
    pdf.set_xy(15, top + 6)
    pdf.set_font("Helvetica", "B", 10)
    pdf.multi_cell(110, 5, _cp1252(doc.customer.name))
    pdf.set_font("Helvetica", "", 9)
    pdf.set_x(15)
    pdf.multi_cell(
        110, 4.5, _cp1252("\n".join((f"{doc.customer.tax_id_label} {doc.customer.tax_id}", *doc.customer.lines)))
    )
    pdf.rect(13, top - 2, 114, pdf.get_y() - top + 4)

    # Lines table.
    pdf.set_y(pdf.get_y() + 8)
    widths = (80, 16, 24, 14, 14, 32)
    heads = (
        labels["description"],
        labels["quantity"],
        labels["price"],
        labels["discount"],
        labels["tax"],
        labels["amount"],
    )
    pdf.set_font("Helvetica", "B", 8.5)
    pdf.set_fill_color(30, 60, 110)
    pdf.set_text_color(255, 255, 255)
    pdf.set_x(15)
    for width, head, align in zip(widths, heads, ("L", "R", "R", "R", "R", "R"), strict=True):
        pdf.cell(width, 7, _cp1252(head), border=0, align=align, fill=True)
    pdf.ln()
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("Helvetica", "", 8.5)
    for n, line in enumerate(doc.lines):
        fill = n % 2 == 1
        pdf.set_fill_color(240, 243, 248)
        pdf.set_x(15)
        cells = (
            line.description,
            _plain(line.quantity),
            format_amount(line.unit_price, doc),
            _plain(line.discount),
            _plain(line.tax_rate),
            format_amount(line.amount, doc),
        )
        for width, text, align in zip(widths, cells, ("L", "R", "R", "R", "R", "R"), strict=True):
            text = _cp1252(text)
            while width > 4 and pdf.get_string_width(text) > width - 2:
                text = text[:-2] + "…" if len(text) > 2 else text[:-1]
                text = _cp1252(text)
            pdf.cell(width, 6.5, text, align=align, fill=fill)
        pdf.ln()
    pdf.set_draw_color(30, 60, 110)
    pdf.line(15, pdf.get_y(), 195, pdf.get_y())

    # Tax breakdown (left) and totals (right).
    y = pdf.get_y() + 6
    pdf.set_xy(15, y)
    pdf.set_font("Helvetica", "B", 8.5)
    for width, head in zip((40, 30, 30), ("", labels["base"], labels["tax_amount"]), strict=True):
        pdf.cell(width, 6, _cp1252(head), align="R" if head else "L")
    pdf.ln()
    pdf.set_font("Helvetica", "", 8.5)
    for label, base, tax in doc.tax_rows:
        pdf.set_x(15)
        pdf.cell(40, 5.5, _cp1252(label))
        pdf.cell(30, 5.5, format_amount(base, doc), align="R")
        pdf.cell(30, 5.5, format_amount(tax, doc), align="R")
        pdf.ln()
    bottom_left = pdf.get_y()
    pdf.set_xy(125, y)
    for n, (label, amount) in enumerate(doc.totals):
        last = n == len(doc.totals) - 1
        pdf.set_x(125)
        pdf.set_font("Helvetica", "B" if last else "", 11 if last else 9)
        if last:
            pdf.set_fill_color(230, 236, 245)
        pdf.cell(38, 7 if last else 6, _cp1252(label), fill=last)
        pdf.cell(32, 7 if last else 6, _cp1252(f"{format_amount(amount, doc)} {doc.currency}"), align="R", fill=last)
        pdf.ln()

    # Notes.
    pdf.set_y(max(pdf.get_y(), bottom_left) + 10)
    pdf.set_font("Helvetica", "", 8.5)
    for note in doc.notes:
        pdf.set_x(15)
        pdf.multi_cell(180, 4.5, _cp1252(note))
        pdf.ln(1)
    return bytes(pdf.output())
