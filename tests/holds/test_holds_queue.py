"""The hold-queue projection: current decision, open holds, filters, ages, approvals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pipeline.holds.apply import apply_review
from pipeline.holds.queue import HoldFilter, HoldQueue, SortOrder
from schemas.decision import Route
from schemas.order import OrderEvent
from schemas.review import CurrentHold, Review, ReviewAction
from tests.holds.samples import licence_hold, party_list_hold

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def make_queue() -> HoldQueue:
    queue = HoldQueue()
    queue.add_decision(licence_hold("lic-old", evaluated_at=NOW - timedelta(hours=3, minutes=12)))
    queue.add_decision(party_list_hold("party-new", evaluated_at=NOW - timedelta(minutes=12)))
    released = licence_hold("gone", evaluated_at=NOW - timedelta(hours=1))
    queue.add_decision(released)
    queue.add_decision(released.model_copy(update={"decision_id": "gone-2", "route": Route.RELEASE}))
    return queue


def test_open_holds_oldest_first_with_natural_ages() -> None:
    rows = make_queue().open_holds(NOW)
    assert [(r.order_id, r.age) for r in rows] == [("lic-old", "3 h 12 min"), ("party-new", "12 min")]
    assert rows[1].four_eyes
    assert not rows[0].four_eyes
    assert rows[1].destination == "JP"


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [
        (HoldFilter(sort=SortOrder.NEWEST), ["party-new", "lic-old"]),
        (HoldFilter(rule="party-list"), ["party-new"]),
        (HoldFilter(reason="prohibited"), ["party-new"]),
        (HoldFilter(reason="gallium"), ["lic-old"]),
        (HoldFilter(destination="de"), ["lic-old"]),
        (HoldFilter(party="mitsubishi"), ["party-new"]),
        (HoldFilter(min_age_hours=1), ["lic-old"]),
        (HoldFilter(max_age_hours=1), ["party-new"]),
        (HoldFilter(party="nobody"), []),
    ],
)
def test_filters(wanted: HoldFilter, expected: list[str]) -> None:
    assert [r.order_id for r in make_queue().open_holds(NOW, wanted)] == expected


def test_higher_revision_wins_over_later_evaluation() -> None:
    queue = HoldQueue()
    newer_revision = licence_hold("o", revision=2, evaluated_at=NOW - timedelta(hours=2))
    queue.add_decision(newer_revision)
    queue.add_decision(
        licence_hold("o", revision=1, evaluated_at=NOW).model_copy(update={"route": Route.RELEASE})
    )
    entry = queue.get("o")
    assert entry is not None
    assert entry.current == newer_revision
    assert [r.order_id for r in queue.open_holds(NOW)] == ["o"]


def test_replayed_messages_change_nothing_and_reviews_drive_the_queue() -> None:
    queue = make_queue()
    entry = queue.get("party-new")
    assert entry is not None
    current = entry.current
    assert current is not None
    first = Review(
        review_id="r1",
        order_id="party-new",
        decision_id=current.decision_id,
        action=ReviewAction.RELEASE,
        reviewer="alice",
        justification="name differs",
        created_at=NOW,
    )
    assert queue.add_review(first)
    assert not queue.add_review(first)
    assert queue.open_holds(NOW, HoldFilter(party="mitsubishi"))[0].approvals == ("alice",)

    second = first.model_copy(update={"review_id": "r2", "reviewer": "bob"})
    follow_up = apply_review(current, second, entry.reviews)
    assert follow_up is not None
    assert queue.add_review(second)
    assert queue.add_decision(follow_up)
    assert not queue.add_decision(follow_up)
    assert [r.order_id for r in queue.open_holds(NOW)] == ["lic-old"]


@pytest.mark.parametrize(
    ("action", "open_after"), [(ReviewAction.ESCALATE, True), (ReviewAction.DENY, False)]
)
def test_escalated_holds_stay_open_denied_holds_close(action: ReviewAction, open_after: bool) -> None:
    queue = make_queue()
    entry = queue.get("lic-old")
    assert entry is not None
    assert entry.current is not None
    the_review = Review(
        review_id="r",
        order_id="lic-old",
        decision_id=entry.current.decision_id,
        action=action,
        reviewer="carol",
        created_at=NOW,
    )
    follow_up = apply_review(entry.current, the_review, [])
    assert follow_up is not None
    queue.add_decision(follow_up)
    rows = {r.order_id: r for r in queue.open_holds(NOW)}
    assert ("lic-old" in rows) == open_after
    if open_after:
        assert rows["lic-old"].escalated
        assert rows["lic-old"].age == "3 h 12 min"


def test_only_orders_that_were_held_are_kept_and_their_order_event_follows_them() -> None:
    queue = HoldQueue(order_buffer=2)
    order = OrderEvent.model_validate(
        {
            "order_id": "later-held",
            "event_time": "2026-03-02T09:15:00+00:00",
            "exporter": {"name": "Exporter", "country": "CN"},
            "consignee": {"name": "Consignee", "country": "FR"},
            "end_user": {"name": "End user", "country": "FR"},
            "destination_country": "FR",
            "lines": [
                {
                    "line_id": "1",
                    "description": "x",
                    "quantity": 1,
                    "unit": "kg",
                    "value": 1,
                    "currency": "EUR",
                }
            ],
        }
    )
    queue.add_order(order)
    released = licence_hold("never-held", evaluated_at=NOW).model_copy(update={"route": Route.RELEASE})
    assert not queue.add_decision(released)
    assert queue.get("never-held") is None
    for evicting in ("a", "b"):
        queue.add_order(order.model_copy(update={"order_id": evicting}))
    queue.add_order(order)  # buffer of 2: "a" goes, "later-held" stays as the newest
    queue.add_decision(licence_hold("later-held", evaluated_at=NOW))
    entry = queue.get("later-held")
    assert entry is not None
    assert entry.order == order
    assert [r.destination for r in queue.open_holds(NOW)] == ["FR"]


def test_the_queue_loads_and_follows_holds_current(make_order: Callable[..., dict[str, Any]]) -> None:
    hold = licence_hold("cur-1", evaluated_at=NOW - timedelta(minutes=5))
    order = OrderEvent.model_validate(make_order(order_id="cur-1", destination_country="FR"))
    queue = HoldQueue()
    queue.put_hold(
        CurrentHold(order_id="cur-1", decision=hold, held_since=NOW - timedelta(hours=2), order=order)
    )
    [row] = queue.open_holds(NOW)
    assert (row.order_id, row.age, row.destination) == ("cur-1", "2 h", "FR")

    queue.close_hold("cur-1", keep=True)
    assert queue.open_holds(NOW) == []
    kept = queue.get("cur-1")
    assert kept is not None
    assert kept.current == hold
    queue.close_hold("cur-1")
    assert queue.get("cur-1") is None
