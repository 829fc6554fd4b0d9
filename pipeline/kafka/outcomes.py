"""Read a run's outcomes back: the decisions and dead letters whose source offsets it produced.

Matching on source partition and offset (carried in every decision and dead letter) counts only
this run's orders, even when earlier runs used the same order ids or are still in the topics.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pipeline.kafka import clients
from pipeline.settings import Settings

Offsets = dict[int, int]


@dataclass(frozen=True, slots=True)
class OffsetRange:
    """The `orders` offsets a run produced: [starts, ends) per partition."""

    starts: Offsets
    ends: Offsets

    @property
    def size(self) -> int:
        return sum(end - self.starts.get(p, 0) for p, end in self.ends.items())

    def __contains__(self, source: tuple[int, int]) -> bool:
        partition, offset = source
        return self.starts.get(partition, 0) <= offset < self.ends.get(partition, 0)


@dataclass(slots=True)
class RunOutcome:
    routes: Counter[str] = field(default_factory=Counter)
    invalid_reasons: Counter[str] = field(default_factory=Counter)
    seen: set[tuple[int, int]] = field(default_factory=set)

    @property
    def total(self) -> int:
        return len(self.seen)


def _consumer(settings: Settings) -> Any:
    return clients.consumer(settings, "collect", fetch_max_wait_ms=200)


def end_offsets(settings: Settings, topic: str) -> Offsets:
    from kafka import TopicPartition

    consumer = _consumer(settings)
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        ends = consumer.end_offsets([TopicPartition(topic, p) for p in sorted(partitions)])
    finally:
        consumer.close()
    return {tp.partition: offset for tp, offset in ends.items()}


def output_topics(settings: Settings) -> tuple[str, str]:
    return settings.topics.decisions, settings.topics.orders_invalid


def mark_outputs(settings: Settings) -> dict[str, Offsets]:
    """Where the output topics end now: this run's outcomes are after these offsets."""
    return {topic: end_offsets(settings, topic) for topic in output_topics(settings)}


def _source(topic: str, settings: Settings, value: dict[str, Any]) -> tuple[int, int] | None:
    if topic == settings.topics.decisions:
        source = value.get("source") or {}
        partition, offset = source.get("partition"), source.get("offset")
    else:
        partition, offset = value.get("source_partition"), value.get("source_offset")
    if isinstance(partition, int) and isinstance(offset, int):
        return partition, offset
    return None


def collect(
    settings: Settings,
    output_starts: dict[str, Offsets],
    produced: OffsetRange,
    *,
    timeout_s: float = 120.0,
) -> RunOutcome:
    """Read outcomes until every produced order has one, or the timeout passes."""
    from kafka import TopicPartition

    expected = produced.size
    outcome = RunOutcome()
    consumer = _consumer(settings)
    try:
        assignment = [TopicPartition(t, p) for t, offsets in output_starts.items() for p in offsets]
        consumer.assign(assignment)
        for tp in assignment:
            consumer.seek(tp, output_starts[tp.topic][tp.partition])
        deadline = time.monotonic() + timeout_s
        while outcome.total < expected and time.monotonic() < deadline:
            for tp, records in consumer.poll(timeout_ms=500).items():
                for record in records:
                    _count(settings, tp.topic, record.value, produced, outcome)
    finally:
        consumer.close()
    return outcome


def _count(settings: Settings, topic: str, raw: bytes, produced: OffsetRange, out: RunOutcome) -> None:
    value = json.loads(raw)
    source = _source(topic, settings, value)
    if source is None or source in out.seen or source not in produced:
        return
    out.seen.add(source)
    if topic == settings.topics.decisions:
        out.routes[str(value["route"])] += 1
    else:
        out.invalid_reasons[str(value["reason"])] += 1
