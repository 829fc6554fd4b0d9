"""The review applier without a broker: trusted reviews only, four-eyes, replays, stale decisions and
the open-hold state it keeps on `holds.current`."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pipeline.console.auth import hash_password, parse_users
from pipeline.holds.applier import ReviewApplier, ReviewOutcome
from pipeline.holds.apply import follow_up_decision_id
from pipeline.holds.recent_orders import RecentOrders
from pipeline.holds.signing import ReviewSigner
from pipeline.holds.trust import ReviewTrust
from schemas.decision import DecisionRecord, Route
from schemas.review import AuditOutcome, CurrentHold, Review, ReviewAction
from tests.holds.samples import licence_hold, party_list_hold

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SIGNER = ReviewSigner(b"a review signing key of 32 bytes")
FORGER = ReviewSigner(b"somebody else's key, also 32 byte")
_HASH = hash_password("pw")
USERS = parse_users(f"alice:reviewer:{_HASH},bob:reviewer:{_HASH},ada:admin:{_HASH},vera:viewer:{_HASH}")


def review(
    decision: DecisionRecord,
    action: ReviewAction,
    reviewer: str,
    review_id: str,
    *,
    signer: ReviewSigner | None = SIGNER,
) -> Review:
    made = Review(
        review_id=review_id,
        order_id=decision.order_id,
        decision_id=decision.decision_id,
        action=action,
        reviewer=reviewer,
        justification="end user verified",
        created_at=T0 + timedelta(minutes=1),
    )
    return made if signer is None else signer.sign(made)


def applier_with(*decisions: DecisionRecord, signer: ReviewSigner | None = SIGNER) -> ReviewApplier:
    applier = ReviewApplier(ReviewTrust(signer, USERS))
    for decision in decisions:
        applier.on_decision(decision)
    return applier


def refusal(applier: ReviewApplier, made: Review, source: str = "") -> str:
    outcome, effects = applier.on_review(made, decisions_complete=True, source=source, now=T0)
    assert outcome is ReviewOutcome.REFUSED
    assert effects.decisions == []
    assert effects.holds == []
    assert effects.closed == []
    [audit] = effects.audits
    assert (audit.outcome, audit.review_id, audit.actor) == (
        AuditOutcome.REFUSED,
        made.review_id,
        made.reviewer,
    )
    return audit.detail


def test_four_eyes_release_through_the_applier() -> None:
    hold = party_list_hold("o-1", evaluated_at=T0)
    applier = applier_with(hold)
    outcomes = []
    for made in (
        review(hold, ReviewAction.RELEASE, "alice", "r1"),
        review(hold, ReviewAction.RELEASE, "alice", "r2"),
        review(hold, ReviewAction.RELEASE, "bob", "r3"),
        review(hold, ReviewAction.DENY, "ada", "r4"),
    ):
        outcome, effects = applier.on_review(made, decisions_complete=True, now=T0)
        outcomes.append((outcome, [a.outcome for a in effects.audits], [d.route for d in effects.decisions]))
    assert outcomes == [
        (ReviewOutcome.AWAITING_SECOND_APPROVAL, [AuditOutcome.AWAITING_SECOND_APPROVAL], []),
        (ReviewOutcome.REFUSED, [AuditOutcome.REFUSED], []),
        (ReviewOutcome.APPLIED, [AuditOutcome.APPLIED], [Route.RELEASE]),
        (ReviewOutcome.REFUSED, [AuditOutcome.REFUSED], []),
    ]
    assert applier.holds == {}


@pytest.mark.parametrize(
    ("made", "reason"),
    [
        (lambda d: review(d, ReviewAction.RELEASE, "mallory", "f1"), "unknown reviewer 'mallory'"),
        (lambda d: review(d, ReviewAction.RELEASE, "vera", "f2"), "role viewer, which may not release"),
        (lambda d: review(d, ReviewAction.RELEASE, "alice", "f3", signer=None), "unsigned review"),
        (lambda d: review(d, ReviewAction.RELEASE, "alice", "f4", signer=FORGER), "bad signature"),
        (
            lambda d: review(d, ReviewAction.ESCALATE, "alice", "f5").model_copy(update={"reviewer": "bob"}),
            "bad signature",
        ),
    ],
    ids=["unknown-reviewer", "viewer-role", "unsigned", "wrong-key", "altered-after-signing"],
)
def test_untrusted_reviews_are_refused_with_a_specific_reason(made: object, reason: str) -> None:
    hold = licence_hold("o-2", evaluated_at=T0)
    applier = applier_with(hold)
    assert callable(made)
    assert reason in refusal(applier, made(hold))
    assert applier.holds["o-2"].decision == hold


def test_a_forged_first_approval_does_not_count_towards_four_eyes() -> None:
    hold = party_list_hold("o-3", evaluated_at=T0)
    applier = applier_with(hold)
    assert "unknown reviewer" in refusal(applier, review(hold, ReviewAction.RELEASE, "mallory", "forged"))
    outcome, effects = applier.on_review(
        review(hold, ReviewAction.RELEASE, "alice", "genuine"), decisions_complete=True, now=T0
    )
    assert (outcome, effects.decisions) == (ReviewOutcome.AWAITING_SECOND_APPROVAL, [])
    assert [r.reviewer for r in applier.holds["o-3"].reviews] == ["alice"]


def test_without_a_signing_key_every_review_is_refused() -> None:
    hold = licence_hold("o-4", evaluated_at=T0)
    applier = applier_with(hold, signer=None)
    assert "no review signing key" in refusal(applier, review(hold, ReviewAction.ESCALATE, "alice", "r1"))


def test_replays_and_stale_decisions_are_refused_each_with_its_own_audit_record() -> None:
    hold = licence_hold("o-5", evaluated_at=T0)
    applier = applier_with(hold)
    escalate = review(hold, ReviewAction.ESCALATE, "alice", "r1")
    outcome, effects = applier.on_review(escalate, decisions_complete=True, now=T0)
    assert outcome is ReviewOutcome.APPLIED
    [escalated] = effects.decisions
    assert [h.decision.decision_id for h in effects.holds] == [follow_up_decision_id("r1")]

    first = refusal(applier, escalate, source="holds.reviews/0/7")
    second = refusal(applier, escalate, source="holds.reviews/0/8")
    assert first.startswith("replayed: review r1")
    assert second == first
    stale = review(hold, ReviewAction.LICENSE, "bob", "r2")
    assert f"decision {hold.decision_id} is not current" in refusal(applier, stale)

    licensed = review(escalated, ReviewAction.LICENSE, "bob", "r3")
    outcome, effects = applier.on_review(licensed, decisions_complete=True, now=T0)
    assert (outcome, effects.closed) == (ReviewOutcome.APPLIED, ["o-5"])
    assert "has no open hold" in refusal(applier, licensed)


def test_a_replayed_first_approval_is_not_a_second_one() -> None:
    hold = party_list_hold("o-6", evaluated_at=T0)
    applier = applier_with(hold)
    first = review(hold, ReviewAction.RELEASE, "alice", "r1")
    applier.on_review(first, decisions_complete=True, now=T0)
    assert refusal(applier, first).startswith("replayed")


def test_a_review_ahead_of_its_decision_waits_until_decisions_are_read() -> None:
    hold = licence_hold("o-7", evaluated_at=T0)
    applier = applier_with()
    early = review(hold, ReviewAction.ESCALATE, "alice", "r1")
    outcome, effects = applier.on_review(early, decisions_complete=False, now=T0)
    assert (outcome, effects.audits) == (ReviewOutcome.WAITING_FOR_DECISION, [])
    assert [h.order_id for h in applier.on_decision(hold).holds] == ["o-7"]
    outcome, effects = applier.on_review(early, decisions_complete=False, now=T0)
    assert [d.supersedes for d in effects.decisions] == [hold.decision_id]


def test_open_holds_follow_decisions_and_reload_from_holds_current() -> None:
    hold = licence_hold("o-8", evaluated_at=T0)
    applier = applier_with()
    [opened] = applier.on_decision(hold).holds
    assert (opened.held_since, opened.decision) == (T0, hold)
    rescreened = licence_hold("o-8", evaluated_at=T0 + timedelta(hours=1), revision=2)
    [moved] = applier.on_decision(rescreened).holds
    assert (moved.held_since, moved.decision) == (T0, rescreened)
    assert applier.on_decision(hold).holds == []  # older than the current decision

    restarted = applier_with()
    restarted.load(CurrentHold.model_validate_json(moved.model_dump_json()))
    released = review(rescreened, ReviewAction.RELEASE, "bob", "r1")
    outcome, effects = restarted.on_review(released, decisions_complete=True, now=T0)
    assert (outcome, [d.route for d in effects.decisions], effects.closed) == (
        ReviewOutcome.APPLIED,
        [Route.RELEASE],
        ["o-8"],
    )
    assert restarted.on_decision(effects.decisions[0]).closed == []


def test_a_hold_carries_its_recent_order_event_and_old_ones_leave_the_window(
    make_order: Callable[..., dict[str, Any]],
) -> None:
    recent = RecentOrders(budget_bytes=4000)
    raw = json.dumps(make_order(order_id="o-9")).encode()
    recent.add("o-9", raw)
    applier = ReviewApplier(ReviewTrust(SIGNER, USERS), recent.get)
    [opened] = applier.on_decision(licence_hold("o-9", evaluated_at=T0)).holds
    assert opened.order is not None
    assert opened.order.order_id == "o-9"
    newest = 4000 // len(raw)
    for n in range(newest + 1):
        recent.add(f"other-{n}", raw)
    assert recent.get("o-9") is None
    assert recent.get(f"other-{newest}") is not None
