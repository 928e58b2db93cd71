"""Rectification (facturas rectificativas): which quantities of an original may be refunded.

A rectificative negates what it refunds. The client names the lines to refund with positive
quantities; each is matched to a line of the original and capped at what earlier
rectificatives have not refunded yet, so the refunds never exceed the original.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from .money import ZERO


class RectifyError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class OriginalLine:
    description: str
    reference: str | None
    quantity: Decimal
    refunded: Decimal = ZERO  # already refunded by earlier rectificatives (positive)

    @property
    def refundable(self) -> Decimal:
        return max(self.quantity - self.refunded, ZERO)


@dataclass(frozen=True)
class RefundRequest:
    description: str | None
    reference: str | None
    quantity: Decimal


@dataclass(frozen=True)
class Refund:
    line: int  # index into the original lines
    quantity: Decimal  # positive; the caller negates it
    requested: Decimal

    @property
    def capped(self) -> bool:
        return self.quantity < self.requested


def match_line(lines: Sequence[OriginalLine], request: RefundRequest) -> int | None:
    """By reference when the request gives one, else by description (exact, then case-blind)."""
    if request.reference:
        for i, line in enumerate(lines):
            if line.reference and line.reference == request.reference:
                return i
        return None
    if request.description:
        for i, line in enumerate(lines):
            if line.description == request.description:
                return i
        folded = request.description.casefold().strip()
        for i, line in enumerate(lines):
            if line.description.casefold().strip() == folded:
                return i
    return None


def plan_refund(lines: Sequence[OriginalLine], requests: Sequence[RefundRequest]) -> list[Refund]:
    left = [line.refundable for line in lines]
    refunds: list[Refund] = []
    for n, request in enumerate(requests):
        if request.quantity <= ZERO:
            raise RectifyError("quantity must be positive: the server negates it", f"items[{n}].quantity")
        index = match_line(lines, request)
        if index is None:
            what = f"reference {request.reference!r}" if request.reference else f"description {request.description!r}"
            raise RectifyError(f"no line of the original invoice matches {what}", f"items[{n}]")
        quantity = min(request.quantity, left[index])
        if quantity <= ZERO:
            raise RectifyError(
                f"line {lines[index].description!r} has already been fully refunded", f"items[{n}].quantity"
            )
        left[index] -= quantity
        refunds.append(Refund(line=index, quantity=quantity, requested=request.quantity))
    return refunds


def full_refund(lines: Sequence[OriginalLine]) -> list[Refund]:
    """Everything still refundable (a whole-invoice correction)."""
    refunds = [Refund(line=i, quantity=line.refundable, requested=line.refundable) for i, line in enumerate(lines)]
    refunds = [r for r in refunds if r.quantity > ZERO]
    if not refunds:
        raise RectifyError("the invoice has already been fully refunded")
    return refunds
