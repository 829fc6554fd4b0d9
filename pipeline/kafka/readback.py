"""Read topics back with kafka-python: from the start until a condition holds, or a run's records
incrementally for the conservation check.

A run is what was published after a mark: the end offsets of the orders, decisions and dead-letter
topics taken before the run's orders are produced. The probe reads incrementally, so a test can wait
until every order is accounted for without re-reading the topics from the start.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from pydantic import ValidationError

from pipeline.audit.conservation import (
    Backlog,
    Baseline,
    ConservationReport,
    ConsumedRecord,
    SeenDeadLetter,
    SeenDecision,
    check_conservation,
    current_decisions,
    with_overdraws,
)
from pipeline.audit.licences import Overdraw, overdrawn
from pipeline.intake import parse_order
from pipeline.kafka import clients
from pipeline.settings import Settings
from schemas.decision import DeadLetter, DecisionRecord
from schemas.order import OrderEvent

log = logging.getLogger(__name__)

Offsets = dict[int, int]
_POLL_MS = 200
_READ_BUDGET_S = 30.0


@dataclass(frozen=True, slots=True)
class RunMark:
    """Per topic, per partition: the offset the run starts at. A topic absent here is read from 0."""

    offsets: Mapping[str, Offsets] = field(default_factory=dict)

    def start(self, topic: str) -> Offsets:
        return dict(self.offsets.get(topic, {}))

    def to_json(self) -> dict[str, dict[str, int]]:
        return {t: {str(p): o for p, o in parts.items()} for t, parts in self.offsets.items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Mapping[str, int]]) -> RunMark:
        return cls({t: {int(p): int(o) for p, o in parts.items()} for t, parts in data.items()})


def _consumer(settings: Settings) -> KafkaConsumer:
    return clients.consumer(
        settings,
        "readback",
        auto_offset_reset="earliest",
        # Only what producers committed counts as published, should the worker use transactions.
        isolation_level="read_committed",
        request_timeout_ms=15_000,
    )


@dataclass(frozen=True, slots=True)
class Received:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes


def read_from_start(
    settings: Settings,
    topics: Iterable[str],
    *,
    until: Callable[[list[Received]], bool],
    timeout_s: float = 60,
) -> list[Received]:
    """Read `topics` from the beginning until `until(records)` holds; `TimeoutError` when it never does."""
    names = sorted(topics)
    consumer = clients.consumer(settings, "reader", fetch_max_wait_ms=100)
    received: list[Received] = []
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in names
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        deadline = time.monotonic() + timeout_s
        while not until(received):
            if time.monotonic() > deadline:
                msg = f"timed out after {timeout_s}s with {len(received)} records from {names}"
                raise TimeoutError(msg)
            for tp, records in consumer.poll(timeout_ms=200).items():
                received.extend(Received(tp.topic, tp.partition, r.offset, r.key, r.value) for r in records)
    finally:
        consumer.close()
    return received


def mark_run(settings: Settings) -> RunMark:
    """End offsets, now, of the topics the conservation check reads."""
    topics = settings.topics
    consumer = _consumer(settings)
    try:
        offsets: dict[str, Offsets] = {}
        for topic in (topics.orders, topics.decisions, topics.orders_invalid):
            parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
            ends = consumer.end_offsets(parts) if parts else {}
            offsets[topic] = {tp.partition: end for tp, end in ends.items()}
        return RunMark(offsets)
    finally:
        consumer.close()


class TopicTail:
    """Reads one topic from per-partition start offsets, returning what is new on each call."""

    def __init__(self, consumer: KafkaConsumer, topic: str, start: Offsets) -> None:
        self._consumer = consumer
        self._topic = topic
        self._start = start
        self._positions: dict[TopicPartition, int] = {}

    def _assign_new_partitions(self) -> None:
        known = {tp.partition for tp in self._positions}
        fresh = [p for p in sorted(self._consumer.partitions_for_topic(self._topic)) if p not in known]
        if not fresh:
            return
        for partition in fresh:
            self._positions[TopicPartition(self._topic, partition)] = self._start.get(partition, 0)
        self._consumer.assign(list(self._positions))
        for tp, position in self._positions.items():
            self._consumer.seek(tp, position)

    def read_new(self, budget_s: float = _READ_BUDGET_S) -> Iterator[tuple[int, int, bytes | None]]:
        """(partition, offset, value) of the records up to the end offsets as of this call, for at most
        `budget_s` seconds."""
        self._assign_new_partitions()
        if not self._positions:
            return
        ends = self._consumer.end_offsets(list(self._positions))
        deadline = time.monotonic() + budget_s
        while any(self._positions[tp] < ends[tp] for tp in self._positions):
            if time.monotonic() > deadline:
                # Positions are kept: the next call goes on from here.
                return
            batches: dict[TopicPartition, list[Any]] = self._consumer.poll(timeout_ms=_POLL_MS)
            for tp, records in batches.items():
                for record in records:
                    yield tp.partition, record.offset, record.value
                if records:
                    self._positions[tp] = records[-1].offset + 1
            for tp in self._positions:
                # Control records of transactions advance the position without yielding a record.
                self._positions[tp] = max(self._positions[tp], self._consumer.position(tp))


class ConservationProbe:
    """Everything published in a run, read incrementally, checked with `check_conservation`."""

    def __init__(
        self,
        settings: Settings,
        mark: RunMark | None = None,
        *,
        keep_orders: bool = False,
        keep_records: bool = True,
    ) -> None:
        mark = mark or RunMark()
        self._settings = settings
        topics = settings.topics
        self._consumers = [_consumer(settings) for _ in range(3)]
        self._orders = TopicTail(self._consumers[0], topics.orders, mark.start(topics.orders))
        self._decisions = TopicTail(self._consumers[1], topics.decisions, mark.start(topics.decisions))
        self._invalid = TopicTail(
            self._consumers[2], topics.orders_invalid, mark.start(topics.orders_invalid)
        )
        self._keep_orders = keep_orders
        # Long runs (the soak) keep only the few fields the check needs, not every full record.
        self._keep_records = keep_records
        self.consumed: list[ConsumedRecord] = []
        self.order_values: list[bytes] = []
        self.decisions: list[SeenDecision] = []
        self.decision_records: dict[str, DecisionRecord] = {}
        self.dead_letters: list[SeenDeadLetter] = []
        # Records on the decision or dead-letter topics that do not parse: each is a defect to report.
        self.unreadable: int = 0
        # What the workers' group still owed at the last full report that had records without outcome.
        self.backlog: Backlog | None = None

    def refresh(self) -> None:
        # Outputs first: an order read after its outputs is never mistaken for a lost one.
        for _, _, value in self._invalid.read_new():
            try:
                self.dead_letters.append(
                    SeenDeadLetter.from_record(DeadLetter.model_validate_json(value or b""))
                )
            except ValidationError:
                self.unreadable += 1
        for _, _, value in self._decisions.read_new():
            try:
                record = DecisionRecord.model_validate_json(value or b"")
            except ValidationError:
                self.unreadable += 1
                continue
            self.decisions.append(SeenDecision.from_record(record))
            if self._keep_records:
                self.decision_records[record.decision_id] = record
        for partition, offset, value in self._orders.read_new():
            self.consumed.append(ConsumedRecord.from_bytes(partition, offset, value))
            if self._keep_orders and value is not None:
                self.order_values.append(value)

    def current_records(self) -> list[DecisionRecord]:
        """Each order's current decision (the first of several when duplicated)."""
        unique = {d.decision_id: d for d in self.decisions}
        heads = current_decisions(list(unique.values()))
        return [self.decision_records[found[0].decision_id] for found in heads.values()]

    def orders(self) -> dict[tuple[str, int], OrderEvent]:
        """The run's valid orders by (order id, revision); needs `keep_orders`."""
        found = {}
        for value in self.order_values:
            order = parse_order(value)
            if isinstance(order, OrderEvent):
                found[(order.order_id, order.revision)] = order
        return found

    def overdraws(self) -> list[Overdraw]:
        """Licence items the current releases drew beyond the licence file; needs `keep_orders`."""
        from pipeline.reference.snapshot import parse_licences

        licences = parse_licences(self._settings.licences_file.read_text(encoding="utf-8"))
        return overdrawn(self.current_records(), self.orders(), licences)

    def counts(self, baseline: Baseline | None = None) -> ConservationReport:
        """The counts alone: every record without an outcome counts as lost (cheap, for waiting)."""
        return check_conservation(self.consumed, self.decisions, self.dead_letters, baseline)

    def report(self, baseline: Baseline | None = None) -> ConservationReport:
        """The full report: records without an outcome the workers' group still owes are pending,
        the others lost; with `keep_orders` (and the records kept) over-drawn licences are counted."""
        report = self.counts(baseline)
        if report.lost:
            # Imported here: the backlog reader reads the draws topic with this module's TopicTail.
            from pipeline.kafka.backlog import read_backlog

            try:
                self.backlog = read_backlog(self._settings)
            except KafkaError as error:
                # Failing closed: without the group's position every record without outcome is lost.
                log.warning("the workers' group could not be read, nothing counts as pending: %s", error)
                self.backlog = None
                return self._with_overdraws(report)
            report = check_conservation(
                self.consumed, self.decisions, self.dead_letters, baseline, self.backlog
            )
        return self._with_overdraws(report)

    def _with_overdraws(self, report: ConservationReport) -> ConservationReport:
        if self._keep_orders and self._keep_records:
            return with_overdraws(report, self.overdraws())
        return report

    def wait(
        self,
        *,
        expected: int | None = None,
        timeout_s: float = 60.0,
        baseline: Baseline | None = None,
        settle_s: float = 0.0,
    ) -> ConservationReport:
        """Refresh until at least `expected` orders were read and each has an outcome, or the timeout
        passes; then the full report (pending told from lost, over-drawn licences counted).

        `settle_s` keeps reading that long after the run looks complete, so late duplicates show up.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                self.refresh()
            except (KafkaError, TimeoutError):
                # A broker restarting mid-run: keep what was read and try again until the deadline.
                if time.monotonic() > deadline:
                    raise
            report = self.counts(baseline)
            complete = report.lost == 0 and (expected is None or report.consumed >= expected)
            if complete or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        if complete and settle_s > 0:
            time.sleep(settle_s)
            self.refresh()
        return self.report(baseline)

    def close(self) -> None:
        for consumer in self._consumers:
            consumer.close()

    def __enter__(self) -> ConservationProbe:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
