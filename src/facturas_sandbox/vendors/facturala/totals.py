"""Facturala's arithmetic: unit values include VAT, the total is split into base and IVA.

`subTotalNoDiscounts = round(total / (1 + rate), 2)` and `taxes = round(subTotalNoDiscounts ×
rate, 2)`, both half-up: this reproduces the vendor's three published examples to the cent,
including the cent by which base plus tax miss the total (1,600,000 → 1,379,310.34 + 220,689.65).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from ...domain.money import HUNDRED, ZERO, round_cents, to_decimal

DEFAULT_RATE = Decimal("16")  # the 2015 examples; Colombia's general rate is 19 since 2017
RATES = (Decimal("16"), Decimal("19"))


class InvalidItem(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ItemAmounts:
    quantity: Decimal
    unit_value: Decimal
    discount: Decimal | None  # percent, as sent
    total: Decimal
    discount_amount: Decimal = ZERO


@dataclass(frozen=True)
class InvoiceTotals:
    sub_total_no_discounts: Decimal
    discounts: Decimal
    total: Decimal
    taxes: Decimal


def item_amounts(quantity: object, unit_value: object, discount: object = None, *, index: int = 0) -> ItemAmounts:
    """`total = round(quantity × unitValue) − round(quantity × unitValue × discount%)`."""
    q = to_decimal(quantity)
    unit = to_decimal(unit_value)
    if q <= 0:
        raise InvalidItem(f"items[{index}].quantity", "must be greater than 0")
    if unit < 0:
        raise InvalidItem(f"items[{index}].unitValue", "must not be negative")
    gross = q * unit
    percent = None if discount is None else to_decimal(discount)
    if percent is not None and not ZERO <= percent <= HUNDRED:
        raise InvalidItem(f"items[{index}].discount", "is a percentage between 0 and 100")
    off = round_cents(gross * percent / HUNDRED) if percent is not None else ZERO
    return ItemAmounts(q, unit, percent, round_cents(gross) - off, off)


def split_vat_included(total: Decimal, rate_percent: Decimal) -> tuple[Decimal, Decimal]:
    """(base, tax) of a VAT-included amount, each rounded half-up to the cent."""
    rate = rate_percent / HUNDRED
    base = round_cents(total / (1 + rate))
    return base, round_cents(base * rate)


def invoice_totals(items: Iterable[ItemAmounts], rate_percent: Decimal) -> InvoiceTotals:
    items = list(items)
    total = sum((i.total for i in items), ZERO)
    discounts = sum((i.discount_amount for i in items), ZERO)
    base, taxes = split_vat_included(total, rate_percent)
    return InvoiceTotals(base, discounts, total, taxes)
