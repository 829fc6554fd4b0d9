"""The guard that re-reads order records faust fetched but never handed to the agent."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from pipeline.worker.stall_guard import StallGuard

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

    def assignment(self) -> set[FakeTP]:
        return set(self.ends)

    async def highwaters(self, *tps: FakeTP) -> dict[FakeTP, int]:
        return {tp: self.ends[tp] for tp in tps}

    async def seek(self, tp: FakeTP, offset: int) -> None:
        self.seeks.append((tp, offset))


@dataclass
class FakeApp:
    consumer: FakeConsumer
    rebalancing: bool = False
    in_recovery: bool = False


def test_a_gap_after_the_committed_offset_is_read_again_once() -> None:
    guard = StallGuard(TOPIC)
    assert guard.skipped_before(0, 15, committed=10) == 10
    # The same gap seen again after the re-read is real (e.g. transaction markers): accepted.
    assert guard.skipped_before(0, 15, committed=10) is None
    assert guard.reseeks == 1


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
