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


def test_a_negative_line_is_refunded_with_its_own_sign_so_a_full_refund_cancels_the_invoice() -> None:
    lines = [OriginalLine("Servicio", None, D("30")), OriginalLine("Descuento", None, D("-30"))]
    assert [(r.line, r.quantity) for r in full_refund(lines)] == [(0, D("30")), (1, D("-30"))]
    (refund,) = plan_refund(lines, [RefundRequest("Descuento", None, D("50"))])
    assert (refund.line, refund.quantity, refund.capped) == (1, D("-30"), True)
    done = [OriginalLine("Descuento", None, D("-30"), refunded=D("-30"))]
    with pytest.raises(RectifyError, match="fully refunded"):
        full_refund(done)


def test_a_description_reaches_the_next_line_that_still_has_something_to_refund() -> None:
    lines = [OriginalLine("Servicio", None, D("1"), refunded=D("1")), OriginalLine("Servicio", None, D("2"))]
    (refund,) = plan_refund(lines, [RefundRequest("Servicio", None, D("1"))])
    assert (refund.line, refund.quantity) == (1, D("1"))
    two = plan_refund([OriginalLine("Servicio", None, D("1"))] * 2, [RefundRequest("Servicio", None, D("1"))] * 2)
    assert [r.line for r in two] == [0, 1]


def test_the_refunds_of_a_line_never_take_more_than_its_net_and_the_last_takes_what_is_left() -> None:
    # 3 x 0.335 is 1.005, 1.01 to the cent; one unit re-rounded on its own is 0.34.
    line = OriginalLine("Tornillo", None, D("3"), net=D("1.01"))
    assert line.net_share(D("1"), D("0.34")) == D("0.34")
    after_two = OriginalLine("Tornillo", None, D("3"), refunded=D("2"), net=D("1.01"), refunded_net=D("0.68"))
    assert after_two.net_share(D("1"), D("0.34")) == D("0.33")
    # A share is capped at what is left even before the last unit.
    thin = OriginalLine("Arandela", None, D("10"), refunded=D("5"), net=D("0.05"), refunded_net=D("0.05"))
    assert thin.net_share(D("1"), D("0.01")) == D("0")
    negative = OriginalLine("Descuento", None, D("-3"), refunded=D("-2"), net=D("-1.01"), refunded_net=D("-0.68"))
    assert negative.net_share(D("-1"), D("-0.34")) == D("-0.33")
