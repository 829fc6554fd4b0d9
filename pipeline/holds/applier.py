"""The review applier: consumes `holds.reviews`, applies each review to the order's current decision
and publishes the follow-up decision, the allowlist entry and an audit record.

It rebuilds its view of current decisions from `screening.decisions` at every start and replays the
review log; a review whose follow-up decision already exists is skipped, so a restart emits nothing
twice. Reviews naming a decision it has not read yet wait for that decision.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime

from pydantic import ValidationError

from pipeline.holds.apply import ReviewRefusedError, apply_review, clearing_effect, follow_up_decision_id
from pipeline.holds.outbox import HoldsOutbox
from pipeline.holds.queue import HoldQueue
from pipeline.kafka.holds import KafkaOutbox, ensure_topics, read_topics
from pipeline.settings import Settings
from schemas.decision import DecisionRecord
from schemas.review import AllowlistEntry, AuditOutcome, AuditRecord, Review

log = logging.getLogger(__name__)

_AUDIT_NAMESPACE = uuid.UUID("0e6f1f0a-3c55-4d8e-8f0e-9b8c4a1d2e77")


class ReviewApplier:
    def __init__(self, outbox: HoldsOutbox, queue: HoldQueue | None = None) -> None:
        self.queue = queue or HoldQueue()
        self._outbox = outbox
        self._backlog: list[Review] = []
        self._parked: dict[str, list[Review]] = {}
        self._live = False

    async def on_decision(self, decision: DecisionRecord) -> None:
        self.queue.add_decision(decision)
        if self._live:
            for review in self._parked.pop(decision.decision_id, []):
                await self._apply(review)

    async def on_review(self, review: Review) -> None:
        self.queue.add_review(review)
        if self._live:
            await self._apply(review)
        else:
            self._backlog.append(review)

    async def go_live(self) -> None:
        """Apply the reviews read while catching up, in log order, then apply each as it arrives."""
        self._live = True
        backlog, self._backlog = self._backlog, []
        for review in backlog:
            await self._apply(review)

    async def _apply(self, review: Review) -> None:
        if self.queue.has_decision(follow_up_decision_id(review.review_id)):
            return
        entry = self.queue.get(review.order_id)
        current = entry.current if entry is not None else None
        if entry is None or current is None or not self.queue.has_decision(review.decision_id):
            self._parked.setdefault(review.decision_id, []).append(review)
            return
        try:
            follow_up = apply_review(current, review, _reviews_before(entry.reviews, review))
        except ReviewRefusedError as refused:
            await self._audit(review, AuditOutcome.REFUSED, refused.reason)
            return
        if follow_up is None:
            await self._audit(
                review, AuditOutcome.AWAITING_SECOND_APPROVAL, "first of two approvals recorded"
            )
            return
        self.queue.add_decision(follow_up)
        await self._outbox.decision(follow_up)
        for cleared in allowlist_entries(current, review, follow_up):
            await self._outbox.allowlist(cleared)
        await self._audit(review, AuditOutcome.APPLIED, f"follow-up decision routes to {follow_up.route}")

    async def _audit(self, review: Review, outcome: AuditOutcome, detail: str) -> None:
        await self._outbox.audit(
            AuditRecord(
                # Derived from the review, so a replayed review repeats the same record, not a new one.
                audit_id=str(uuid.uuid5(_AUDIT_NAMESPACE, f"{review.review_id}/{outcome}")),
                at=datetime.now(UTC),
                actor=review.reviewer,
                action=str(review.action),
                outcome=outcome,
                order_id=review.order_id,
                decision_id=review.decision_id,
                review_id=review.review_id,
                why=review.justification,
                detail=detail,
            )
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


def _reviews_before(reviews: list[Review], review: Review) -> list[Review]:
    """The reviews of the order logged before `review`: later ones must not count as earlier approvals."""
    for index, candidate in enumerate(reviews):
        if candidate.review_id == review.review_id:
            return reviews[:index]
    return list(reviews)


async def run(settings: Settings, *, started: asyncio.Event | None = None) -> None:
    """Run the applier until cancelled; `started` is set once it applies reviews live."""
    await ensure_topics(settings)
    outbox = KafkaOutbox(settings)
    await outbox.start()
    applier = ReviewApplier(outbox)
    topics = settings.topics

    async def handle(topic: str, value: bytes) -> None:
        try:
            if topic == topics.decisions:
                await applier.on_decision(DecisionRecord.model_validate_json(value))
            else:
                await applier.on_review(Review.model_validate_json(value))
        except ValidationError:
            log.warning("skipped an unreadable message on %s", topic)

    async def caught_up() -> None:
        await applier.go_live()
        if started is not None:
            started.set()

    try:
        await read_topics(settings, (topics.decisions, topics.holds_reviews), handle, on_caught_up=caught_up)
    finally:
        await outbox.stop()
