"""The drawdown ledger: exactly one draw per order revision, adjusted by revisions, returned on cancel."""

from __future__ import annotations

import pytest

from pipeline.licences.ledger import Balance, DrawLine, DrawStatus, LicenceLedger, OrderDraw
from schemas.licence import Licence


def line(line_id: str, qty: float, value: float, item: str = "1") -> DrawLine:
    return DrawLine(line_id, item, qty, value)


def test_grant_draws_the_balance_down(licence: Licence) -> None:
    ledger = LicenceLedger()
    outcome = ledger.apply(licence, "O1", 1, [line("a", 30, 300), line("b", 5, 100, item="2")])
    assert outcome.status is DrawStatus.GRANTED
    assert ledger.balance(licence) == {"1": (70, 700), "2": (5, 400)}


def test_redelivered_request_draws_once_and_repeats_the_outcome(licence: Licence) -> None:
    ledger = LicenceLedger()
    ledger.apply(licence, "O1", 1, [line("a", 30, 300)])
    again = ledger.apply(licence, "O1", 1, [line("a", 30, 300)])
    assert again.status is DrawStatus.GRANTED
    assert again.replayed
    assert ledger.balance(licence)["1"] == (70, 700)


@pytest.mark.parametrize(
    ("second_qty", "expected_left"),
    [(50, 50), (10, 90), (30, 70)],
)
def test_new_revision_adjusts_by_the_difference(
    licence: Licence, second_qty: float, expected_left: float
) -> None:
    ledger = LicenceLedger()
    ledger.apply(licence, "O1", 1, [line("a", 30, 300)])
    outcome = ledger.apply(licence, "O1", 2, [line("a", second_qty, second_qty * 10)])
    assert outcome.status is DrawStatus.GRANTED
    assert ledger.balance(licence)["1"] == (expected_left, expected_left * 10)


def test_older_revision_after_a_newer_one_changes_nothing(licence: Licence) -> None:
    ledger = LicenceLedger()
    ledger.apply(licence, "O1", 3, [line("a", 40, 400)])
    late = ledger.apply(licence, "O1", 2, [line("a", 5, 50)])
    assert late.stale
    assert ledger.balance(licence)["1"] == (60, 600)


def test_cancellation_returns_the_draw(licence: Licence) -> None:
    ledger = LicenceLedger()
    ledger.apply(licence, "O1", 1, [line("a", 40, 400)])
    outcome = ledger.apply(licence, "O1", 2, [], cancelled=True)
    assert outcome.status is DrawStatus.CANCELLED
    assert ledger.balance(licence)["1"] == (100, 1000)
    assert ledger.apply(licence, "O1", 1, [line("a", 40, 400)]).stale


@pytest.mark.parametrize(
    ("qty", "value", "status"),
    [(100, 1000, DrawStatus.GRANTED), (101, 10, DrawStatus.EXHAUSTED), (10, 1001, DrawStatus.EXHAUSTED)],
)
def test_quantity_and_value_both_bound_the_draw(
    licence: Licence, qty: float, value: float, status: DrawStatus
) -> None:
    assert LicenceLedger().apply(licence, "O1", 1, [line("a", qty, value)]).status is status


def test_exhausted_order_draws_nothing_and_names_the_line(licence: Licence) -> None:
    ledger = LicenceLedger()
    ledger.apply(licence, "O1", 1, [line("a", 80, 800)])
    outcome = ledger.apply(licence, "O2", 1, [line("x", 10, 10, item="2"), line("y", 30, 300)])
    assert outcome.status is DrawStatus.EXHAUSTED
    assert [gap.line_id for gap in outcome.shortfalls] == ["y"]
    assert ledger.balance(licence) == {"1": (20, 200), "2": (10, 500)}


def test_two_lines_on_one_item_count_together(licence: Licence) -> None:
    outcome = LicenceLedger().apply(licence, "O1", 1, [line("a", 60, 100), line("b", 60, 100)])
    assert outcome.status is DrawStatus.EXHAUSTED


def test_failed_revision_returns_the_earlier_draw(licence: Licence) -> None:
    ledger = LicenceLedger()
    ledger.apply(licence, "O1", 1, [line("a", 40, 400)])
    assert ledger.apply(licence, "O1", 2, [line("a", 500, 400)]).status is DrawStatus.EXHAUSTED
    assert ledger.balance(licence)["1"] == (100, 1000)


def test_unknown_licence_is_recorded_not_drawn() -> None:
    ledger = LicenceLedger()
    assert ledger.apply(None, "O1", 1, [line("a", 1, 1)]).status is DrawStatus.NOT_ON_FILE


def test_balance_and_draw_records_survive_a_json_round_trip(licence: Licence) -> None:
    ledger = LicenceLedger()
    ledger.apply(licence, "O1", 1, [line("a", 30, 300)])
    ledger.apply(licence, "O2", 1, [line("b", 90, 100)])
    restored = LicenceLedger(
        Balance.decode(ledger.balance_state.encode()),
        {order_id: OrderDraw.decode(draw.encode()) or draw for order_id, draw in ledger.orders.items()},
    )
    assert restored.balance(licence) == ledger.balance(licence)
    assert restored.apply(licence, "O1", 1, [line("a", 30, 300)]).replayed
    assert restored.apply(licence, "O2", 1, []).shortfalls == ledger.orders["O2"].shortfalls


def test_the_balance_stands_in_for_a_draw_record_lost_in_a_crash(licence: Licence) -> None:
    """The balance is written before the order's draw record; a crash between the two loses the
    record only, and the redelivered request must not draw a second time."""
    ledger = LicenceLedger()
    ledger.apply(licence, "O1", 1, [line("a", 30, 300)])
    del ledger.orders["O1"]
    again = ledger.apply(licence, "O1", 1, [line("a", 30, 300)])
    assert again.replayed
    assert again.status is DrawStatus.GRANTED
    assert ledger.balance(licence)["1"] == (70, 700)
    ledger.apply(licence, "O1", 2, [], cancelled=True)  # the lost record's draw is still returned
    assert ledger.balance(licence)["1"] == (100, 1000)


def test_a_draw_changes_two_small_values_however_many_orders_drew_before(licence: Licence) -> None:
    ledger = LicenceLedger()
    for n in range(2_000):
        ledger.apply(licence, f"O{n}", 1, [line("a", 0.01, 0.1)])
    assert len(ledger.balance_state.encode()) < 400
    assert max(len(draw.encode()) for draw in ledger.orders.values()) < 200
    assert ledger.balance(licence)["1"] == pytest.approx((80, 800))
