"""How each API shows its invoices, for the business rules in `rules.py`.

An adapter finds the documents in a response body and states each API's own arithmetic, as
its contract documents it (and the sandbox's vendor packages implement it):

- Facturovia: line net = round(quantity × unit_price × (100 − discount)/100); bases summed per
  VAT rate, each rate's VAT rounded once; total = subtotal + VAT.
- Facturala: unit values include VAT; item total = round(q × unit) − round(q × unit × discount%);
  subTotalNoDiscounts = round(total / (1 + rate)), taxes = round(subTotal × rate), rate 16 or 19.
- FacturaScripts (Calculator): total = round(neto + totalsuplidos + totaliva + totalrecargo −
  totalirpf, 2).

Amounts are compared exactly as Decimals (bodies are parsed with `parse_float=Decimal`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def dec(value: Any) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not an amount: {value!r}")
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc


def _sign(value: Decimal) -> int:
    return (value > 0) - (value < 0)


# The relative spacing of IEEE doubles is 2.2e-16; a sum of a few of them may be off by a few
# of those steps. Below that, a difference is noise of the codec, not of the server's money.
DOUBLE_NOISE = Decimal("2e-15")


def within_double_noise(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) <= max(abs(a), abs(b)) * DOUBLE_NOISE


def same(shown: Any, expected: Decimal) -> bool:
    """Equal, or equal as the IEEE doubles most JSON codecs (the sandbox's included) turn
    numbers into: beyond 15-17 significant digits a JSON amount cannot carry its cents."""
    value = dec(shown)
    return value == expected or float(value) == float(expected) or within_double_noise(value, expected)


@dataclass
class Document:
    label: str
    raw: dict[str, Any]
    id: Any = None  # the server's id, when documents have one besides their number
    identity: Any = None  # what the ledgers key on
    series: Any = None
    number: str | None = None
    sequence: int | None = None  # the correlative part of the number
    issued: bool = False
    fingerprint: Any = None  # what must never change once issued
    # A rectificative's lines refund lines of its original: both are keyed by (line key, side),
    # side being the sign of the original line's quantity (a refund of a discount line, whose
    # quantity is negative, is positive). Quantities and nets as the document shows them.
    quantities: dict[tuple[str, int], Decimal] = field(default_factory=dict)
    nets: dict[tuple[str, int], Decimal] = field(default_factory=dict)
    total: Decimal = Decimal(0)
    refunds: Any = None  # identity of the invoice a rectificative refunds
    # Every line amount is >= 0: only then can a partial refund's total be compared with the
    # original's (a refund of one line of a mixed-sign invoice may exceed its total).
    nonnegative_lines: bool = False
    # A draft whose lines, as shown, are what a rectification would refund: FacturaScripts
    # issues a draft original when it rectifies it, so a draft's lines count until they change.
    refundable_draft: bool = False
    vat_groups: int = 1  # tax rates the document rounds on its own (when it has no breakdown)


class Adapter:
    name = ""

    def documents(self, case: Any, body: Any) -> list[Document]:
        return []

    def totals_problem(self, doc: Document) -> str | None:
        return None

    def creates_document(self, case: Any) -> bool:
        return False

    def is_complete_listing(self, case: Any, response: Any) -> bool:
        return False

    def edited_identity(self, case: Any) -> Any:
        """The issued document this request would change, if it is an edit or a deletion."""
        return None

    def changes_draft_lines(self, case: Any) -> bool:
        """Does this request change lines of drafts without showing them (a line resource)?"""
        return False


def _method(case: Any) -> str:
    return case.method.upper()


# -- Facturovia --------------------------------------------------------------------------------
_FV_NUMBER = re.compile(r"^([A-Z]*)(\d{4})-(\d+)$")


class Facturovia(Adapter):
    name = "facturovia"

    def _dicts(self, body: Any) -> Iterator[dict[str, Any]]:
        if isinstance(body, dict):
            if isinstance(body.get("data"), list):
                yield from (d for d in body["data"] if isinstance(d, dict))
            elif isinstance(body.get("invoice"), dict):
                yield body["invoice"]
            else:
                yield body

    def documents(self, case: Any, body: Any) -> list[Document]:
        path = case.operation.path
        if not (path.startswith("/invoices") or path.startswith("/quotes")):
            return []
        docs = []
        for raw in self._dicts(body):
            if not isinstance(raw.get("items"), list) or "total" not in raw:
                continue
            kind = "quote" if "quote_date" in raw else "invoice"
            number = raw.get("number")
            match = _FV_NUMBER.match(number) if isinstance(number, str) else None
            issued = kind == "invoice" and raw.get("status") == "issued"
            quantities: dict[tuple[str, int], Decimal] = {}
            nets: dict[tuple[str, int], Decimal] = {}
            nonnegative = True
            corrective = bool(raw.get("is_corrective"))
            for item in raw["items"]:
                try:
                    quantity, net = dec(item.get("quantity")), dec(item.get("net"))
                except ValueError:
                    nonnegative = False
                    continue
                nonnegative = nonnegative and net >= 0
                side = _sign(quantity) * (-1 if corrective else 1)
                key = (item.get("reference") or item.get("description"), side)
                quantities[key] = quantities.get(key, Decimal(0)) + quantity
                nets[key] = nets.get(key, Decimal(0)) + net
            try:
                total = dec(raw.get("total"))
            except ValueError:
                total = Decimal(0)
            docs.append(
                Document(
                    label=f"{kind} {number or '(draft)'} ({raw.get('id')})",
                    raw=raw,
                    id=raw.get("id"),
                    identity=(kind, raw.get("id")),
                    series=(kind, match.group(1), match.group(2)) if match else None,
                    number=number if match else None,
                    sequence=int(match.group(3)) if match else None,
                    issued=issued,
                    fingerprint={
                        k: raw.get(k)
                        for k in ("number", "invoice_date", "client_id", "currency", "items", "subtotal", "total")
                    },
                    quantities=quantities,
                    nets=nets,
                    total=total,
                    refunds=("invoice", raw.get("original_invoice_id")) if raw.get("is_corrective") else None,
                    nonnegative_lines=nonnegative,
                )
            )
        return docs

    def totals_problem(self, doc: Document) -> str | None:
        # Facturovia's rounding (line nets, then VAT once per rate) is written out again here on
        # purpose, not imported from domain/taxes.py: the checker must not share the code it
        # judges, or a rounding bug in the sandbox would pass its own check.
        raw = doc.raw
        try:
            bases: dict[Decimal, Decimal] = {}
            for n, item in enumerate(raw["items"]):
                quantity, price = dec(item["quantity"]), dec(item["unit_price"])
                discount = dec(item.get("discount_percent") or 0)
                net = cents(quantity * price * (HUNDRED - discount) / HUNDRED)
                if "net" in item and not same(item["net"], net) and raw.get("is_corrective"):
                    # A refund's net is its share of the original line's net: the last refund
                    # of a line takes exactly what is left (rectificative_refund checks the
                    # shares never exceed the line), so it may differ from quantity x price.
                    net = dec(item["net"])
                elif "net" in item and not same(item["net"], net):
                    return f"items[{n}].net is {item['net']}, the line gives {net}"
                rate = dec(item["vat_rate"])
                bases[rate] = bases.get(rate, Decimal(0)) + net
            expected = [(rate, cents(base), cents(base * rate / HUNDRED)) for rate, base in sorted(bases.items())]
            shown = sorted((dec(g["vat_rate"]), dec(g["base"]), dec(g["vat"])) for g in raw.get("vat_breakdown") or [])
            if len(shown) != len(expected) or not all(
                a[0] == b[0] and same(a[1], b[1]) and same(a[2], b[2]) for a, b in zip(shown, expected, strict=True)
            ):
                return f"vat_breakdown is {_fmt(shown)}, the lines give {_fmt(expected)} (VAT rounded per rate)"
            subtotal = sum((b for _, b, _ in expected), Decimal(0))
            vat = sum((v for _, _, v in expected), Decimal(0))
            for name, value in (("subtotal", subtotal), ("total_vat", vat), ("total", subtotal + vat)):
                if not same(raw[name], value):
                    return f"{name} is {raw[name]}, the lines give {value}"
        except (KeyError, TypeError, ValueError) as exc:
            return f"cannot reconcile totals: {exc}"
        return None

    def creates_document(self, case: Any) -> bool:
        path = case.operation.path
        return _method(case) == "POST" and path in (
            "/invoices",
            "/quotes",
            "/invoices/{id}/correct",
            "/invoices/{id}/rectify",
        )

    def is_complete_listing(self, case: Any, response: Any) -> bool:
        return _method(case) == "GET" and case.operation.path in ("/invoices", "/quotes") and not case.query

    def edited_identity(self, case: Any) -> Any:
        if case.operation.path == "/invoices/{id}" and _method(case) in ("PATCH", "PUT", "DELETE"):
            return ("invoice", (case.path_parameters or {}).get("id"))
        return None


def _fmt(groups: list[tuple[Decimal, Decimal, Decimal]]) -> str:
    return "[" + ", ".join(f"{r}%: base {b} VAT {v}" for r, b, v in groups) + "]"


# -- Facturala ---------------------------------------------------------------------------------
FACTURALA_RATES = (Decimal(16), Decimal(19))


class Facturala(Adapter):
    name = "facturala"

    def documents(self, case: Any, body: Any) -> list[Document]:
        if not case.operation.path.startswith("/companies/{companyId}/invoices"):
            return []
        company = (case.path_parameters or {}).get("companyId")
        raws = body if isinstance(body, list) else [body]
        docs = []
        for raw in raws:
            if not isinstance(raw, dict) or not isinstance(raw.get("totals"), dict) or "items" not in raw:
                continue
            number = raw.get("number")
            sequence = int(number) if isinstance(number, str) and number.isdigit() else None
            docs.append(
                Document(
                    label=f"invoice {number}",
                    raw=raw,
                    identity=(company, number),
                    series=company,
                    number=number,
                    sequence=sequence,
                    issued=True,  # numbered at creation; only its state may change afterwards
                    fingerprint={k: raw.get(k) for k in ("creationDate", "customer", "items", "totals")},
                )
            )
        return docs

    def totals_problem(self, doc: Document) -> str | None:
        raw = doc.raw
        try:
            total = discounts = Decimal(0)
            for n, item in enumerate(raw["items"]):
                gross = dec(item["quantity"]) * dec(item["unitValue"])
                off = cents(gross * dec(item["discount"]) / HUNDRED) if item.get("discount") is not None else Decimal(0)
                expected = cents(gross) - off
                if not same(item["total"], expected):
                    return f"items[{n}].total is {item['total']}, quantity × unitValue − discount gives {expected}"
                total += expected
                discounts += off
            totals = raw["totals"]
            if not same(totals["total"], total):
                return f"totals.total is {totals['total']}, the items add up to {total}"
            if not same(totals["discounts"], discounts):
                return f"totals.discounts is {totals['discounts']}, the items' discounts add up to {discounts}"
            sub, taxes = dec(totals["subTotalNoDiscounts"]), dec(totals["taxes"])
            splits = {rate: _split_vat_included(total, rate) for rate in FACTURALA_RATES}
            if not any(same(sub, b) and same(taxes, t) for b, t in splits.values()):
                options = "; ".join(f"{r}%: {b} + {t}" for r, (b, t) in splits.items())
                return f"subTotalNoDiscounts {sub} + taxes {taxes} is no VAT-included split of {total} ({options})"
        except (KeyError, TypeError, ValueError) as exc:
            return f"cannot reconcile totals: {exc}"
        return None

    def creates_document(self, case: Any) -> bool:
        return _method(case) == "POST" and case.operation.path == "/companies/{companyId}/invoices"

    def is_complete_listing(self, case: Any, response: Any) -> bool:
        return _method(case) == "GET" and case.operation.path == "/companies/{companyId}/invoices"


def _split_vat_included(total: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    base = cents(total / (1 + rate / HUNDRED))
    return base, cents(base * rate / HUNDRED)


# -- FacturaScripts ----------------------------------------------------------------------------
_FS_AMOUNTS = ("neto", "totalsuplidos", "totaliva", "totalrecargo", "totalirpf", "total")


class FacturaScripts(Adapter):
    name = "facturascripts"

    @staticmethod
    def _kind(case: Any) -> str | None:
        path = case.operation.path.lower()
        if "facturacliente" in path or "rectificativacliente" in path:
            return "cliente"
        if "facturaproveedor" in path:
            return "proveedor"
        return None

    def documents(self, case: Any, body: Any) -> list[Document]:
        kind = self._kind(case)
        # Lines are not documents, and `/{resource}/schema` describes columns, not a document.
        if kind is None or "linea" in case.operation.path or case.operation.path.endswith("/schema"):
            return []
        if isinstance(body, dict):
            inner = body.get("doc", body.get("data", body))
            raws = inner if isinstance(inner, list) else [inner]
        else:
            raws = body if isinstance(body, list) else []
        docs = []
        for raw in raws:
            if not isinstance(raw, dict) or "idfactura" not in raw or "total" not in raw:
                continue
            try:
                total = dec(raw["total"])
            except ValueError:
                total = Decimal(0)
            numero = raw.get("numero")
            number = str(numero) if numero not in (None, "") else None
            series = (kind, raw.get("idempresa"), raw.get("codejercicio"), raw.get("codserie"))
            docs.append(
                Document(
                    label=f"factura {raw.get('codigo') or number} (idfactura {raw['idfactura']})",
                    raw=raw,
                    id=str(raw["idfactura"]),
                    identity=(kind, str(raw["idfactura"])),
                    series=series,
                    number=number,
                    sequence=int(number) if number and number.isdigit() else None,
                    issued=raw.get("editable") in (False, 0, "0"),
                    fingerprint={
                        k: raw.get(k)
                        for k in ("codigo", "numero", "codserie", "fecha", "codcliente", "codproveedor", *_FS_AMOUNTS)
                    },
                    total=total,
                    refunds=(kind, str(raw["idfacturarect"])) if raw.get("idfacturarect") not in (None, "") else None,
                    refundable_draft=True,
                    **self._lines(body, raw),
                )
            )
        return docs

    @staticmethod
    def _lines(body: Any, raw: dict[str, Any]) -> dict[str, Any]:
        """Quantities and nets (`pvptotal`) of the lines a `{doc, lines}` answer shows, keyed by
        (`idlinea`, side), a rectificative's by the line it refunds (`idlinearect`); the side is
        the sign of the original line's quantity, as for Facturovia."""
        lines = body.get("lines") if isinstance(body, dict) and body.get("doc") is raw else None
        if not isinstance(lines, list):
            return {}
        refund = raw.get("idfacturarect") not in (None, "")
        quantities: dict[tuple[str, int], Decimal] = {}
        nets: dict[tuple[str, int], Decimal] = {}
        groups = set()
        nonnegative = True
        for line in lines:
            if not isinstance(line, dict):
                continue
            key = line.get("idlinearect") if refund else line.get("idlinea")
            try:
                quantity, net = dec(line.get("cantidad") or 0), dec(line.get("pvptotal") or 0)
            except ValueError:
                nonnegative = False
                continue
            if key is None:
                continue
            nonnegative = nonnegative and net >= 0
            side = (str(key), _sign(quantity) * (-1 if refund else 1))
            quantities[side] = quantities.get(side, Decimal(0)) + quantity
            nets[side] = nets.get(side, Decimal(0)) + net
            groups.add((line.get("iva"), line.get("recargo")))
        return {
            "quantities": quantities,
            "nets": nets,
            "nonnegative_lines": nonnegative and bool(quantities),
            # Each (IVA, recargo) group rounds its IVA, and its recargo when it has one.
            "vat_groups": max(len(groups) + sum(1 for _, recargo in groups if recargo), 1),
        }

    def changes_draft_lines(self, case: Any) -> bool:
        path = case.operation.path.lower()
        return _method(case) != "GET" and "/linea" in path and "factura" in path

    def totals_problem(self, doc: Document) -> str | None:
        raw = doc.raw
        try:
            parts = {k: dec(raw.get(k) or 0) for k in _FS_AMOUNTS}
        except ValueError as exc:
            return f"cannot reconcile totals: {exc}"
        expected = cents(
            parts["neto"] + parts["totalsuplidos"] + parts["totaliva"] + parts["totalrecargo"] - parts["totalirpf"]
        )
        if not same(parts["total"], expected):
            return f"total is {parts['total']}, neto + suplidos + IVA + recargo − IRPF gives {expected}"
        return None

    def creates_document(self, case: Any) -> bool:
        return _method(case) == "POST" and self._kind(case) is not None and "{" not in case.operation.path

    def edited_identity(self, case: Any) -> Any:
        # A non-editable FacturaScripts invoice may still change its payment and status fields,
        # so an accepted PUT is no violation by itself (the fingerprint is); deleting it is.
        kind = self._kind(case)
        if kind and _method(case) == "DELETE" and case.operation.path.endswith("/{pk}"):
            return (kind, str((case.path_parameters or {}).get("pk")))
        return None


ADAPTERS: dict[str, Adapter] = {a.name: a for a in (Facturovia(), Facturala(), FacturaScripts())}
