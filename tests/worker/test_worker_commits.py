"""The offsets the worker's faust consumer commits: up to the first record the worker has not finished,
whichever way the records reached the agent (pipeline/kafka/faust_commits.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from faust.types import TP

from pipeline.app import faust_app
from pipeline.kafka.faust_commits import ScreeningConsumer, next_commit
from pipeline.settings import Settings

ORDERS = TP("orders", 2)


@dataclass(frozen=True)
class Gap:
    begin: int
    end: int


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    built = faust_app(Settings(app_id="commits", data_dir=tmp_path_factory.mktemp("commits")))
    built.finalize()
    yield built
    # Never started, so nothing else closes them: the app's loop and the consumer thread's.
    consumer: Any = built.consumer
    consumer._thread.thread_loop.close()
    built.loop.close()


@pytest.fixture
def consumer(app: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The worker app's faust consumer (not started: no broker), empty, with `ORDERS` assigned."""
    built = app.consumer
    assert isinstance(built, ScreeningConsumer)
    for state in (built._acked, built._acked_index, built._gap, built._committed_offset):
        state.clear()
    monkeypatch.setattr(built, "assignment", lambda: {ORDERS})
    return built


def acked(consumer: Any, offsets: range, committed: int | None) -> None:
    consumer._committed_offset[ORDERS] = committed
    for offset in offsets:
        consumer._acked[ORDERS].append(offset)
        consumer._acked_index[ORDERS].add(offset)


def test_records_the_guard_read_itself_are_committed_past(consumer: Any) -> None:
    # As in the failing lag run: committed 35, faust never handed 35..39 to the agent (the guard read
    # them), then acked 40..372. faust 0.15.3 commits nothing more for that partition.
    acked(consumer, range(40, 373), committed=35)
    assert consumer._filter_committable_offsets([ORDERS]) == {}
    consumer.handled_elsewhere(ORDERS, 35, 40)
    assert consumer._filter_committable_offsets([ORDERS]) == {ORDERS: 373}
    assert consumer._acked[ORDERS] == []
    assert not consumer._gap[ORDERS]


def test_a_gap_faust_guesses_after_a_re_seek_counts_for_nothing(consumer: Any) -> None:
    # As in the crawling partitions: faust read 3..8, its read offset was moved back to 3, then it
    # handed over 9 and recorded 4..9 as skipped, though 9 is still in the agent's hands. faust
    # 0.15.3 then moved the commit on by one offset per commit interval, and past 9 in the end.
    acked(consumer, range(3, 9), committed=3)
    asyncio.run(consumer._add_gap(ORDERS, 4, 9))
    assert consumer._filter_committable_offsets([ORDERS]) == {ORDERS: 9}
    consumer._committed_offset[ORDERS] = 9
    acked(consumer, range(9, 349), committed=9)
    assert consumer._filter_committable_offsets([ORDERS]) == {ORDERS: 349}


def test_the_commit_stops_before_the_first_unfinished_record(consumer: Any) -> None:
    acked(consumer, range(10, 20), committed=10)
    acked(consumer, range(25, 30), committed=10)
    assert consumer._filter_committable_offsets([ORDERS]) == {ORDERS: 20}
    # 20..24 still in an agent's hands: nothing to commit until they are done.
    consumer._committed_offset[ORDERS] = 20
    assert consumer._filter_committable_offsets([ORDERS]) == {}
    acked(consumer, range(20, 25), committed=20)
    assert consumer._filter_committable_offsets([ORDERS]) == {ORDERS: 30}


def test_a_range_alone_is_committed_past(consumer: Any) -> None:
    # Every record up to 40 committed; offset 40 holds a transaction marker the guard passed.
    consumer._committed_offset[ORDERS] = 40
    consumer.handled_elsewhere(ORDERS, 40, 41)
    assert list(consumer._filter_tps_with_pending_acks()) == [ORDERS]
    assert consumer._filter_committable_offsets([ORDERS]) == {ORDERS: 41}


def test_a_range_of_a_partition_no_longer_assigned_is_ignored(consumer: Any) -> None:
    consumer.handled_elsewhere(TP("orders", 0), 0, 5)
    assert not consumer._gap[TP("orders", 0)]


@pytest.mark.parametrize(
    ("acked_offsets", "gaps", "committed", "expected"),
    [
        (set(), [], 5, None),
        ({5, 6, 7}, [], 5, 8),
        ({6, 7}, [], 5, None),
        ({7, 8}, [], 5, None),
        ({7, 8}, [(5, 7)], 5, 9),
        ({0, 1, 2}, [], None, 3),
        ({3, 4}, [(1, 3)], None, 5),
        ({5, 6}, [(9, 12)], 5, 7),
        ({5, 6}, [(7, 9)], 5, 9),  # a range past the highest acked offset is finished too
        (set(), [(5, 6)], 5, 6),  # a transaction marker after the last record, nothing acked since
        (set(), [(2, 4)], None, 4),
        ({5, 6, 9}, [(7, 10)], 5, 10),
    ],
)
def test_next_commit(
    acked_offsets: set[int], gaps: list[tuple[int, int]], committed: int | None, expected: int | None
) -> None:
    intervals = [Gap(begin, end) for begin, end in gaps]
    assert next_commit(acked_offsets, intervals, committed) == expected
