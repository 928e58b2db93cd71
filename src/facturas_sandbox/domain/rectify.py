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


def _sign(value: Decimal) -> int:
    return (value > ZERO) - (value < ZERO)


@dataclass(frozen=True)
class OriginalLine:
    """A line of the original with what earlier rectificatives took of it.

    Quantities and nets are signed as on the original: a discount line with a negative
    quantity is refunded by a positive one, so that a full correction cancels the invoice
    exactly. `refunded` and `refunded_net` carry the line's own sign.
    """

    description: str
    reference: str | None
    quantity: Decimal
    refunded: Decimal = ZERO
    net: Decimal | None = None  # the line's net, where the caller refunds money as well
    refunded_net: Decimal = ZERO

    @property
    def left(self) -> Decimal:
        """What is still refundable, signed as the line (0 once refunded or overdrawn)."""
        remaining = self.quantity - self.refunded
        return remaining if _sign(remaining) == _sign(self.quantity) else ZERO

    @property
    def refundable(self) -> Decimal:
        return abs(self.left)

    def net_share(self, quantity: Decimal, computed: Decimal) -> Decimal:
        """The net a refund of `quantity` (signed as the line) takes.

        Rounding each refund on its own could make the refunds of a line add up to more than
        the line (three refunds of one unit of 3 x 0.335 are 0.34 each, the line 1.01): a refund
        never takes more than is left of the line's net, and the one that takes the last of its
        quantity takes exactly what is left, to the cent.
        """
        if self.net is None:
            return computed
        left_net = self.net - self.refunded_net
        if _sign(left_net) != _sign(self.net):
            left_net = ZERO
        if quantity == self.left:
            return left_net
        return computed if abs(computed) <= abs(left_net) else left_net


@dataclass(frozen=True)
class RefundRequest:
    description: str | None
    reference: str | None
    quantity: Decimal  # a positive amount: how much of the line to refund


@dataclass(frozen=True)
class Refund:
    line: int  # index into the original lines
    quantity: Decimal  # signed as the original line; the caller negates it
    requested: Decimal  # positive

    @property
    def capped(self) -> bool:
        return abs(self.quantity) < self.requested


def _matches(lines: Sequence[OriginalLine], request: RefundRequest) -> list[int]:
    """By reference when the request gives one, else by description (exact, then case-blind)."""
    if request.reference:
        return [i for i, line in enumerate(lines) if line.reference and line.reference == request.reference]
    if not request.description:
        return []
    exact = [i for i, line in enumerate(lines) if line.description == request.description]
    if exact:
        return exact
    folded = request.description.casefold().strip()
    return [i for i, line in enumerate(lines) if line.description.casefold().strip() == folded]


def match_line(
    lines: Sequence[OriginalLine], request: RefundRequest, left: Sequence[Decimal] | None = None
) -> int | None:
    """The first matching line that still has something to refund (two lines may share a
    description: the second is reached once the first is refunded), else the first match."""
    matches = _matches(lines, request)
    remaining = left if left is not None else [line.left for line in lines]
    for i in matches:
        if remaining[i] != ZERO:
            return i
    return matches[0] if matches else None


def plan_refund(lines: Sequence[OriginalLine], requests: Sequence[RefundRequest]) -> list[Refund]:
    left = [line.left for line in lines]
    refunds: list[Refund] = []
    for n, request in enumerate(requests):
        if request.quantity <= ZERO:
            raise RectifyError("quantity must be positive: the server negates it", f"items[{n}].quantity")
        index = match_line(lines, request, left)
        if index is None:
            what = f"reference {request.reference!r}" if request.reference else f"description {request.description!r}"
            raise RectifyError(f"no line of the original invoice matches {what}", f"items[{n}]")
        if left[index] == ZERO:
            raise RectifyError(
                f"line {lines[index].description!r} has already been fully refunded", f"items[{n}].quantity"
            )
        quantity = min(request.quantity, abs(left[index])) * _sign(left[index])
        left[index] -= quantity
        refunds.append(Refund(line=index, quantity=quantity, requested=request.quantity))
    return refunds


def full_refund(lines: Sequence[OriginalLine]) -> list[Refund]:
    """Everything still refundable of every line, negative lines included (a whole-invoice
    correction negates every original line)."""
    refunds = [
        Refund(line=i, quantity=line.left, requested=abs(line.left))
        for i, line in enumerate(lines)
        if line.left != ZERO
    ]
    if not refunds:
        raise RectifyError("the invoice has already been fully refunded")
    return refunds
