"""Closed holds from the audit trail, which survives a console restart, merged with what the queue saw
live: which audit records close a hold, the audit log's bounded index of them, and the merge."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from pipeline.holds.apply import applied_detail, apply_review
from pipeline.holds.audit_log import AuditLog
from pipeline.holds.closed import closed_from_audit, closed_holds, closed_order
from pipeline.holds.queue import HoldQueue
from schemas.decision import Route
from schemas.review import AuditOutcome, AuditRecord, Review, ReviewAction
from tests.holds.samples import licence_hold

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _audit(
    order_id: str,
    action: str,
    route: Route | None,
    *,
    minutes: int = 0,
    outcome: AuditOutcome = AuditOutcome.APPLIED,
    actor: str = "alice",
) -> AuditRecord:
    return AuditRecord(
        audit_id=str(uuid.uuid4()),
        at=NOW + timedelta(minutes=minutes),
        actor=actor,
        action=action,
        outcome=outcome,
        order_id=order_id,
        decision_id=f"d-{order_id}",
        review_id=str(uuid.uuid4()),
        why=f"{action} checked",
        detail=applied_detail(route) if route is not None else "assigned to bob",
    )


@pytest.mark.parametrize(
    ("action", "route", "outcome", "closed_as"),
    [
        (ReviewAction.RELEASE, Route.RELEASE, AuditOutcome.APPLIED, "released"),
        (ReviewAction.LICENSE, Route.LICENSE, AuditOutcome.APPLIED, "sent to licensing"),
        (ReviewAction.DENY, Route.HOLD, AuditOutcome.APPLIED, "denied"),
        (ReviewAction.CLEAR_MATCH, Route.RELEASE, AuditOutcome.APPLIED, "released"),
        # Still held: other findings remain, or the hold went up for a senior's look.
        (ReviewAction.CLEAR_MATCH, Route.HOLD, AuditOutcome.APPLIED, None),
        (ReviewAction.ESCALATE, Route.HOLD, AuditOutcome.APPLIED, None),
        # Not applied: a request, the first of two approvals, a refusal.
        (ReviewAction.RELEASE, Route.RELEASE, AuditOutcome.REQUESTED, None),
        (ReviewAction.RELEASE, Route.RELEASE, AuditOutcome.AWAITING_SECOND_APPROVAL, None),
        (ReviewAction.RELEASE, Route.RELEASE, AuditOutcome.REFUSED, None),
        # Not a review: a claim is applied but closes nothing.
        ("claim", None, AuditOutcome.APPLIED, None),
    ],
)
def test_only_an_applied_review_whose_follow_up_leaves_the_hold_closes_it(
    action: str, route: Route | None, outcome: AuditOutcome, closed_as: str | None
) -> None:
    closed = closed_from_audit(_audit("o-1", action, route, outcome=outcome))
    assert (closed.closed_as if closed else None) == closed_as
    if closed is not None:
        assert (closed.order_id, closed.closed_by, closed.justification, closed.held_since) == (
            "o-1",
            "alice",
            f"{action} checked",
            None,
        )


def test_the_audit_log_keeps_each_orders_newest_close_replays_change_nothing_and_evictions_forget() -> None:
    log = AuditLog(limit=3)
    early = _audit("o-1", ReviewAction.LICENSE, Route.LICENSE, minutes=1)
    late = _audit("o-1", ReviewAction.RELEASE, Route.RELEASE, minutes=5, actor="bob")
    other = _audit("o-2", ReviewAction.DENY, Route.HOLD, minutes=2)
    for record in (early, late, other, late, early):  # read twice: the replay is ignored
        log.add(record)
    assert {c.order_id: c.closed_by for c in log.closings()} == {"o-1": "bob", "o-2": "alice"}
    assert log.closing("o-1") == closed_from_audit(late)

    log.add(_audit("o-3", "claim", None, minutes=6))  # evicts `early`: o-1 keeps its newer close
    log.add(_audit("o-3", "claim", None, minutes=7))  # evicts `late`: o-1's close is gone with it
    assert (log.closing("o-1"), [r.order_id for r in log.closings()], log.dropped) == (None, ["o-2"], 2)


def test_closed_holds_merge_the_live_queue_with_the_audit_trail_newest_first() -> None:
    queue = HoldQueue()
    seen_live = licence_hold("o-live", evaluated_at=NOW)
    held_again = licence_hold("o-again", evaluated_at=NOW + timedelta(hours=1))
    for decision in (seen_live, held_again):
        queue.add_decision(decision)
    review = Review(
        review_id="r-live",
        order_id="o-live",
        decision_id=seen_live.decision_id,
        action=ReviewAction.RELEASE,
        reviewer="carol",
        justification="seen live",
        created_at=NOW + timedelta(minutes=20),
    )
    follow_up = apply_review(seen_live, review, [])
    assert follow_up is not None
    queue.add_decision(follow_up)
    audited = [
        # The same close, as the audit trail has it: the queue's record has more and wins.
        _audit("o-live", ReviewAction.RELEASE, Route.RELEASE, minutes=21, actor="carol"),
        _audit("o-old", ReviewAction.DENY, Route.HOLD, minutes=-30),
        _audit("o-lic", ReviewAction.LICENSE, Route.LICENSE, minutes=10),
        # Closed before, open again now: not listed as closed.
        _audit("o-again", ReviewAction.RELEASE, Route.RELEASE, minutes=-10),
    ]
    log = AuditLog()
    for record in audited:
        log.add(record)
    found = closed_holds(queue.files(), "", log.closings())
    assert [(c.order_id, c.closed_as, c.closed_by) for c in found] == [
        ("o-live", "released", "carol"),
        ("o-lic", "sent to licensing", "alice"),
        ("o-old", "denied", "alice"),
    ]
    assert found[0].held_since == NOW  # from the queue: it knows when the hold began
    assert found[1].held_since is None  # from the audit trail only
    assert [c.order_id for c in closed_holds(queue.files(), "LIC", log.closings())] == ["o-lic"]

    restarted = HoldQueue()  # a console that saw nothing live and has no open hold: the audit trail alone
    assert [c.order_id for c in closed_holds(restarted.files(), "", log.closings())] == [
        "o-live",
        "o-lic",
        "o-again",
        "o-old",
    ]
    one = closed_order(restarted.get("o-old"), log.closing("o-old"))
    assert one is not None
    assert (one.closed_as, one.justification) == ("denied", "deny checked")
    assert closed_order(queue.get("o-again"), log.closing("o-again")) is None
