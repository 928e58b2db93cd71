"""Money is Decimal end to end; rounding is half-up to the cent (Spanish practice)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0")
HUNDRED = Decimal("100")


class InvalidAmount(ValueError):
    pass


def to_decimal(value: object) -> Decimal:
    """Exact decimal of a JSON number or numeric string (floats through their shortest repr)."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise InvalidAmount(f"not a number: {value!r}")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation as exc:
            raise InvalidAmount(f"not a number: {value!r}") from exc
    else:
        raise InvalidAmount(f"not a number: {value!r}")
    if not result.is_finite():
        raise InvalidAmount(f"not a finite number: {value!r}")
    return result


def round_cents(value: Decimal) -> Decimal:
    """Half-up to two decimals; symmetric, so rounding a negated amount negates the rounding."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, rate: Decimal) -> Decimal:
    return amount * rate / HUNDRED


def as_json_number(value: Decimal) -> int | float:
    """A JSON number that prints the same digits: 100 stays 100, 38.70 becomes 38.7."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)
