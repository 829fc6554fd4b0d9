"""Re-reads records that faust fetched but never handed to an agent (every agent of the worker).

faust-streaming 0.15 can drop records right after a rebalance: `Consumer.getmany` takes the set of
active partitions before it waits for records and silently skips records of partitions resumed
in between, while the Kafka client's position has already moved past them. Found by the kill -9
reliability test, in two forms: a gap (offsets 10..14 never handled, 15 onwards handled; faust
then commits past the gap) and a stall (the worker idle with lag, the commit never advancing).

The guard catches both. A record arriving beyond the next offset the agent expects (a gap): the
agent reads the skipped records itself with a consumer of its own (`read_skipped`) and screens them
before the record in hand; seeking faust back is not enough, because its read-offset gate drops
re-fetched records once later ones of the same batch went through. faust never acks records it did
not hand over, so once the agent has published what they produced the guard reports them to faust's
consumer (`report_handled`), whose commit then moves past them (pipeline/kafka/faust_commits.py).
A partition with records waiting while the agent has handled nothing for a while (a stall): the
partition is sought back, which works there because nothing else is in flight; when the waiting
offsets hold no record (a transactional producer's commit markers), they are reported finished.
Reading again can only repeat records, and a repeated record republishes its decision under the
same id, so nothing is lost or duplicated.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka.errors import KafkaError

from pipeline.kafka import clients
from pipeline.settings import Settings

log = logging.getLogger(__name__)

# Idle for this long with records waiting: the records were skipped, not merely queued.
STALL_SECONDS = 8.0


def committed_offset(app: Any, tp: Any) -> int | None:
    """The offset faust sought `tp` to after the last assignment (it keeps no public accessor)."""
    offset: int | None = app.consumer._committed_offset.get(tp)
    return offset


async def read_skipped(
    settings: Settings, topic: str, partition: int, start: int, end: int, *, timeout_s: float = 30.0
) -> list[Any]:
    """The records of `topic`/`partition` at offsets start..end-1, read with a consumer of our own
    (the settings' TLS and SASL options, as every client of the product).

    Offsets without a record (transaction markers) are simply absent from the result.
    """
    from aiokafka import TopicPartition

    tp = TopicPartition(topic, partition)
    consumer = clients.async_consumer(settings, "stall-guard", max_partition_fetch_bytes=8 * 1024 * 1024)
    await consumer.start()
    records: list[Any] = []
    try:
        consumer.assign([tp])
        consumer.seek(tp, start)
        deadline = time.monotonic() + timeout_s
        while await consumer.position(tp) < end:
            if time.monotonic() > deadline:
                msg = f"could not re-read {topic}[{partition}] {start}..{end - 1} within {timeout_s:.0f}s"
                raise TimeoutError(msg)
            batch = await consumer.getmany(tp, timeout_ms=500)
            records.extend(r for r in batch.get(tp, []) if r.offset < end)
    finally:
        await consumer.stop()
    return records


# Reads the records of (topic, partition, start, end): `read_skipped` with the worker's settings.
Reader = Callable[[str, int, int, int], Awaitable[list[Any]]]


class StallGuard:
    def __init__(self, topic: str, read: Reader, stall_seconds: float = STALL_SECONDS) -> None:
        self._topic = topic
        self._read = read
        self._stall_seconds = stall_seconds
        self._next_offset: dict[int, int] = {}
        self._last_handled = time.monotonic()
        # Partitions with records waiting at the previous check: seek only when a lag persists.
        self._suspects: dict[int, int] = {}
        # Ranges (topic partition, start, end) the guard read itself, not yet reported to faust.
        self._reread: list[tuple[Any, int, int]] = []
        self.reseeks = 0

    def handled(self, partition: int, offset: int) -> None:
        """The agent took the record at `offset`: the next one it expects is `offset + 1`."""
        self._next_offset[partition] = max(self._next_offset.get(partition, 0), offset + 1)
        self._last_handled = time.monotonic()

    def reassigned(self) -> None:
        """After a rebalance the consumer restarts from committed offsets; forget what was handled."""
        self._next_offset.clear()
        self._suspects.clear()
        self._reread.clear()
        self._last_handled = time.monotonic()

    def skipped_before(self, partition: int, offset: int, committed: int | None) -> int | None:
        """The offset to re-read from when records before `offset` never reached the agent."""
        expected = self._next_offset.get(partition, committed)
        if expected is None or offset <= expected:
            return None
        self.reseeks += 1
        return expected

    async def skipped_records(self, app: Any, message: Any) -> list[Any]:
        """Records before `message` in its partition that faust never handed to the agent."""
        committed = committed_offset(app, message.tp)
        if committed is None and message.partition not in self._next_offset:
            # No commit yet: the group read from the partition's first record, which faust may
            # have skipped as well; without this a gap at the very start would go unseen.
            committed = (await app.consumer.earliest_offsets(message.tp)).get(message.tp)
        start = self.skipped_before(message.partition, message.offset, committed)
        if start is None:
            return []
        records = await self._read(message.topic, message.partition, start, message.offset)
        self._reread.append((message.tp, start, message.offset))
        # A transactional writer's commit markers take offsets too: a gap of markers is routine.
        log.log(
            logging.WARNING if records else logging.DEBUG,
            "%s[%d]: offsets %d..%d were never handed to the agent; %d records among them read again",
            self._topic,
            message.partition,
            start,
            message.offset - 1,
            len(records),
        )
        return records

    def report_handled(self, app: Any) -> None:
        """Once the records read again are handled and their outcomes published: tell faust's consumer
        they are done, so its commit moves past them (it never acks what it never handed over)."""
        reread, self._reread = self._reread, []
        for tp, start, end in reread:
            app.consumer.handled_elsewhere(tp, start, end)

    def watch(self, app: Any) -> None:
        """Forget handled offsets on every assignment, and look for stalled partitions every 2 s."""

        @app.on_partitions_assigned.connect  # type: ignore[untyped-decorator]
        async def _reassigned(*_: Any, **__: Any) -> None:
            self.reassigned()

        async def look_for_stalls() -> None:
            await self.check(app)

        app.timer(interval=2.0)(look_for_stalls)

    def stalled(self) -> bool:
        return time.monotonic() - self._last_handled >= self._stall_seconds

    def expected(self, partition: int, committed: int | None) -> int:
        # No commit yet: the group starts from the earliest offset (consumer_auto_offset_reset).
        return self._next_offset.get(partition, committed or 0)

    async def _holds_no_record(self, tp: Any, start: int, end: int) -> bool:
        """Whether offsets start..end-1 hold no record at all; unknown (a failed read) counts as no."""
        try:
            return not await self._read(tp.topic, tp.partition, start, end)
        except (KafkaError, OSError, TimeoutError) as exc:
            log.warning(
                "%s[%d]: could not read offsets %d..%d: %r", tp.topic, tp.partition, start, end - 1, exc
            )
            return False

    async def check(self, app: Any) -> list[tuple[int, int, int]]:
        """Seek stalled partitions back, or past offsets without records; returns (partition, from
        offset, end offset) per seek."""
        if not self.stalled() or app.rebalancing or app.in_recovery:
            self._suspects.clear()
            return []
        consumer = app.consumer
        assigned = [tp for tp in consumer.assignment() if tp.topic == self._topic]
        if not assigned:
            return []
        ends = await consumer.highwaters(*assigned)
        reseeked = []
        suspects, self._suspects = self._suspects, {}
        for tp in assigned:
            expected = self.expected(tp.partition, committed_offset(app, tp))
            end = ends.get(tp)
            if end is None or end <= expected:
                continue
            if suspects.get(tp.partition) != expected:
                # First sighting: the record may simply be on its way to the agent.
                self._suspects[tp.partition] = expected
                continue
            if await self._holds_no_record(tp, expected, end):
                # Only transaction markers lie there (a transactional writer's commit takes an
                # offset): nothing to hand over, and the commit may move past them.
                self._next_offset[tp.partition] = end
                consumer.handled_elsewhere(tp, expected, end)
                continue
            log.warning(
                "%s[%d]: %d records after offset %d were never handed to the agent; reading them again",
                self._topic,
                tp.partition,
                end - expected,
                expected,
            )
            await consumer.seek(tp, expected)
            reseeked.append((tp.partition, expected, end))
        if reseeked:
            self.reseeks += len(reseeked)
            self._last_handled = time.monotonic()
        return reseeked
