"""Business rules that JSON Schema cannot state, as Schemathesis custom checks.

Each rule is one small class registered with `schemathesis.check`: Schemathesis builds one
instance per run, so a rule can remember what earlier responses showed (a ledger of invoices)
and flag a later response that contradicts them. Each API describes its own documents through
an adapter (`adapters.py`): where the invoices are in a response, their number and series,
whether they are issued, and its rounding rule. A rule is inactive while no API is active
(`activate` is called by the runner), so these checks never fire on unrelated schemas.

A failure names the rule, the request and the response (`RuleViolation`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import schemathesis

from .adapters import ADAPTERS, Adapter, Document, within_double_noise

_active: Adapter | None = None

RULE_NAMES = ("totals_reconcile", "numbering_unique_correlative", "issued_invoice_frozen", "rectificative_refund")


def activate(api: str | None) -> None:
    """Make `api`'s adapter the one rules use for the next run (None: rules stay silent)."""
    global _active
    _active = ADAPTERS.get(api) if api else None


def active() -> Adapter | None:
    return _active


class RuleViolation(AssertionError):
    pass


def _body(response: Any) -> Any:
    if not response.content:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    if "json" not in content_type:
        return None
    try:
        return json.loads(response.content, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        return None


def _excerpt(response: Any, limit: int = 400) -> str:
    text = (response.content or b"").decode("utf-8", errors="replace")
    return text if len(text) <= limit else text[:limit] + "…"


def violation(rule: str, message: str, case: Any, response: Any) -> RuleViolation:
    request = f"{case.method.upper()} {case.formatted_path}"
    if case.query:
        request += "?" + "&".join(f"{k}={v}" for k, v in case.query.items())
    return RuleViolation(
        f"Business rule `{rule}` broken: {message}\n"
        f"Request: {request}\n"
        f"Response: {response.status_code} {_excerpt(response)}"
    )


@dataclass
class _Exchange:
    adapter: Adapter
    documents: list[Document]


def _documents(case: Any, response: Any) -> _Exchange | None:
    adapter = _active
    if adapter is None or not 200 <= response.status_code < 300:
        return None
    body = _body(response)
    if body is None:
        return None
    return _Exchange(adapter, adapter.documents(case, body))


@schemathesis.check
class totals_reconcile:  # lower case: the class name is the check name reports show
    """Every document's totals follow from its lines by the API's own rounding rule."""

    def after_response(self, ctx: Any, response: Any, case: Any) -> bool | None:
        exchange = _documents(case, response)
        if exchange is None:
            return None
        for doc in exchange.documents:
            problem = exchange.adapter.totals_problem(doc)
            if problem:
                raise violation("totals_reconcile", f"{doc.label}: {problem}", case, response)
        return None


@dataclass
class _Seen:
    doc_id: str | None
    label: str


@schemathesis.check
class numbering_unique_correlative:
    """A number belongs to one document in its series; a complete listing has no gaps."""

    def __init__(self) -> None:
        self.owners: dict[tuple[Any, ...], _Seen] = {}

    def after_response(self, ctx: Any, response: Any, case: Any) -> bool | None:
        exchange = _documents(case, response)
        if exchange is None:
            return None
        adapter = exchange.adapter
        creates = adapter.creates_document(case)
        for doc in exchange.documents:
            if doc.number is None:
                continue
            key = (doc.series, doc.number)
            seen = self.owners.get(key)
            if seen is None:
                self.owners[key] = _Seen(doc.id, doc.label)
                continue
            reused = seen.doc_id != doc.id if doc.id is not None else creates
            if reused:
                raise violation(
                    "numbering_unique_correlative",
                    f"number {doc.number!r} of series {doc.series!r} was already given to {seen.label}",
                    case,
                    response,
                )
        if adapter.is_complete_listing(case, response):
            by_series: dict[Any, list[int]] = {}
            for doc in exchange.documents:
                if doc.sequence is not None:
                    by_series.setdefault(doc.series, []).append(doc.sequence)
            for series, numbers in by_series.items():
                if len(set(numbers)) != len(numbers):
                    raise violation(
                        "numbering_unique_correlative", f"series {series!r} repeats a number", case, response
                    )
                missing = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
                if missing:
                    raise violation(
                        "numbering_unique_correlative",
                        f"series {series!r} skips number(s) {missing[:10]} (correlative numbering has no gaps)",
                        case,
                        response,
                    )
        return None


@schemathesis.check
class issued_invoice_frozen:
    """Once issued, an invoice's number, lines and totals never change, and edits are refused."""

    def __init__(self) -> None:
        self.issued: dict[Any, tuple[str, Any]] = {}  # identity -> (label, fingerprint)

    def after_response(self, ctx: Any, response: Any, case: Any) -> bool | None:
        adapter = _active
        if adapter is None:
            return None
        edited = adapter.edited_identity(case)
        if edited is not None and edited in self.issued and 200 <= response.status_code < 300:
            label, _ = self.issued[edited]
            raise violation(
                "issued_invoice_frozen",
                f"an edit of issued {label} was accepted ({response.status_code})",
                case,
                response,
            )
        exchange = _documents(case, response)
        if exchange is None:
            return None
        for doc in exchange.documents:
            if not doc.issued or doc.identity is None:
                continue
            known = self.issued.get(doc.identity)
            if known is None:
                self.issued[doc.identity] = (doc.label, doc.fingerprint)
            elif known[1] != doc.fingerprint and not adapter.creates_document(case):
                raise violation(
                    "issued_invoice_frozen",
                    f"issued {doc.label} changed: {_diff(known[1], doc.fingerprint)}",
                    case,
                    response,
                )
        return None


def _diff(before: Any, after: Any) -> str:
    if isinstance(before, dict) and isinstance(after, dict):
        keys = [k for k in before.keys() | after.keys() if before.get(k) != after.get(k)]
        return "; ".join(f"{k}: {before.get(k)!r} → {after.get(k)!r}" for k in sorted(keys))
    return f"{before!r} → {after!r}"


@dataclass
class _Original:
    label: str
    quantities: dict[tuple[str, int], Decimal]
    nets: dict[tuple[str, int], Decimal]
    total: Decimal
    nonnegative_lines: bool
    vat_groups: int


@dataclass
class _Refunds:
    # corrective identity -> (quantities, nets, total), each refunded amount signed as the
    # original line it refunds
    by_corrective: dict[Any, tuple[dict[Any, Decimal], dict[Any, Decimal], Decimal]] = field(default_factory=dict)


def _exceeds(refunded: Decimal, invoiced: Decimal) -> bool:
    """A refund has the sign of what the line invoiced and never more of it."""
    if refunded == 0:
        return False
    if invoiced == 0 or (refunded > 0) != (invoiced > 0):
        return True
    return abs(refunded) > abs(invoiced) and not within_double_noise(refunded, invoiced)


@schemathesis.check
class rectificative_refund:
    """A rectificative negates what it refunds (negative quantities) and, with the earlier ones,
    never refunds more of a line than the original invoiced, nor more than its total."""

    def __init__(self) -> None:
        self.originals: dict[Any, _Original] = {}
        self.refunds: dict[Any, _Refunds] = {}

    def after_response(self, ctx: Any, response: Any, case: Any) -> bool | None:
        adapter = _active
        if adapter is not None and case.method.upper() == "DELETE" and 200 <= response.status_code < 300:
            gone = adapter.edited_identity(case)
            for refunds in self.refunds.values():
                refunds.by_corrective.pop(gone, None)  # a deleted draft rectificative refunds nothing
        exchange = _documents(case, response)
        if exchange is None:
            return None
        for doc in exchange.documents:
            if doc.refunds is None:
                if doc.identity is not None and doc.issued and doc.quantities:
                    breakdown = doc.raw.get("vat_breakdown") if isinstance(doc.raw, dict) else None
                    self.originals[doc.identity] = _Original(
                        doc.label,
                        doc.quantities,
                        doc.nets,
                        doc.total,
                        doc.nonnegative_lines,
                        len(breakdown) if isinstance(breakdown, list) else 1,
                    )
                continue
            if not doc.quantities:
                continue  # an API whose responses do not show the lines: nothing to compare
            refunds = self.refunds.setdefault(doc.refunds, _Refunds())
            refunds.by_corrective[doc.identity] = (
                {k: -q for k, q in doc.quantities.items()},
                {k: -n for k, n in doc.nets.items()},
                -doc.total,
            )
            original = self.originals.get(doc.refunds)
            if original is not None:
                self._within(original, refunds, case, response)
        return None

    @staticmethod
    def _within(original: _Original, refunds: _Refunds, case: Any, response: Any) -> None:
        quantities: dict[Any, Decimal] = {}
        nets: dict[Any, Decimal] = {}
        refunded_total = Decimal(0)
        for refunded_quantities, refunded_nets, total in refunds.by_corrective.values():
            refunded_total += total
            for key, quantity in refunded_quantities.items():
                quantities[key] = quantities.get(key, Decimal(0)) + quantity
            for key, net in refunded_nets.items():
                nets[key] = nets.get(key, Decimal(0)) + net
        zero = Decimal(0)
        over = [
            f"{key}: {q} of {original.quantities.get((key, side), zero)}"
            for (key, side), q in quantities.items()
            if _exceeds(q, original.quantities.get((key, side), zero))
        ] + [
            f"{key} net: {n} of {original.nets.get((key, side), zero)}"
            for (key, side), n in nets.items()
            if _exceeds(n, original.nets.get((key, side), zero))
        ]
        # VAT is rounded per rate on each invoice: k rectificatives may together refund up to
        # half a cent per rate more than the original's own rounding, never more.
        slack = Decimal("0.005") * original.vat_groups * (len(refunds.by_corrective) + 1)
        if not over and original.nonnegative_lines and refunded_total > original.total + slack:
            over = [f"total {refunded_total} of {original.total}"]
        if over:
            raise violation(
                "rectificative_refund", f"refunds exceed {original.label} ({', '.join(over)})", case, response
            )
