"""The guard that re-reads order records faust fetched but never handed to the agent."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field

import pytest
from kafka.admin import NewTopic

from pipeline.kafka import clients
from pipeline.settings import Settings, load_settings
from pipeline.worker.stall_guard import StallGuard, read_skipped

TOPIC = "orders"


@dataclass(frozen=True)
class FakeTP:
    topic: str
    partition: int


@dataclass
class FakeConsumer:
    ends: dict[FakeTP, int]
    _committed_offset: dict[FakeTP, int | None] = field(default_factory=dict)
    seeks: list[tuple[FakeTP, int]] = field(default_factory=list)
    done: list[tuple[FakeTP, int, int]] = field(default_factory=list)

    def assignment(self) -> set[FakeTP]:
        return set(self.ends)

    async def highwaters(self, *tps: FakeTP) -> dict[FakeTP, int]:
        return {tp: self.ends[tp] for tp in tps}

    async def seek(self, tp: FakeTP, offset: int) -> None:
        self.seeks.append((tp, offset))

    def handled_elsewhere(self, tp: FakeTP, start: int, end: int) -> None:
        self.done.append((tp, start, end))


@dataclass(frozen=True)
class FakeMessage:
    topic: str
    partition: int
    offset: int

    @property
    def tp(self) -> FakeTP:
        return FakeTP(self.topic, self.partition)


@dataclass
class FakeApp:
    consumer: FakeConsumer
    rebalancing: bool = False
    in_recovery: bool = False


def test_a_gap_after_the_committed_offset_is_reported_from_the_first_skipped_offset() -> None:
    guard = StallGuard(TOPIC)
    assert guard.skipped_before(0, 15, committed=10) == 10
    guard.handled(0, 14)  # the agent read 10..14 itself, then handled 15
    guard.handled(0, 15)
    assert guard.skipped_before(0, 16, committed=10) is None
    assert guard.reseeks == 1


def topic_of_six_orders(settings: Settings) -> str:
    """A new one-partition topic holding `order-0`..`order-5` at offsets 0..5."""
    topic = f"t.stall-guard-{uuid.uuid4().hex[:8]}"
    admin = clients.admin(settings, "test")
    try:
        admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        admin.close()
    producer = clients.producer(settings, "test")
    for n in range(6):
        producer.send(topic, key=b"k", value=f"order-{n}".encode(), partition=0)
    producer.flush()
    producer.close()
    return topic


@pytest.mark.kafka
def test_read_skipped_returns_exactly_the_records_of_the_range() -> None:
    settings = load_settings()
    topic = topic_of_six_orders(settings)
    records = asyncio.run(read_skipped(settings, topic, 0, 2, 5))
    assert [(r.offset, r.value) for r in records] == [(2, b"order-2"), (3, b"order-3"), (4, b"order-4")]


@pytest.mark.kafka
def test_records_read_again_are_reported_to_faust_as_done_once_published() -> None:
    settings = load_settings()
    topic = topic_of_six_orders(settings)
    tp = FakeTP(topic, 0)
    consumer = FakeConsumer(ends={tp: 6}, _committed_offset={tp: 2})
    app = FakeApp(consumer)
    guard = StallGuard(topic)
    # faust handed over offset 5 first: 2..4 never reached the agent, which reads them itself.
    records = asyncio.run(guard.skipped_records(app, settings, FakeMessage(topic, 0, 5)))
    assert [r.value for r in records] == [b"order-2", b"order-3", b"order-4"]
    assert consumer.done == []  # not before the agent has published what they produced
    guard.report_handled(app)
    guard.report_handled(app)
    assert consumer.done == [(tp, 2, 5)]


def test_contiguous_and_repeated_records_are_not_gaps() -> None:
    guard = StallGuard(TOPIC)
    assert guard.skipped_before(3, 10, committed=10) is None
    guard.handled(3, 10)
    assert guard.skipped_before(3, 11, committed=10) is None
    guard.handled(3, 11)
    # A record read again after a seek back lies below the next expected offset: not a gap.
    assert guard.skipped_before(3, 5, committed=10) is None
    assert guard.skipped_before(3, 14, committed=10) == 12
    assert guard.reseeks == 1


def test_a_new_assignment_forgets_what_was_handled() -> None:
    guard = StallGuard(TOPIC)
    guard.handled(1, 40)
    guard.reassigned()
    # After a rebalance the consumer restarts from the committed offset, below what was handled.
    assert guard.skipped_before(1, 30, committed=30) is None
    assert guard.skipped_before(1, 33, committed=30) == 30


def test_a_partition_lagging_while_the_agent_idles_is_sought_back_after_two_checks() -> None:
    lagging, current = FakeTP(TOPIC, 0), FakeTP(TOPIC, 1)
    consumer = FakeConsumer(ends={lagging: 30, current: 8}, _committed_offset={lagging: 3, current: 8})
    app = FakeApp(consumer)
    guard = StallGuard(TOPIC, stall_seconds=0.0)
    assert asyncio.run(guard.check(app)) == []  # first sighting: the records may be on their way
    assert asyncio.run(guard.check(app)) == [(0, 3, 30)]
    assert consumer.seeks == [(lagging, 3)]


def test_no_seek_while_the_agent_is_busy_or_the_group_rebalances() -> None:
    lagging = FakeTP(TOPIC, 0)
    consumer = FakeConsumer(ends={lagging: 30}, _committed_offset={lagging: 3})
    busy = StallGuard(TOPIC, stall_seconds=3600.0)
    for _ in range(3):
        assert asyncio.run(busy.check(FakeApp(consumer))) == []
    rebalancing = StallGuard(TOPIC, stall_seconds=0.0)
    for _ in range(3):
        assert asyncio.run(rebalancing.check(FakeApp(consumer, rebalancing=True))) == []
    assert consumer.seeks == []
