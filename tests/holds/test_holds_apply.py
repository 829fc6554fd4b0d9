"""The pure review logic: follow-up routes, four-eyes release, refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pipeline.holds.apply import ReviewRefusedError, apply_review, follow_up_decision_id
from schemas.decision import DecisionRecord, Outcome, Route
from schemas.review import ClearedMatch, Review, ReviewAction
from tests.holds.samples import licence_hold, party_list_hold

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def review(
    decision: DecisionRecord,
    action: ReviewAction,
    reviewer: str = "alice",
    *,
    review_id: str | None = None,
    justification: str = "checked the paperwork",
    cleared: ClearedMatch | None = None,
) -> Review:
    return Review(
        review_id=review_id or f"{reviewer}-{action}",
        order_id=decision.order_id,
        decision_id=decision.decision_id,
        action=action,
        reviewer=reviewer,
        justification=justification,
        created_at=T0 + timedelta(minutes=5),
        cleared=cleared,
    )


@pytest.mark.parametrize(
    ("action", "route"),
    [
        (ReviewAction.RELEASE, Route.RELEASE),
        (ReviewAction.DENY, Route.HOLD),
        (ReviewAction.ESCALATE, Route.HOLD),
        (ReviewAction.LICENSE, Route.LICENSE),
    ],
)
def test_single_reviewer_actions_on_a_hold_without_prohibited_findings(
    action: ReviewAction, route: Route
) -> None:
    current = licence_hold("o-1", evaluated_at=T0)
    the_review = review(current, action)
    follow_up = apply_review(current, the_review, [])
    assert follow_up is not None
    assert follow_up.route is route
    assert follow_up.decision_id == follow_up_decision_id(the_review.review_id)
    assert follow_up.supersedes == current.decision_id
    assert follow_up.revision == current.revision
    assert follow_up.evaluated_at == the_review.created_at
    assert follow_up.review is not None
    assert follow_up.review["action"] == action
    assert follow_up.review["approved_by"] == "alice"
    assert follow_up.reasons[-1].rule_id == f"review.{action}"
    assert "checked the paperwork" in follow_up.reasons[-1].explanation


def test_replaying_a_review_gives_the_same_follow_up() -> None:
    current = licence_hold("o-1", evaluated_at=T0)
    the_review = review(current, ReviewAction.RELEASE)
    assert apply_review(current, the_review, []) == apply_review(current, the_review, [the_review])


def test_prohibited_release_needs_two_different_reviewers() -> None:
    current = party_list_hold("o-2", evaluated_at=T0)
    first = review(current, ReviewAction.RELEASE, "alice")
    assert apply_review(current, first, []) is None

    again = review(current, ReviewAction.RELEASE, "alice", review_id="alice-again")
    with pytest.raises(ReviewRefusedError, match="second, different reviewer"):
        apply_review(current, again, [first])

    second = review(current, ReviewAction.RELEASE, "bob")
    follow_up = apply_review(current, second, [first, again])
    assert follow_up is not None
    assert follow_up.route is Route.RELEASE
    assert follow_up.review is not None
    assert follow_up.review["approved_by"] == "alice,bob"


def test_approvals_of_an_earlier_decision_do_not_count() -> None:
    earlier = party_list_hold("o-3", evaluated_at=T0)
    current = party_list_hold("o-3", evaluated_at=T0 + timedelta(hours=1))
    stale_approval = review(earlier, ReviewAction.RELEASE, "alice")
    assert apply_review(current, review(current, ReviewAction.RELEASE, "bob"), [stale_approval]) is None


@pytest.mark.parametrize(
    ("current", "make_review", "message"),
    [
        (
            licence_hold("o-4"),
            lambda d: review(d, ReviewAction.RELEASE).model_copy(update={"decision_id": "older"}),
            "current decision",
        ),
        (
            licence_hold("o-4").model_copy(update={"route": Route.RELEASE}),
            lambda d: review(d, ReviewAction.RELEASE),
            "not on hold",
        ),
        (
            licence_hold("o-4").model_copy(update={"review": {"action": "deny"}}),
            lambda d: review(d, ReviewAction.RELEASE),
            "denied",
        ),
        (
            party_list_hold("o-4"),
            lambda d: review(d, ReviewAction.LICENSE),
            "cannot be licensed",
        ),
        (
            licence_hold("o-4"),
            lambda d: review(
                d,
                ReviewAction.CLEAR_MATCH,
                cleared=ClearedMatch(entry_id="nope", name_sent="x", expires_at=T0 + timedelta(days=90)),
            ),
            "no match",
        ),
    ],
)
def test_refusals(current: DecisionRecord, make_review: object, message: str) -> None:
    assert callable(make_review)
    with pytest.raises(ReviewRefusedError, match=message):
        apply_review(current, make_review(current), [])


def test_clearing_a_prohibited_match_takes_two_reviewers_and_leaves_the_licence_finding() -> None:
    current = party_list_hold("o-5", evaluated_at=T0)
    match = current.party_matches[0]
    cleared = ClearedMatch(
        entry_id=match.entry_id, name_sent=match.name_sent, expires_at=T0 + timedelta(days=90)
    )
    first = review(current, ReviewAction.CLEAR_MATCH, "alice", cleared=cleared)
    assert apply_review(current, first, []) is None
    follow_up = apply_review(
        current, review(current, ReviewAction.CLEAR_MATCH, "bob", cleared=cleared), [first]
    )
    assert follow_up is not None
    assert follow_up.route is Route.LICENSE
    assert follow_up.party_matches == []
    assert [r.rule_id for r in follow_up.reasons] == ["cn.dual-use.licence-required", "review.clear_match"]
    assert follow_up.review is not None
    assert follow_up.review["cleared_entry_id"] == match.entry_id


@pytest.mark.parametrize("action", [ReviewAction.RELEASE, ReviewAction.CLEAR_MATCH])
def test_release_and_clearing_need_a_justification(action: ReviewAction) -> None:
    current = licence_hold("o-6")
    cleared = (
        ClearedMatch(entry_id="e", name_sent="n", expires_at=T0)
        if action is ReviewAction.CLEAR_MATCH
        else None
    )
    with pytest.raises(ValueError, match="justification"):
        review(current, action, justification="", cleared=cleared)


def test_clearing_understands_the_rule_engines_party_evidence() -> None:
    base = party_list_hold("o-7", evaluated_at=T0)
    match = base.party_matches[0]
    cited = f"{match.name_sent} = {match.listed_name} [{match.program} {match.entry_id}, strong, active]"
    engine_style = base.model_copy(
        update={
            "reasons": [
                base.reasons[0].model_copy(
                    update={
                        "rule_id": "cn-party-potential-match",
                        "outcome": Outcome.REVIEW,
                        "evidence": {"matched": "party list", "party:end_user": cited},
                    }
                ),
                base.reasons[1],
            ]
        }
    )
    cleared = ClearedMatch(
        entry_id=match.entry_id, name_sent=match.name_sent, expires_at=T0 + timedelta(days=30)
    )
    follow_up = apply_review(
        engine_style, review(engine_style, ReviewAction.CLEAR_MATCH, cleared=cleared), []
    )
    assert follow_up is not None
    assert (follow_up.route, [r.rule_id for r in follow_up.reasons]) == (
        Route.LICENSE,
        ["cn.dual-use.licence-required", "review.clear_match"],
    )
