"""The review applier on Kafka: one consumer group over `holds.reviews`, `screening.decisions` and
`orders`, each batch's effects and consumed offsets committed in one Kafka transaction.

The topics are keyed by order id and partitioned alike; the range assignor gives partition p of each
to the same member, which owns the open holds of p, loaded from partition p of the compacted
`holds.current` when it is assigned. So however many appliers run, each review is applied by one of
them, once: its effects and its offset commit together or not at all, a rebalance waits for the batch
in flight, and follow-up and audit ids derive from the review id, so even a zombie's late commit
repeats the same records rather than adding new ones.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from aiokafka import TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from pydantic import BaseModel, ValidationError

from pipeline.console.auth import parse_users
from pipeline.flow.outputs import route_topic
from pipeline.holds.applier import Effects, ReviewApplier, ReviewOutcome
from pipeline.holds.recent_orders import RecentOrders
from pipeline.holds.signing import ReviewSigner
from pipeline.holds.trust import ReviewTrust
from pipeline.kafka import clients
from pipeline.kafka.holds import ensure_topics
from pipeline.kafka.topics import CURRENT_HOLD_MAX_MESSAGE_BYTES
from pipeline.settings import Settings
from schemas.decision import DecisionRecord
from schemas.review import AuditOutcome, AuditRecord, CurrentHold, Review, allowlist_key

log = logging.getLogger(__name__)

_POLL_MS = 200
_AUDIT_NAMESPACE = uuid.UUID("9a1d3c0e-5b7f-4e21-a6c4-2f8e0d9b1c55")


def group_id(settings: Settings) -> str:
    """Also the prefix of every applier's transactional id (pipeline/acls.py grants both)."""
    return f"{settings.app_id}.review-applier"


def trust_from_settings(settings: Settings) -> ReviewTrust:
    """The trust check the applier runs: the configured key (None fails closed) and console users."""
    return ReviewTrust(ReviewSigner.from_settings(settings), parse_users(settings.console_users))


async def load_current_holds(settings: Settings, partitions: Iterable[int]) -> dict[int, list[CurrentHold]]:
    """The open holds on partitions `partitions` of `holds.current`, read to their committed end."""
    topic = settings.topics.holds_current
    wanted = [TopicPartition(topic, p) for p in sorted(set(partitions))]
    holds: dict[int, dict[str, CurrentHold]] = {tp.partition: {} for tp in wanted}
    if not wanted:
        return {}
    consumer = clients.async_consumer(settings, "holds-current", isolation_level="read_committed")
    await consumer.start()
    try:
        consumer.assign(wanted)
        await consumer.seek_to_beginning(*wanted)
        ends = await consumer.end_offsets(wanted)
        while any([await consumer.position(tp) < ends[tp] for tp in wanted]):
            for tp, messages in (await consumer.getmany(*wanted, timeout_ms=_POLL_MS)).items():
                for message in messages:
                    order_id = (message.key or b"").decode()
                    if message.value is None:
                        holds[tp.partition].pop(order_id, None)
                        continue
                    try:
                        hold = CurrentHold.model_validate_json(message.value)
                    except ValidationError:
                        log.warning("skipped an unreadable record on %s key %r", topic, order_id)
                        continue
                    holds[tp.partition][hold.order_id] = hold
    finally:
        await consumer.stop()
    return {p: list(by_order.values()) for p, by_order in holds.items()}


class _Partitions(ConsumerRebalanceListener):  # type: ignore[misc]
    """Owns one `ReviewApplier` per assigned partition; a rebalance waits for the batch in flight."""

    def __init__(self, settings: Settings, trust: ReviewTrust) -> None:
        self._settings = settings
        self._trust = trust
        self.orders = RecentOrders()
        self.appliers: dict[int, ReviewApplier] = {}
        self.lock = asyncio.Lock()
        self.assigned = asyncio.Event()

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        async with self.lock:
            for tp in revoked:
                self.appliers.pop(tp.partition, None)

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        async with self.lock:
            fresh = {tp.partition for tp in assigned} - set(self.appliers)
            loaded = await load_current_holds(self._settings, fresh)
            for partition in fresh:
                applier = ReviewApplier(self._trust, self.orders.get)
                for hold in loaded.get(partition, ()):
                    applier.load(hold)
                self.appliers[partition] = applier
        self.assigned.set()


class _Transaction:
    """Collects one batch's sends; `publish` writes them and the offsets in one Kafka transaction."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.sends: list[tuple[str, str, bytes | None, int | None]] = []

    def add(self, effects: Effects, partition: int) -> None:
        topics = self._settings.topics
        for decision in effects.decisions:
            payload = decision.model_dump_json().encode()
            for topic in (
                route_topic(self._settings, decision.route),
                topics.decisions,
                topics.decision_followups,
            ):
                self.sends.append((topic, decision.order_id, payload, None))
        for entry in effects.allowlist:
            self.sends.append((topics.allowlist, allowlist_key(entry), _json(entry), None))
        for audit in effects.audits:
            self.sends.append((topics.audit, audit.order_id or audit.actor, _json(audit), None))
        # holds.current goes to the partition the hold was read from, so its owner reloads it.
        for hold in effects.holds:
            self.sends.append((topics.holds_current, hold.order_id, _json(hold), partition))
        for order_id in effects.closed:
            self.sends.append((topics.holds_current, order_id, None, partition))


def _json(model: BaseModel) -> bytes:
    return model.model_dump_json().encode()


async def run(settings: Settings, *, started: asyncio.Event | None = None) -> None:
    """Apply reviews until cancelled; `started` is set once partitions are assigned and loaded."""
    await ensure_topics(settings)
    topics = settings.topics
    group = group_id(settings)
    partitions = _Partitions(settings, trust_from_settings(settings))
    producer = clients.async_producer(
        settings,
        "review-applier",
        transactional_id=f"{group}.{uuid.uuid4()}",
        enable_idempotence=True,
        acks="all",
        max_request_size=CURRENT_HOLD_MAX_MESSAGE_BYTES,
    )
    consumer = clients.async_consumer(
        settings,
        "review-applier",
        group_id=group,
        isolation_level="read_committed",
        auto_offset_reset="earliest",
        partition_assignment_strategy=(RangePartitionAssignor,),
    )
    await producer.start()
    try:
        consumer.subscribe([topics.orders, topics.decisions, topics.holds_reviews], listener=partitions)
        await consumer.start()
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=_POLL_MS)
                if started is not None and partitions.assigned.is_set():
                    started.set()
                if batches:
                    async with partitions.lock:
                        await _apply_batch(settings, consumer, producer, partitions, batches)
        finally:
            await consumer.stop()
    finally:
        await producer.stop()


async def _apply_batch(
    settings: Settings,
    consumer: Any,
    producer: Any,
    partitions: _Partitions,
    batches: dict[TopicPartition, list[Any]],
) -> None:
    topics = settings.topics
    txn = _Transaction(settings)
    offsets: dict[TopicPartition, int] = {}
    # Orders, then decisions: a decision in the same batch may open a hold on one of those orders,
    # and a review may name one of those decisions.
    rank = {topics.orders: 0, topics.decisions: 1}
    ordered = sorted(batches.items(), key=lambda item: (rank.get(item[0].topic, 2), item[0].partition))
    for tp, messages in ordered:
        applier = partitions.appliers.get(tp.partition)
        if applier is None:
            continue  # revoked while the batch was fetched: its new owner reads it again
        for message in messages:
            if tp.topic == topics.orders:
                if message.key and message.value:
                    partitions.orders.add(message.key.decode(errors="replace"), message.value)
            elif tp.topic == topics.decisions:
                _on_decision(applier, txn, tp, message.value)
            elif not await _on_review(settings, consumer, applier, txn=txn, tp=tp, message=message):
                consumer.seek(tp, message.offset)
                offsets[tp] = message.offset
                break
            offsets[tp] = message.offset + 1
    if not offsets:
        return
    async with producer.transaction():
        for topic, key, value, partition in txn.sends:
            await producer.send(topic, value, key=key.encode(), partition=partition)
        await producer.send_offsets_to_transaction(offsets, group_id(settings))


def _on_decision(applier: ReviewApplier, txn: _Transaction, tp: TopicPartition, value: bytes | None) -> None:
    try:
        decision = DecisionRecord.model_validate_json(value or b"")
    except ValidationError:
        log.warning("skipped an unreadable decision on %s/%d", tp.topic, tp.partition)
        return
    txn.add(applier.on_decision(decision), tp.partition)


async def _on_review(
    settings: Settings,
    consumer: Any,
    applier: ReviewApplier,
    *,
    txn: _Transaction,
    tp: TopicPartition,
    message: Any,
) -> bool:
    """Apply or refuse one review; False when it must wait for decisions not read yet."""
    source = f"{tp.topic}/{tp.partition}/{message.offset}"
    try:
        review = Review.model_validate_json(message.value or b"")
    except ValidationError as exc:
        txn.add(Effects(audits=[_unreadable(message, source, exc)]), tp.partition)
        return True
    outcome, effects = applier.on_review(review, decisions_complete=False, source=source)
    if outcome is ReviewOutcome.WAITING_FOR_DECISION:
        if not await _decisions_read(settings, consumer):
            return False
        outcome, effects = applier.on_review(review, decisions_complete=True, source=source)
    txn.add(effects, tp.partition)
    return True


async def _decisions_read(settings: Settings, consumer: Any) -> bool:
    """Whether every decision published so far on the assigned decision partitions has been read."""
    assigned = [tp for tp in consumer.assignment() if tp.topic == settings.topics.decisions]
    ends = await consumer.end_offsets(assigned)
    return all([await consumer.position(tp) >= ends[tp] for tp in assigned])


def _unreadable(message: Any, source: str, error: ValidationError) -> AuditRecord:
    key = (message.key or b"").decode(errors="replace")[:100]
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "record"
    return AuditRecord(
        audit_id=str(uuid.uuid5(_AUDIT_NAMESPACE, source)),
        at=datetime.now(UTC),
        actor="unknown",
        action="review",
        outcome=AuditOutcome.REFUSED,
        order_id=key or None,
        detail=f"unreadable review: {where}: {first['msg']}"[:500],
    )
