"""The guard that re-reads order records faust fetched but never handed to the agent."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from functools import partial
from typing import Any

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

    async def earliest_offsets(self, *tps: FakeTP) -> dict[FakeTP, int]:
        return dict.fromkeys(tps, 0)

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


@dataclass
class FakeLog:
    """A partition's records by offset; offsets it lacks hold no record (transaction markers)."""

    records: dict[int, bytes] = field(default_factory=dict)
    reads: list[tuple[str, int, int, int]] = field(default_factory=list)

    async def read(self, topic: str, partition: int, start: int, end: int) -> list[Any]:
        self.reads.append((topic, partition, start, end))
        return [(offset, value) for offset, value in sorted(self.records.items()) if start <= offset < end]


def records_at(*offsets: int) -> FakeLog:
    return FakeLog({offset: f"order-{offset}".encode() for offset in offsets})


def test_a_gap_after_the_committed_offset_is_reported_from_the_first_skipped_offset() -> None:
    guard = StallGuard(TOPIC, FakeLog().read)
    assert guard.skipped_before(0, 15, committed=10) == 10
    guard.handled(0, 14)  # the agent read 10..14 itself, then handled 15
    guard.handled(0, 15)
    assert guard.skipped_before(0, 16, committed=10) is None
    assert guard.reseeks == 1


def new_topic(settings: Settings) -> str:
    """A new, empty one-partition topic."""
    topic = f"t.stall-guard-{uuid.uuid4().hex[:8]}"
    admin = clients.admin(settings, "test")
    try:
        admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        admin.close()
    return topic


def topic_of_six_orders(settings: Settings) -> str:
    """A new one-partition topic holding `order-0`..`order-5` at offsets 0..5."""
    topic = new_topic(settings)
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
    guard = StallGuard(topic, partial(read_skipped, settings))
    # faust handed over offset 5 first: 2..4 never reached the agent, which reads them itself.
    records = asyncio.run(guard.skipped_records(app, FakeMessage(topic, 0, 5)))
    assert [r.value for r in records] == [b"order-2", b"order-3", b"order-4"]
    assert consumer.done == []  # not before the agent has published what they produced
    guard.report_handled(app)
    guard.report_handled(app)
    assert consumer.done == [(tp, 2, 5)]


def test_records_skipped_before_the_first_commit_are_read_from_the_partition_start() -> None:
    tp = FakeTP(TOPIC, 0)
    log = records_at(*range(6))
    # faust knows no committed offset (the group never committed): its first record was offset 3.
    app = FakeApp(FakeConsumer(ends={tp: 6}))
    guard = StallGuard(TOPIC, log.read)
    records = asyncio.run(guard.skipped_records(app, FakeMessage(TOPIC, 0, 3)))
    assert [offset for offset, _ in records] == [0, 1, 2]
    guard.report_handled(app)
    assert app.consumer.done == [(tp, 0, 3)]
    guard.handled(0, 3)
    assert asyncio.run(guard.skipped_records(app, FakeMessage(TOPIC, 0, 4))) == []
    assert log.reads == [(TOPIC, 0, 0, 3)]


def test_only_a_gap_with_records_in_it_is_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    tp = FakeTP(TOPIC, 0)
    app = FakeApp(FakeConsumer(ends={tp: 20}, _committed_offset={tp: 0}))
    # Offsets 5 and 12 hold transaction markers; 15..16 are orders faust never handed over.
    guard = StallGuard(TOPIC, records_at(*range(5), *range(6, 12), *range(13, 20)).read)
    for offset in [*range(5), *range(6, 12)]:
        assert asyncio.run(guard.skipped_records(app, FakeMessage(TOPIC, 0, offset))) == []
        guard.handled(0, offset)
    with caplog.at_level("DEBUG", logger="pipeline.worker.stall_guard"):
        assert asyncio.run(guard.skipped_records(app, FakeMessage(TOPIC, 0, 13))) == []
        guard.handled(0, 13)
        guard.handled(0, 14)
        assert len(asyncio.run(guard.skipped_records(app, FakeMessage(TOPIC, 0, 17)))) == 2
    # (topic, partition, first offset, last offset, records read)
    assert [(r.levelname, r.args) for r in caplog.records] == [
        ("DEBUG", (TOPIC, 0, 12, 12, 0)),
        ("WARNING", (TOPIC, 0, 15, 16, 2)),
    ]


def test_contiguous_and_repeated_records_are_not_gaps() -> None:
    guard = StallGuard(TOPIC, FakeLog().read)
    assert guard.skipped_before(3, 10, committed=10) is None
    guard.handled(3, 10)
    assert guard.skipped_before(3, 11, committed=10) is None
    guard.handled(3, 11)
    # A record read again after a seek back lies below the next expected offset: not a gap.
    assert guard.skipped_before(3, 5, committed=10) is None
    assert guard.skipped_before(3, 14, committed=10) == 12
    assert guard.reseeks == 1


def test_a_new_assignment_forgets_what_was_handled() -> None:
    guard = StallGuard(TOPIC, FakeLog().read)
    guard.handled(1, 40)
    guard.reassigned()
    # After a rebalance the consumer restarts from the committed offset, below what was handled.
    assert guard.skipped_before(1, 30, committed=30) is None
    assert guard.skipped_before(1, 33, committed=30) == 30


def test_a_partition_lagging_while_the_agent_idles_is_sought_back_after_two_checks() -> None:
    lagging, current = FakeTP(TOPIC, 0), FakeTP(TOPIC, 1)
    consumer = FakeConsumer(ends={lagging: 30, current: 8}, _committed_offset={lagging: 3, current: 8})
    app = FakeApp(consumer)
    guard = StallGuard(TOPIC, records_at(*range(40)).read, stall_seconds=0.0)
    assert asyncio.run(guard.check(app)) == []  # first sighting: the records may be on their way
    assert asyncio.run(guard.check(app)) == [(0, 3, 30)]
    assert consumer.seeks == [(lagging, 3)]


def test_offsets_without_records_are_passed_not_sought_back() -> None:
    tp = FakeTP(TOPIC, 0)
    # Offsets 5..7 hold no record: a transactional writer's commit markers after the last order.
    consumer = FakeConsumer(ends={tp: 8}, _committed_offset={tp: 5})
    log = records_at(*range(5))
    guard = StallGuard(TOPIC, log.read, stall_seconds=0.0)
    for _ in range(4):
        assert asyncio.run(guard.check(FakeApp(consumer))) == []
    assert consumer.seeks == []
    assert consumer.done == [(tp, 5, 8)]  # faust's commit may move past them
    assert log.reads == [(TOPIC, 0, 5, 8)]  # once: the guard now expects offset 8


def test_a_failed_read_of_a_stalled_range_falls_back_to_seeking() -> None:
    tp = FakeTP(TOPIC, 0)
    consumer = FakeConsumer(ends={tp: 8}, _committed_offset={tp: 5})

    async def broker_gone(topic: str, partition: int, start: int, end: int) -> list[Any]:
        msg = f"could not re-read {topic}[{partition}] {start}..{end - 1}"
        raise TimeoutError(msg)

    guard = StallGuard(TOPIC, broker_gone, stall_seconds=0.0)
    assert asyncio.run(guard.check(FakeApp(consumer))) == []
    assert asyncio.run(guard.check(FakeApp(consumer))) == [(0, 5, 8)]
    assert consumer.seeks == [(tp, 5)]
    assert consumer.done == []


@pytest.mark.kafka
def test_a_transaction_marker_at_the_end_of_a_partition_is_passed_on_the_real_broker() -> None:
    settings = load_settings()
    topic = new_topic(settings)

    async def write_in_a_transaction() -> None:
        producer = clients.async_producer(settings, "test", transactional_id=f"test-{topic}")
        await producer.start()
        try:
            async with producer.transaction():
                for n in range(3):
                    await producer.send(topic, f"order-{n}".encode(), key=b"k", partition=0)
        finally:
            await producer.stop()

    asyncio.run(write_in_a_transaction())
    tp = FakeTP(topic, 0)
    # The agent handled the three orders (offsets 0..2); the commit marker holds offset 3.
    consumer = FakeConsumer(ends={tp: 4}, _committed_offset={tp: 3})
    guard = StallGuard(topic, partial(read_skipped, settings), stall_seconds=0.0)
    for _ in range(3):
        assert asyncio.run(guard.check(FakeApp(consumer))) == []
    assert consumer.seeks == []
    assert consumer.done == [(tp, 3, 4)]


def test_no_seek_while_the_agent_is_busy_or_the_group_rebalances() -> None:
    lagging = FakeTP(TOPIC, 0)
    consumer = FakeConsumer(ends={lagging: 30}, _committed_offset={lagging: 3})
    busy = StallGuard(TOPIC, records_at(*range(40)).read, stall_seconds=3600.0)
    for _ in range(3):
        assert asyncio.run(busy.check(FakeApp(consumer))) == []
    rebalancing = StallGuard(TOPIC, records_at(*range(40)).read, stall_seconds=0.0)
    for _ in range(3):
        assert asyncio.run(rebalancing.check(FakeApp(consumer, rebalancing=True))) == []
    assert consumer.seeks == []
