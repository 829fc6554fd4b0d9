"""Kafka plumbing of the hold workflow: topics, the outbox the console and applier write to, and the
reader that keeps a `HoldQueue` up to date.

All messages are JSON, key = order id (audit records of sign-ins are keyed by the user name).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable

from aiokafka import TopicPartition
from pydantic import BaseModel, ValidationError

from pipeline.flow.outputs import route_topic
from pipeline.holds.queue import HoldQueue
from pipeline.kafka import clients
from pipeline.kafka.topics import TopicSpec, topic_specs
from pipeline.kafka.topics import ensure_topics as create_missing_topics
from pipeline.settings import Settings
from schemas.decision import DecisionRecord
from schemas.order import OrderEvent
from schemas.review import AllowlistEntry, AuditRecord, Review

log = logging.getLogger(__name__)

_COMPACTED = {"cleanup.policy": "compact", "min.compaction.lag.ms": "0"}
_POLL_MS = 200


def allowlist_key(entry: AllowlistEntry) -> str:
    return f"{entry.entry_id}|{entry.name_sent}"


async def ensure_topics(settings: Settings) -> None:
    """Create the pipeline's topics and the compacted allowlist topic when missing (idempotent)."""
    specs = [*topic_specs(settings), TopicSpec(settings.topics.allowlist, 1, dict(_COMPACTED))]
    await asyncio.to_thread(create_missing_topics, settings, specs)


class KafkaOutbox:
    """Publishes hold-workflow events with an idempotent producer and waits for each acknowledgement."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._producer = clients.async_producer(settings, "holds", enable_idempotence=True, acks="all")

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def _send(self, topic: str, key: str, payload: BaseModel) -> None:
        await self._producer.send_and_wait(topic, payload.model_dump_json().encode(), key=key.encode())

    async def review(self, review: Review) -> None:
        await self._send(self._settings.topics.holds_reviews, review.order_id, review)

    async def audit(self, record: AuditRecord) -> None:
        await self._send(self._settings.topics.audit, record.order_id or record.actor, record)

    async def allowlist(self, entry: AllowlistEntry) -> None:
        await self._send(self._settings.topics.allowlist, allowlist_key(entry), entry)

    async def decision(self, record: DecisionRecord) -> None:
        """The follow-up goes to its route topic, in full to `screening.decisions`, and to the
        follow-ups topic, where the worker holding the order's state makes it current."""
        await self._send(route_topic(self._settings, record.route), record.order_id, record)
        await self._send(self._settings.topics.decisions, record.order_id, record)
        await self._send(self._settings.topics.decision_followups, record.order_id, record)


Handler = Callable[[str, bytes], Awaitable[None]]


async def read_topics(
    settings: Settings,
    topics: Iterable[str],
    handle: Handler,
    *,
    on_caught_up: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Read every partition of `topics` from the beginning, forever, without a consumer group.

    Every reader rebuilds its state from the log, so no offsets are committed; without a group,
    aiokafka assigns all partitions of the subscribed topics, new ones included. `on_caught_up` runs
    once, between two batches, when the reader has reached the end offsets of its first assignment.
    """
    names = sorted(set(topics))
    consumer = clients.async_consumer(settings, "holds-reader", *names, auto_offset_reset="earliest")
    await consumer.start()
    ends: dict[TopicPartition, int] = {}
    waiting = on_caught_up is not None
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=_POLL_MS)
            for tp, messages in batches.items():
                for message in messages:
                    await handle(tp.topic, message.value or b"")
            if not waiting:
                continue
            assigned = consumer.assignment()
            if {tp.topic for tp in assigned} != set(names):
                continue
            if not ends:
                ends = await consumer.end_offsets(list(assigned))
            if all([await consumer.position(tp) >= end for tp, end in ends.items()]):
                waiting = False
                assert on_caught_up is not None
                await on_caught_up()
    finally:
        await consumer.stop()


def queue_feeder(settings: Settings, queue: HoldQueue) -> Handler:
    """A handler that feeds decisions, reviews and orders into `queue`, skipping what it cannot read."""
    topics = settings.topics

    async def handle(topic: str, value: bytes) -> None:
        try:
            if topic == topics.decisions:
                queue.add_decision(DecisionRecord.model_validate_json(value))
            elif topic == topics.holds_reviews:
                queue.add_review(Review.model_validate_json(value))
            elif topic == topics.orders:
                queue.add_order(OrderEvent.model_validate_json(value))
        except ValidationError:
            # Malformed orders are intake's business (orders.invalid); the console only shows valid ones.
            log.debug("skipped an unreadable message on %s", topic)

    return handle


def hold_queue_topics(settings: Settings) -> tuple[str, ...]:
    topics = settings.topics
    return (topics.decisions, topics.holds_reviews, topics.orders)


async def read_snapshot(settings: Settings, *, timeout_s: float = 30.0) -> HoldQueue:
    """The hold queue as of now: read the topics up to their current ends, then stop."""
    queue = HoldQueue()
    done = asyncio.Event()

    async def caught_up() -> None:
        done.set()

    reader = asyncio.create_task(
        read_topics(
            settings, hold_queue_topics(settings), queue_feeder(settings, queue), on_caught_up=caught_up
        )
    )
    try:
        waiter = asyncio.create_task(done.wait())
        finished, _ = await asyncio.wait(
            {reader, waiter}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED
        )
        if reader in finished:
            reader.result()  # re-raises the reader's error
        if waiter not in finished:
            waiter.cancel()
            msg = f"could not read the hold topics within {timeout_s:g} s"
            raise TimeoutError(msg)
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
    return queue
