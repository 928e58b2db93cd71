from decimal import Decimal as D

import pytest

from facturas_sandbox.domain.rectify import OriginalLine, RectifyError, RefundRequest, full_refund, plan_refund

LINES = [
    OriginalLine("Filtro aceite REF-001", "REF-001", D("1")),
    OriginalLine("Correa distribución REF-045", "REF-045", D("2")),
    OriginalLine("Mano de obra", None, D("3"), refunded=D("1")),
]


def test_matches_by_reference_first_then_description() -> None:
    refunds = plan_refund(
        LINES,
        [
            RefundRequest("whatever the description", "REF-045", D("1")),
            RefundRequest("mano de obra", None, D("1")),  # case-blind fallback
        ],
    )
    assert [(r.line, r.quantity) for r in refunds] == [(1, D("1")), (2, D("1"))]


def test_a_reference_that_matches_nothing_does_not_fall_back_to_the_description() -> None:
    with pytest.raises(RectifyError, match="reference 'REF-999'"):
        plan_refund(LINES, [RefundRequest("Filtro aceite REF-001", "REF-999", D("1"))])


def test_quantities_are_capped_at_what_is_left() -> None:
    refunds = plan_refund(LINES, [RefundRequest(None, "REF-045", D("5")), RefundRequest("Mano de obra", None, D("9"))])
    assert [(r.quantity, r.capped) for r in refunds] == [(D("2"), True), (D("2"), True)]


def test_two_requests_for_one_line_share_its_remaining_quantity() -> None:
    refunds = plan_refund(LINES, [RefundRequest(None, "REF-045", D("1.5")), RefundRequest(None, "REF-045", D("1"))])
    assert [r.quantity for r in refunds] == [D("1.5"), D("0.5")]


def test_a_fully_refunded_line_is_refused() -> None:
    done = [OriginalLine("A", "A", D("2"), refunded=D("2"))]
    with pytest.raises(RectifyError, match="fully refunded"):
        plan_refund(done, [RefundRequest(None, "A", D("1"))])
    with pytest.raises(RectifyError, match="fully refunded"):
        full_refund(done)


def test_non_positive_quantities_are_refused() -> None:
    with pytest.raises(RectifyError, match="positive"):
        plan_refund(LINES, [RefundRequest(None, "REF-001", D("-1"))])


def test_full_refund_takes_what_is_left_of_every_line() -> None:
    assert [(r.line, r.quantity) for r in full_refund(LINES)] == [(0, D("1")), (1, D("2")), (2, D("2"))]
