from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from facturas_sandbox.domain.money import InvalidAmount, as_json_number, round_cents, to_decimal
from facturas_sandbox.domain.taxes import TaxedAmount, group_taxes


def test_half_up_rounding_is_symmetric() -> None:
    assert round_cents(D("0.005")) == D("0.01")
    assert round_cents(D("0.004999")) == D("0.00")
    assert round_cents(D("-0.005")) == D("-0.01")
    assert round_cents(D("2.675")) == D("2.68")  # binary floats would give 2.67


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(15.99, D("15.99")), (2, D("2")), ("89.50", D("89.50")), (0.1 + 0.2, D("0.30000000000000004"))],
)
def test_to_decimal_uses_the_shortest_repr(raw: object, expected: D) -> None:
    assert to_decimal(raw) == expected


@pytest.mark.parametrize("raw", ["NaN", "Infinity", float("nan"), True, None, "12,5", [1]])
def test_to_decimal_refuses_what_is_not_a_finite_number(raw: object) -> None:
    with pytest.raises(InvalidAmount):
        to_decimal(raw)


def test_json_numbers_print_like_the_vendor() -> None:
    assert as_json_number(D("100.00")) == 100 and isinstance(as_json_number(D("100.00")), int)
    assert as_json_number(D("38.70")) == 38.7


def test_taxes_are_rounded_once_per_rate() -> None:
    # Three lines of 0.05 at 21%: per line VAT would round 0.0105 → 0.01 three times (0.03);
    # per group it is 0.0315 → 0.03. With 0.35 per line: 0.0735→0.07 ×3 = 0.21 vs 0.2205→0.22.
    totals = group_taxes([TaxedAmount(D("0.35"), D("21"))] * 3)
    assert totals.vat == D("0.22")
    assert totals.base == D("1.05")
    assert totals.total == D("1.27")


def test_two_rates_and_recargo_make_separate_groups() -> None:
    totals = group_taxes(
        [
            TaxedAmount(D("100"), D("21"), D("5.2")),
            TaxedAmount(D("50"), D("10"), D("1.4")),
            TaxedAmount(D("20"), D("21"), D("5.2")),
        ]
    )
    assert [(g.vat_rate, g.base, g.vat, g.surcharge) for g in totals.groups] == [
        (D("10"), D("50.00"), D("5.00"), D("0.70")),
        (D("21"), D("120.00"), D("25.20"), D("6.24")),
    ]
    assert totals.total == D("170") + D("30.20") + D("6.94")


@given(st.lists(st.decimals(min_value=-10000, max_value=10000, places=2), min_size=1, max_size=20))
def test_negating_every_line_negates_every_total(bases: list[D]) -> None:
    amounts = [TaxedAmount(b, D("21")) for b in bases]
    negated = [TaxedAmount(-b, D("21")) for b in bases]
    assert group_taxes(negated).total == -group_taxes(amounts).total
