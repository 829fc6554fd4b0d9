"""The review applier's logic, broker-free: the open holds of one partition, and what each decision or
review read from that partition does to them.

State is the set of open holds (`CurrentHold`, as on the compacted `holds.current`), so a restart
loads what is open, not the history. Every call returns `Effects` for the caller to publish, in one
transaction with the consumed offsets (pipeline/kafka/review_applier.py) or into memory in tests.

A review is applied only when it is trusted (signed, known reviewer, role that may act), not a
replay (an id already recorded or applied while the hold is open) and made on the order's current
decision; every refusal is an audit record with the reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from pipeline.holds.apply import (
    ReviewRefusedError,
    applied_detail,
    apply_review,
    clearing_effect,
    is_denied,
)
from pipeline.holds.stream_close import stream_close_audit
from pipeline.holds.trust import ReviewTrust
from schemas.decision import DecisionRecord, Route
from schemas.order import OrderEvent
from schemas.review import (
    MAX_APPLIED_REVIEW_IDS,
    AllowlistEntry,
    AuditOutcome,
    AuditRecord,
    CurrentHold,
    Review,
)

_AUDIT_NAMESPACE = uuid.UUID("0e6f1f0a-3c55-4d8e-8f0e-9b8c4a1d2e77")


@dataclass(slots=True)
class Effects:
    """What to publish: follow-up decisions, allowlist entries, audit records, `holds.current` changes."""

    decisions: list[DecisionRecord] = field(default_factory=list)
    allowlist: list[AllowlistEntry] = field(default_factory=list)
    audits: list[AuditRecord] = field(default_factory=list)
    holds: list[CurrentHold] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)

    def extend(self, other: Effects) -> None:
        self.decisions.extend(other.decisions)
        self.allowlist.extend(other.allowlist)
        self.audits.extend(other.audits)
        self.holds.extend(other.holds)
        self.closed.extend(other.closed)


class ReviewOutcome(StrEnum):
    APPLIED = "applied"
    AWAITING_SECOND_APPROVAL = "awaiting_second_approval"
    REFUSED = "refused"
    # The review names a decision not read yet; the caller retries once more decisions are read.
    WAITING_FOR_DECISION = "waiting_for_decision"


def _newer(decision: DecisionRecord, than: DecisionRecord) -> bool:
    """A decision that names `than` as superseded is newer whatever the clocks that stamped them say."""
    if decision.supersedes == than.decision_id:
        return True
    return (decision.revision, decision.evaluated_at) >= (than.revision, than.evaluated_at)


OrderLookup = Callable[[str], OrderEvent | None]


def _no_orders(_: str) -> OrderEvent | None:
    return None


class ReviewApplier:
    """The open holds of the orders one applier owns (one partition of the order-keyed topics).

    `orders` finds a recent order event by id, so a hold carries its order to the console.
    """

    def __init__(self, trust: ReviewTrust, orders: OrderLookup = _no_orders) -> None:
        self._trust = trust
        self._orders = orders
        self.holds: dict[str, CurrentHold] = {}

    def load(self, hold: CurrentHold) -> None:
        """Start-up: an open hold as read back from `holds.current`."""
        self.holds[hold.order_id] = hold

    def close(self, order_id: str) -> None:
        """Start-up: a tombstone read back from `holds.current`."""
        self.holds.pop(order_id, None)

    def on_decision(self, decision: DecisionRecord) -> Effects:
        """Open, move or close the order's hold when `decision` is at least as new as the current one."""
        return self._follow(decision, applied_review="")

    def _follow(self, decision: DecisionRecord, *, applied_review: str) -> Effects:
        effects = Effects()
        hold = self.holds.get(decision.order_id)
        if hold is not None and (
            hold.decision.decision_id == decision.decision_id or not _newer(decision, hold.decision)
        ):
            return effects
        if decision.route is not Route.HOLD or is_denied(decision):
            if hold is not None:
                del self.holds[decision.order_id]
                effects.closed.append(decision.order_id)
                if decision.review is None:
                    # Closed by the stream (a re-screen, a new revision): no review audits it.
                    effects.audits.append(stream_close_audit(hold.decision, decision))
            return effects
        applied = list(hold.applied_review_ids) if hold is not None else []
        if applied_review:
            applied = [*applied, applied_review][-MAX_APPLIED_REVIEW_IDS:]
        opened = CurrentHold(
            order_id=decision.order_id,
            decision=decision,
            held_since=hold.held_since if hold is not None else decision.evaluated_at,
            order=self._orders(decision.order_id) or (hold.order if hold is not None else None),
            applied_review_ids=applied,
        )
        self.holds[decision.order_id] = opened
        effects.holds.append(opened)
        return effects

    def on_review(
        self, review: Review, *, decisions_complete: bool, source: str = "", now: datetime | None = None
    ) -> tuple[ReviewOutcome, Effects]:
        """Apply `review`, or refuse it with an audit record.

        `decisions_complete` says every decision published before the review has been read: only then
        is an unknown decision id stale rather than not read yet. `source` (topic/partition/offset)
        makes each refused record's audit id its own, so every replayed copy leaves a record.
        """
        now = now or datetime.now(UTC)
        try:
            self._trust.check(review)
            hold = self._current_hold(review, decisions_complete=decisions_complete)
            if hold is None:
                return ReviewOutcome.WAITING_FOR_DECISION, Effects()
            follow_up = apply_review(hold.decision, review, hold.reviews)
        except ReviewRefusedError as refused:
            audit = _audit(review, AuditOutcome.REFUSED, refused.reason, now, source)
            return ReviewOutcome.REFUSED, Effects(audits=[audit])
        if follow_up is None:
            recorded = hold.model_copy(update={"reviews": [*hold.reviews, review]})
            self.holds[review.order_id] = recorded
            audit = _audit(
                review, AuditOutcome.AWAITING_SECOND_APPROVAL, "first of two approvals recorded", now
            )
            return ReviewOutcome.AWAITING_SECOND_APPROVAL, Effects(holds=[recorded], audits=[audit])
        effects = Effects(
            decisions=[follow_up], allowlist=allowlist_entries(hold.decision, review, follow_up)
        )
        effects.extend(self._follow(follow_up, applied_review=review.review_id))
        effects.audits.append(_audit(review, AuditOutcome.APPLIED, applied_detail(follow_up.route), now))
        return ReviewOutcome.APPLIED, effects

    def _current_hold(self, review: Review, *, decisions_complete: bool) -> CurrentHold | None:
        """The open hold the review applies to; None to wait for decisions; refused when stale or replayed."""
        hold = self.holds.get(review.order_id)
        if hold is not None and (
            review.review_id in hold.applied_review_ids
            or any(r.review_id == review.review_id for r in hold.reviews)
        ):
            msg = f"replayed: review {review.review_id} was already applied or recorded"
            raise ReviewRefusedError(msg)
        if hold is not None and hold.decision.decision_id == review.decision_id:
            return hold
        if not decisions_complete:
            return None
        if hold is None:
            msg = f"order {review.order_id} has no open hold (closed, or never held)"
        else:
            msg = (
                f"decision {review.decision_id} is not current; the order's current decision is "
                f"{hold.decision.decision_id}"
            )
        raise ReviewRefusedError(msg)


def _audit(
    review: Review, outcome: AuditOutcome, detail: str, now: datetime, source: str = ""
) -> AuditRecord:
    return AuditRecord(
        # Derived from the review, so a replayed effect repeats the same record, not a new one.
        audit_id=str(uuid.uuid5(_AUDIT_NAMESPACE, f"{review.review_id}/{outcome}/{source}")),
        at=now,
        actor=review.reviewer,
        action=str(review.action),
        outcome=outcome,
        order_id=review.order_id,
        decision_id=review.decision_id,
        review_id=review.review_id,
        why=review.justification,
        detail=detail,
    )


def allowlist_entries(
    current: DecisionRecord, review: Review, follow_up: DecisionRecord
) -> list[AllowlistEntry]:
    """The allowlist records a clear-match review produces: one per cleared party match."""
    cleared = review.cleared
    if cleared is None:
        return []
    by = follow_up.review.get("approved_by", review.reviewer) if follow_up.review else review.reviewer
    return [
        AllowlistEntry(
            entry_id=match.entry_id,
            name_sent=match.name_sent,
            party_role=match.role,
            list=match.list,
            listed_name=match.listed_name,
            expires_at=cleared.expires_at,
            cleared_at=review.created_at,
            cleared_by=by,
            reason=review.justification,
            order_id=review.order_id,
            decision_id=current.decision_id,
            review_id=review.review_id,
            party_key=match.party_key,
            entry_hash=match.entry_hash,
        )
        for match in clearing_effect(current, cleared).matches
    ]
