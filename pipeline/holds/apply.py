"""Turn a reviewer's action on a hold into the follow-up decision.

`apply_review` is pure: the same current decision, review and earlier reviews give the same result, so
the review applier can replay `holds.reviews` after a restart without emitting anything new. It
returns the follow-up decision, `None` when the review is a recorded first approval of a four-eyes
release, and raises `ReviewRefusedError` when the review may not be applied.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from schemas.decision import DecisionRecord, Outcome, PartyMatch, Reason, Route
from schemas.review import ClearedMatch, Review, ReviewAction

# Follow-up decision ids derive from the review id, so replaying a review cannot mint a second decision.
_FOLLOW_UP_NAMESPACE = uuid.UUID("5b0c1f64-7d0e-4d9a-9a53-3a4f0c6e2b11")

# Findings that keep an order on hold whatever else a review changes.
_HOLDING_OUTCOMES = frozenset({Outcome.PROHIBITED, Outcome.REVIEW})


class ReviewRefusedError(Exception):
    """The review cannot be applied to the current decision; `reason` says why in one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ClearingEffect:
    """What clearing one party match removes from a decision."""

    matches: tuple[PartyMatch, ...]
    reasons: tuple[Reason, ...]


def follow_up_decision_id(review_id: str) -> str:
    return str(uuid.uuid5(_FOLLOW_UP_NAMESPACE, review_id))


# An applied review's audit detail names its follow-up route, so the audit trail alone tells
# whether the review closed the hold (it survives a console restart; the queue does not).
_APPLIED_DETAIL = "follow-up decision routes to "


def applied_detail(route: Route) -> str:
    return f"{_APPLIED_DETAIL}{route}"


def applied_route(detail: str) -> Route | None:
    """The follow-up route an applied review's audit `detail` names, or None when it names none."""
    if not detail.startswith(_APPLIED_DETAIL):
        return None
    try:
        # What follows the route after a "; " describes the follow-up (pipeline/holds/stream_close.py).
        return Route(detail.removeprefix(_APPLIED_DETAIL).partition("; ")[0])
    except ValueError:
        return None


def has_prohibited_finding(reasons: Iterable[Reason]) -> bool:
    return any(reason.outcome is Outcome.PROHIBITED for reason in reasons)


def may_license(decision: DecisionRecord) -> bool:
    """Whether "send to licensing" can apply: a licence cannot lift a prohibition."""
    return not has_prohibited_finding(decision.reasons)


def is_denied(decision: DecisionRecord) -> bool:
    """A denied hold is closed: the block is confirmed and no further review applies."""
    return decision.review is not None and decision.review.get("action") == ReviewAction.DENY


def clearing_effect(decision: DecisionRecord, cleared: ClearedMatch) -> ClearingEffect:
    """The party matches and the findings that rest only on the cleared list entry for that name."""
    matches = tuple(
        m
        for m in decision.party_matches
        if m.entry_id == cleared.entry_id and m.name_sent == cleared.name_sent
    )
    if not matches:
        return ClearingEffect(matches=(), reasons=())
    reasons = tuple(r for r in decision.reasons if _rests_only_on(r, cleared))
    return ClearingEffect(matches=matches, reasons=reasons)


def _rests_only_on(reason: Reason, cleared: ClearedMatch) -> bool:
    """True for a party-list finding whose every cited list hit is the cleared one.

    The rule engine cites hits as `party:<role>` evidence ("name sent = listed name [program entry, ...]");
    a finding may also name its entry under `entry_id`.
    """
    cited = [value for key, value in reason.evidence.items() if key.startswith("party:") or key == "entry_id"]
    return bool(cited) and all(
        value == cleared.entry_id or (f" {cleared.entry_id}," in value and cleared.name_sent in value)
        for value in cited
    )


def route_for(reasons: Iterable[Reason], *, fail_closed: bool) -> Route:
    """The most restrictive route the remaining findings call for (HOLD > LICENSE > RELEASE)."""
    outcomes = {reason.outcome for reason in reasons}
    if fail_closed or outcomes & _HOLDING_OUTCOMES:
        return Route.HOLD
    if Outcome.LICENCE_REQUIRED in outcomes:
        return Route.LICENSE
    return Route.RELEASE


def needs_two_reviewers(current: DecisionRecord, review: Review) -> bool:
    """Lifting a prohibited finding, by release or by clearing its match, takes two reviewers."""
    if review.action is ReviewAction.RELEASE:
        return has_prohibited_finding(current.reasons)
    if review.action is ReviewAction.CLEAR_MATCH and review.cleared is not None:
        return has_prohibited_finding(clearing_effect(current, review.cleared).reasons)
    return False


def earlier_approvals(
    current: DecisionRecord, review: Review, reviews_so_far: Iterable[Review]
) -> list[Review]:
    """Reviews of the same decision asking for the same change, before this one."""
    return [
        r
        for r in reviews_so_far
        if r.decision_id == current.decision_id
        and r.action is review.action
        and r.cleared == review.cleared
        and r.review_id != review.review_id
    ]


def apply_review(
    current: DecisionRecord, review: Review, reviews_so_far: Sequence[Review]
) -> DecisionRecord | None:
    """The follow-up decision for `review` on `current`, or None for a recorded first approval."""
    _check_applicable(current, review)
    approvers = [review.reviewer]
    if needs_two_reviewers(current, review):
        earlier = earlier_approvals(current, review, reviews_so_far)
        if review.reviewer in {r.reviewer for r in earlier}:
            msg = f"{review.reviewer} already approved this; a second, different reviewer must approve"
            raise ReviewRefusedError(msg)
        if not earlier:
            return None
        approvers = [earlier[0].reviewer, review.reviewer]

    match review.action:
        case ReviewAction.RELEASE:
            return _follow_up(current, review, Route.RELEASE, approvers)
        case ReviewAction.DENY | ReviewAction.ESCALATE:
            return _follow_up(current, review, Route.HOLD, approvers)
        case ReviewAction.LICENSE:
            if not may_license(current):
                msg = "a prohibited finding cannot be licensed; release it with two reviewers or deny it"
                raise ReviewRefusedError(msg)
            return _follow_up(current, review, Route.LICENSE, approvers)
        case ReviewAction.CLEAR_MATCH:
            return _clear_match(current, review, approvers)


def _check_applicable(current: DecisionRecord, review: Review) -> None:
    if review.order_id != current.order_id:
        msg = f"review is for order {review.order_id}, decision is for {current.order_id}"
        raise ReviewRefusedError(msg)
    if review.decision_id != current.decision_id:
        msg = (
            f"review was made on decision {review.decision_id}; the current decision is {current.decision_id}"
        )
        raise ReviewRefusedError(msg)
    if current.route is not Route.HOLD:
        msg = f"order is not on hold (route {current.route})"
        raise ReviewRefusedError(msg)
    if is_denied(current):
        msg = "the hold was denied; the block is final"
        raise ReviewRefusedError(msg)


def _clear_match(current: DecisionRecord, review: Review, approvers: list[str]) -> DecisionRecord:
    assert review.cleared is not None  # guaranteed by Review's own validation
    effect = clearing_effect(current, review.cleared)
    if not effect.matches:
        msg = f"no match of {review.cleared.name_sent!r} against entry {review.cleared.entry_id} to clear"
        raise ReviewRefusedError(msg)
    reasons = [r for r in current.reasons if r not in effect.reasons]
    matches = [m for m in current.party_matches if m not in effect.matches]
    route = route_for(reasons, fail_closed=current.fail_closed)
    return _follow_up(current, review, route, approvers, reasons=reasons, matches=matches)


def _follow_up(
    current: DecisionRecord,
    review: Review,
    route: Route,
    approvers: list[str],
    *,
    reasons: list[Reason] | None = None,
    matches: list[PartyMatch] | None = None,
) -> DecisionRecord:
    who = " and ".join(approvers)
    why = f": {review.justification}" if review.justification else ""
    review_reason = Reason(
        rule_id=f"review.{review.action}",
        title=f"Hold review: {review.action.replace('_', ' ')}",
        outcome=Outcome.INFO,
        explanation=f"{review.action.replace('_', ' ').capitalize()} by {who}{why}",
        evidence={"review_id": review.review_id, "reviewers": ",".join(approvers)},
    )
    details = {
        "review_id": review.review_id,
        "action": str(review.action),
        "reviewer": review.reviewer,
        "approved_by": ",".join(approvers),
        "justification": review.justification,
    }
    if review.cleared is not None:
        details["cleared_entry_id"] = review.cleared.entry_id
        details["cleared_until"] = review.cleared.expires_at.isoformat()
    return current.model_copy(
        update={
            "decision_id": follow_up_decision_id(review.review_id),
            "route": route,
            "evaluated_at": review.created_at,
            "reasons": [*(current.reasons if reasons is None else reasons), review_reason],
            "party_matches": list(current.party_matches if matches is None else matches),
            "fail_closed": current.fail_closed and route is Route.HOLD,
            "supersedes": current.decision_id,
            "review": details,
        }
    )
