"""What happens when a reviewer acts on a hold: checks, the review event, the audit record.

The console checks a review with the same pure `apply_review` the applier runs, so a refusal (stale
decision, same reviewer twice, licensing a prohibited finding) is reported at once instead of
after a round trip through Kafka. Accepted reviews go to `holds.reviews`, signed by the outbox; the
applier checks the signature and the reviewer, then emits the follow-up decision.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import ValidationError

from pipeline.holds.apply import ReviewRefusedError, apply_review
from pipeline.holds.outbox import HoldsOutbox
from pipeline.holds.queue import HoldQueue
from pipeline.holds.signing import NO_SIGNING_KEY, ReviewSigningError
from schemas.decision import DecisionRecord
from schemas.review import AuditOutcome, AuditRecord, ClearedMatch, Review, ReviewAction

MAX_CLEARANCE_DAYS = 365


@dataclass(frozen=True, slots=True)
class ActionRequest:
    order_id: str
    action: str
    decision_id: str
    justification: str = ""
    entry_id: str = ""
    name_sent: str = ""
    expires_days: str = ""


@dataclass(frozen=True, slots=True)
class ActionResult:
    status: int
    message: str
    review_id: str | None = None
    awaiting_second_approval: bool = False
    # Which of the pages' fixed notices tells the outcome (pages.NOTICES).
    notice: str = ""


async def audit(
    outbox: HoldsOutbox,
    now: datetime,
    actor: str,
    action: str,
    outcome: AuditOutcome,
    *,
    order_id: str | None = None,
    decision_id: str | None = None,
    review_id: str | None = None,
    why: str = "",
    detail: str = "",
) -> None:
    await outbox.audit(
        AuditRecord(
            audit_id=str(uuid.uuid4()),
            at=now,
            actor=actor,
            action=action,
            outcome=outcome,
            order_id=order_id,
            decision_id=decision_id,
            review_id=review_id,
            why=why,
            detail=detail,
        )
    )


def _cleared(request: ActionRequest, now: datetime) -> ClearedMatch:
    try:
        days = int(request.expires_days or "90")
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_CLEARANCE_DAYS:
        msg = f"a clearance lasts 1 to {MAX_CLEARANCE_DAYS} days"
        raise ValueError(msg)
    return ClearedMatch(
        entry_id=request.entry_id, name_sent=request.name_sent, expires_at=now + timedelta(days=days)
    )


class ActionRefusedError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _check(
    queue: HoldQueue, request: ActionRequest, reviewer: str, now: datetime
) -> tuple[Review, DecisionRecord | None]:
    """The review event for a request and the follow-up it would cause, or the refusal."""
    try:
        action = ReviewAction(request.action)
    except ValueError as exc:
        raise ActionRefusedError(404, f"unknown action {request.action!r}") from exc
    entry = queue.get(request.order_id)
    if entry is None or entry.current is None:
        raise ActionRefusedError(404, f"no decision known for order {request.order_id}")
    if action is ReviewAction.DENY and not request.justification.strip():
        raise ActionRefusedError(400, "deny needs a justification")
    try:
        review = Review(
            review_id=str(uuid.uuid4()),
            order_id=request.order_id,
            decision_id=request.decision_id or entry.current.decision_id,
            action=action,
            reviewer=reviewer,
            justification=request.justification.strip(),
            created_at=now,
            cleared=_cleared(request, now) if action is ReviewAction.CLEAR_MATCH else None,
        )
    except ValidationError as exc:
        message = "; ".join(str(err["msg"]).removeprefix("Value error, ") for err in exc.errors())
        raise ActionRefusedError(400, message) from exc
    except ValueError as exc:
        raise ActionRefusedError(400, str(exc)) from exc
    try:
        return review, apply_review(entry.current, review, entry.reviews)
    except ReviewRefusedError as refused:
        raise ActionRefusedError(409, refused.reason) from refused


async def perform(
    queue: HoldQueue, outbox: HoldsOutbox, reviewer: str, request: ActionRequest, now: datetime
) -> ActionResult:
    """Check and publish one review; every outcome, refusals included, leaves an audit record."""

    async def refuse(status: int, message: str) -> ActionResult:
        await audit(
            outbox,
            now,
            reviewer,
            request.action,
            AuditOutcome.REFUSED,
            order_id=request.order_id,
            decision_id=request.decision_id or None,
            why=request.justification,
            detail=message,
        )
        return ActionResult(status, message)

    try:
        review, follow_up = _check(queue, request, reviewer, now)
    except ActionRefusedError as refused:
        return await refuse(refused.status, refused.message)

    if not outbox.signs_reviews:
        return await refuse(503, NO_SIGNING_KEY)
    # The request is audited before the review leaves, so the applier's record always follows it.
    await audit(
        outbox,
        now,
        reviewer,
        str(review.action),
        AuditOutcome.REQUESTED,
        order_id=review.order_id,
        decision_id=review.decision_id,
        review_id=review.review_id,
        why=review.justification,
        detail="first of two approvals" if follow_up is None else f"expected route {follow_up.route}",
    )
    try:
        await outbox.review(review)
    except ReviewSigningError as unsigned:
        return await refuse(503, str(unsigned))
    queue.add_review(review)
    if follow_up is None:
        message = "Approval recorded: a second, different reviewer must also approve."
        return ActionResult(
            202, message, review.review_id, awaiting_second_approval=True, notice="awaiting_second_approval"
        )
    message = f"{review.action.replace('_', ' ').capitalize()} sent."
    return ActionResult(202, message, review.review_id, notice=str(review.action))
