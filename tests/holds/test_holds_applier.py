"""The review applier without a broker: backlog replay, parking, follow-ups, audit records."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from pipeline.holds.applier import ReviewApplier
from pipeline.holds.outbox import MemoryOutbox
from schemas.decision import DecisionRecord, Route
from schemas.review import AuditOutcome, Review, ReviewAction
from tests.holds.samples import licence_hold, party_list_hold

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def review(decision: DecisionRecord, action: ReviewAction, reviewer: str, review_id: str) -> Review:
    return Review(
        review_id=review_id,
        order_id=decision.order_id,
        decision_id=decision.decision_id,
        action=action,
        reviewer=reviewer,
        justification="end user verified",
        created_at=T0 + timedelta(minutes=1),
    )


def test_four_eyes_release_through_the_applier() -> None:
    async def scenario() -> MemoryOutbox:
        outbox = MemoryOutbox()
        applier = ReviewApplier(outbox)
        hold = party_list_hold("o-1", evaluated_at=T0)
        await applier.on_decision(hold)
        await applier.go_live()
        await applier.on_review(review(hold, ReviewAction.RELEASE, "alice", "r1"))
        await applier.on_review(review(hold, ReviewAction.RELEASE, "alice", "r2"))
        await applier.on_review(review(hold, ReviewAction.RELEASE, "bob", "r3"))
        await applier.on_review(review(hold, ReviewAction.DENY, "carol", "r4"))
        return outbox

    outbox = asyncio.run(scenario())
    assert [d.route for d in outbox.decisions] == [Route.RELEASE]
    assert [(a.review_id, a.outcome) for a in outbox.audits] == [
        ("r1", AuditOutcome.AWAITING_SECOND_APPROVAL),
        ("r2", AuditOutcome.REFUSED),
        ("r3", AuditOutcome.APPLIED),
        ("r4", AuditOutcome.REFUSED),
    ]
    assert all(a.why == "end user verified" for a in outbox.audits)


def test_restart_replays_without_emitting_twice_and_parks_early_reviews() -> None:
    hold = licence_hold("o-2", evaluated_at=T0)
    first_review = review(hold, ReviewAction.ESCALATE, "alice", "r1")

    async def first_run() -> MemoryOutbox:
        outbox = MemoryOutbox()
        applier = ReviewApplier(outbox)
        await applier.go_live()
        await applier.on_review(first_review)  # its decision is not read yet: parked
        await applier.on_decision(hold)
        return outbox

    before = asyncio.run(first_run())
    assert [d.route for d in before.decisions] == [Route.HOLD]
    escalated = before.decisions[0]

    async def restart() -> MemoryOutbox:
        outbox = MemoryOutbox()
        applier = ReviewApplier(outbox)
        for decision in (hold, escalated):
            await applier.on_decision(decision)
        await applier.on_review(first_review)
        await applier.go_live()
        await applier.on_review(review(escalated, ReviewAction.LICENSE, "bob", "r2"))
        return outbox

    after = asyncio.run(restart())
    assert [(d.route, d.supersedes) for d in after.decisions] == [(Route.LICENSE, escalated.decision_id)]
    assert [a.review_id for a in after.audits] == ["r2"]
