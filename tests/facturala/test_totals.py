"""VAT-included totals: the documented examples exactly, and properties on generated values."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facturas_sandbox.vendors.facturala import totals as tot

from .conftest import Company, invoice_body

CENT = Decimal("0.01")


@pytest.mark.parametrize(
    ("total", "base", "tax"),
    [
        ("1600000", "1379310.34", "220689.65"),  # parts sum to 1,599,999.99: the cent is kept
        ("50000", "43103.45", "6896.55"),
        ("1350000", "1163793.10", "186206.90"),
    ],
)
def test_documented_splits(total: str, base: str, tax: str) -> None:
    assert tot.split_vat_included(Decimal(total), Decimal(16)) == (Decimal(base), Decimal(tax))


def test_half_up_rounding() -> None:
    # 0.29 / 1.16 = 0.25 exactly; 0.25 × 0.16 = 0.04. 1.45/1.16 = 1.25, × 0.16 = 0.2 — and a
    # true half: 0.0725 × ... built so base × rate ends in 5 at the third decimal.
    assert tot.split_vat_included(Decimal("0.29"), Decimal(16)) == (Decimal("0.25"), Decimal("0.04"))
    base, tax = tot.split_vat_included(Decimal("1.45"), Decimal(16))
    assert (base, tax) == (Decimal("1.25"), Decimal("0.20"))
    # 3.625 / 1.16 = 3.125 → 3.13 (half-up, not banker's 3.12)
    assert tot.split_vat_included(Decimal("3.625"), Decimal(16))[0] == Decimal("3.13")


amounts = st.decimals(min_value=0, max_value=10**11, places=2, allow_nan=False, allow_infinity=False)


@given(total=amounts, rate=st.sampled_from(tot.RATES))
def test_parts_within_a_cent_of_the_total(total: Decimal, rate: Decimal) -> None:
    base, tax = tot.split_vat_included(total, rate)
    assert base == base.quantize(CENT) and tax == tax.quantize(CENT)
    assert abs(base + tax - total) <= CENT
    assert base == (total / (1 + rate / 100)).quantize(CENT, rounding="ROUND_HALF_UP")
    assert tax == (base * rate / 100).quantize(CENT, rounding="ROUND_HALF_UP")


@given(
    quantity=st.decimals(min_value="0.001", max_value=10**4, places=3),
    unit=st.decimals(min_value=0, max_value=10**7, places=2),
    discount=st.none() | st.decimals(min_value=0, max_value=100, places=2),
)
def test_item_total(quantity: Decimal, unit: Decimal, discount: Decimal | None) -> None:
    item = tot.item_amounts(quantity, unit, discount)
    gross = quantity * unit
    assert item.total + item.discount_amount == gross.quantize(CENT, rounding="ROUND_HALF_UP")
    assert 0 <= item.discount_amount <= gross.quantize(CENT, rounding="ROUND_HALF_UP")
    if not discount:
        assert item.discount_amount == 0


def test_item_rejects_bad_values() -> None:
    with pytest.raises(tot.InvalidItem):
        tot.item_amounts(0, 10)
    with pytest.raises(tot.InvalidItem):
        tot.item_amounts(1, -1)
    with pytest.raises(tot.InvalidItem):
        tot.item_amounts(1, 10, 101)


item = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["Computador", "Mouse", "Teclado", "Servicio"]),
        "quantity": st.integers(min_value=1, max_value=50),
        "unitValue": st.integers(min_value=0, max_value=5_000_000),
    },
    optional={"discount": st.integers(min_value=0, max_value=100)},
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(item, min_size=1, max_size=5))
def test_api_totals_on_generated_invoices(company: Company, items: list[dict]) -> None:
    created = company.create(invoice_body(items=items))
    t = created["totals"]
    expected_total = sum(Decimal(i["quantity"]) * Decimal(i["unitValue"]) for i in items) - sum(
        (Decimal(i["quantity"]) * Decimal(i["unitValue"]) * Decimal(i.get("discount") or 0) / 100).quantize(
            CENT, rounding="ROUND_HALF_UP"
        )
        for i in items
    )
    assert Decimal(str(t["total"])) == expected_total
    assert sum(Decimal(str(i["total"])) for i in created["items"]) == expected_total
    base, tax = Decimal(str(t["subTotalNoDiscounts"])), Decimal(str(t["taxes"]))
    assert abs(base + tax - expected_total) <= CENT
    assert (base, tax) == tot.split_vat_included(expected_total, Decimal(16))
