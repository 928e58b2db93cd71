"""Tax groups: bases and taxes summed per rate, then rounded once per group.

Spanish invoices show one row per VAT rate (and per recargo rate, when the customer is in
that regime), rounded per group rather than per line. Facturovia's totals are computed here.
FacturaScripts' Calculator rounds the same way but keeps its own loop (`documents.calculate`):
it sums each line's IVA into its group and checks every intermediate amount against what the
real server can store (a 422), which this function has no place for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from .money import ZERO, percent_of, round_cents


@dataclass(frozen=True)
class TaxedAmount:
    """A line's taxable base with the rates that apply to it."""

    base: Decimal
    vat_rate: Decimal
    surcharge_rate: Decimal = ZERO  # recargo de equivalencia


@dataclass(frozen=True)
class TaxGroup:
    vat_rate: Decimal
    surcharge_rate: Decimal
    base: Decimal
    vat: Decimal
    surcharge: Decimal


@dataclass(frozen=True)
class Totals:
    groups: tuple[TaxGroup, ...]
    base: Decimal
    vat: Decimal
    surcharge: Decimal

    @property
    def total(self) -> Decimal:
        return self.base + self.vat + self.surcharge


def group_taxes(amounts: Iterable[TaxedAmount]) -> Totals:
    sums: dict[tuple[Decimal, Decimal], Decimal] = {}
    for amount in amounts:
        key = (amount.vat_rate, amount.surcharge_rate)
        sums[key] = sums.get(key, ZERO) + amount.base
    groups = tuple(
        TaxGroup(
            vat_rate=vat_rate,
            surcharge_rate=surcharge_rate,
            base=round_cents(base),
            vat=round_cents(percent_of(base, vat_rate)),
            surcharge=round_cents(percent_of(base, surcharge_rate)),
        )
        for (vat_rate, surcharge_rate), base in sorted(sums.items())
    )
    return Totals(
        groups=groups,
        base=sum((g.base for g in groups), ZERO),
        vat=sum((g.vat for g in groups), ZERO),
        surcharge=sum((g.surcharge for g in groups), ZERO),
    )
