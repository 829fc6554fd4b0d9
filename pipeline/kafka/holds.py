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
from pipeline.holds.audit_log import AuditLog
from pipeline.holds.claims import ClaimBook
from pipeline.holds.clearances import ClearanceRegister
from pipeline.holds.queue import HoldQueue
from pipeline.holds.signing import NO_SIGNING_KEY, ReviewSigner, ReviewSigningError
from pipeline.kafka import clients
from pipeline.kafka.topics import ensure_topics as create_missing_topics
from pipeline.kafka.topics import topic_specs
from pipeline.settings import Settings
from schemas.decision import DecisionRecord
from schemas.review import AllowlistEntry, AuditRecord, CurrentHold, HoldClaim, Review, allowlist_key

log = logging.getLogger(__name__)

_POLL_MS = 200


async def ensure_topics(settings: Settings) -> None:
    """Create the pipeline's topics, the compacted allowlist topic among them, when missing (idempotent)."""
    await asyncio.to_thread(create_missing_topics, settings, topic_specs(settings))


class KafkaOutbox:
    """Publishes hold-workflow events with an idempotent producer and waits for each acknowledgement.

    Reviews are signed with the settings' review signing key; without one, `review` raises
    `ReviewSigningError` and publishes nothing. A key that is set but unusable stops construction.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._signer = ReviewSigner.from_settings(settings)
        self._producer = clients.async_producer(settings, "holds", enable_idempotence=True, acks="all")

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def _send(self, topic: str, key: str, payload: BaseModel) -> None:
        await self._producer.send_and_wait(topic, payload.model_dump_json().encode(), key=key.encode())

    @property
    def signs_reviews(self) -> bool:
        return self._signer is not None

    async def review(self, review: Review) -> None:
        if self._signer is None:
            raise ReviewSigningError(NO_SIGNING_KEY)
        await self._send(self._settings.topics.holds_reviews, review.order_id, self._signer.sign(review))

    async def audit(self, record: AuditRecord) -> None:
        await self._send(self._settings.topics.audit, record.order_id or record.actor, record)

    async def allowlist(self, entry: AllowlistEntry) -> None:
        await self._send(self._settings.topics.allowlist, allowlist_key(entry), entry)

    async def revoke_clearance(self, key: str) -> None:
        """A tombstone: compaction drops the clearance and every worker stops applying it."""
        await self._producer.send_and_wait(self._settings.topics.allowlist, None, key=key.encode())

    async def decision(self, record: DecisionRecord) -> None:
        """The follow-up goes to its route topic, in full to `screening.decisions`, and to the
        follow-ups topic, where the worker holding the order's state makes it current."""
        await self._send(route_topic(self._settings, record.route), record.order_id, record)
        await self._send(self._settings.topics.decisions, record.order_id, record)
        await self._send(self._settings.topics.decision_followups, record.order_id, record)

    async def claim(self, claim: HoldClaim) -> None:
        await self._send(self._settings.topics.claims, claim.order_id, claim)


# topic, key, value (None for a tombstone)
Handler = Callable[[str, bytes, bytes | None], Awaitable[None]]


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
    consumer = clients.async_consumer(
        settings, "holds-reader", *names, auto_offset_reset="earliest", isolation_level="read_committed"
    )
    await consumer.start()
    ends: dict[TopicPartition, int] = {}
    waiting = on_caught_up is not None
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=_POLL_MS)
            for tp, messages in batches.items():
                for message in messages:
                    await handle(tp.topic, message.key or b"", message.value)
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


async def read_allowlist(settings: Settings, register: ClearanceRegister) -> None:
    """Keep `register` up to date with the compacted allowlist topic (keys matter: tombstones)."""
    topic = TopicPartition(settings.topics.allowlist, 0)
    consumer = clients.async_consumer(settings, "holds-allowlist", auto_offset_reset="earliest")
    await consumer.start()
    try:
        consumer.assign([topic])
        await consumer.seek_to_beginning(topic)
        while True:
            batches = await consumer.getmany(timeout_ms=_POLL_MS)
            for message in batches.get(topic, []):
                key = message.key.decode(errors="replace") if message.key is not None else ""
                register.apply(key, message.value)
    finally:
        await consumer.stop()


class QueueFeeder:
    """Keeps a `HoldQueue` in step with `holds.current`, skipping what it cannot read.

    Once `live` (caught up), a closed hold stays in the queue marked closed, so a page open on it
    can show the decision that closed it; while loading, tombstones just drop what came before.
    """

    def __init__(self, queue: HoldQueue) -> None:
        self.queue = queue
        self.live = False

    async def __call__(self, topic: str, key: bytes, value: bytes | None) -> None:
        if value is None:
            self.queue.close_hold(key.decode(errors="replace"), keep=self.live)
            return
        try:
            self.queue.put_hold(CurrentHold.model_validate_json(value))
        except ValidationError:
            log.warning("skipped an unreadable record on %s", topic)


async def follow_decisions(settings: Settings, queue: HoldQueue) -> None:
    """From now on, add the decisions about orders the queue knows (reviewers' follow-ups, re-screens),
    so an open page shows the decision that moved or closed its hold; no history is read."""
    topic = settings.topics.decisions
    consumer = clients.async_consumer(
        settings, "holds-decisions", topic, auto_offset_reset="latest", isolation_level="read_committed"
    )
    await consumer.start()
    try:
        while True:
            for messages in (await consumer.getmany(timeout_ms=_POLL_MS)).values():
                for message in messages:
                    if queue.get((message.key or b"").decode(errors="replace")) is None:
                        continue
                    try:
                        queue.add_decision(DecisionRecord.model_validate_json(message.value or b""))
                    except ValidationError:
                        log.warning("skipped an unreadable decision on %s", topic)
    finally:
        await consumer.stop()


def desk_topics(settings: Settings) -> tuple[str, ...]:
    """What the console shows besides the queue: the audit trail and who works which hold."""
    return (settings.topics.audit, settings.topics.claims)


def desk_feeder(settings: Settings, audit_log: AuditLog, claims: ClaimBook) -> Handler:
    """A handler that feeds `holds.audit` into `audit_log` and `holds.claims` into `claims`."""
    topics = settings.topics

    async def handle(topic: str, _key: bytes, value: bytes | None) -> None:
        if value is None:
            return
        try:
            if topic == topics.audit:
                audit_log.add(AuditRecord.model_validate_json(value))
            elif topic == topics.claims:
                claims.add(HoldClaim.model_validate_json(value))
        except ValidationError:
            log.warning("skipped an unreadable message on %s", topic)

    return handle


def hold_queue_topics(settings: Settings) -> tuple[str, ...]:
    """What the hold queue is loaded from: the open holds the review applier keeps, not the history."""
    return (settings.topics.holds_current,)


async def read_snapshot(
    settings: Settings, *, audit_log: AuditLog | None = None, timeout_s: float = 30.0
) -> HoldQueue:
    """The hold queue as of now: read the topics up to their current ends, then stop. With
    `audit_log`, `holds.audit` is read into it too (how closed holds closed)."""
    queue = HoldQueue()
    done = asyncio.Event()
    feed_queue = QueueFeeder(queue)
    topics = hold_queue_topics(settings)
    handle: Handler = feed_queue
    if audit_log is not None:
        feed_desk = desk_feeder(settings, audit_log, ClaimBook())
        topics = (*topics, settings.topics.audit)

        async def handle_both(topic: str, key: bytes, value: bytes | None) -> None:
            await (feed_desk if topic == settings.topics.audit else feed_queue)(topic, key, value)

        handle = handle_both

    async def caught_up() -> None:
        done.set()

    reader = asyncio.create_task(read_topics(settings, topics, handle, on_caught_up=caught_up))
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
