"""The offset faust commits for a partition: up to the first record the worker has not finished.

faust-streaming 0.15.3 (`Consumer._new_offset`) commits the first run of consecutive offsets among
those its streams acked plus its "gaps" (offsets it saw skipped). Two flaws there kept the worker's
committed offsets short of the orders it had decided (issue 17: the lag of one partition flat at 338
with every order decided, the other partitions' commits crawling one offset per commit):

- Records the stall guard re-read and handled itself (pipeline/worker/stall_guard.py) are never
  acked. The acked offsets then start more than one past the committed offset, and faust commits
  nothing more for that partition until the next rebalance; a restart re-delivers all of it.
- A gap faust records after a re-seek can cover offsets that were also acked. The duplicates split
  the "consecutive" run, so each commit (every 2.8 s) moves the offset on by one. That crawl also
  hid that such a gap is no proof: it is measured from a read offset the re-seek moved back, so it
  can cover records still queued for an agent, and it includes the record that revealed it.

`ScreeningConsumer` commits up to the first offset, from the committed one, that is neither acked nor
in a range the stall guard read and handled itself (`handled_elsewhere`). faust's own gaps are not
recorded: every agent of the worker carries the guard, which reads any offsets faust skipped,
transaction markers included, and reports them once their outcomes are published.
"""

from __future__ import annotations

from typing import Any

from faust.transport.drivers import aiokafka as faust_aiokafka


def next_commit(acked: set[int], done: Any, committed: int | None) -> int | None:
    """The offset to commit: the first one from `committed` that is neither in `acked` nor in an
    interval of `done` (begin, end exclusive); None when that is no further than `committed`.

    Unlike faust's gap guesses, every interval of `done` was read and finished, so one beyond the
    highest acked offset counts too (offsets of transaction markers after a partition's last record).
    """
    if not acked and not done:
        return None
    # No commit yet: the partition is read from its first record.
    start: int = min([*acked, *(interval.begin for interval in done)]) if committed is None else committed
    offset = start
    while True:
        if offset in acked:
            offset += 1
            continue
        ends: list[int] = [interval.end for interval in done if interval.begin <= offset < interval.end]
        if not ends:
            break
        offset = max(ends)
    if offset <= start:
        return None
    return offset


class ScreeningConsumer(faust_aiokafka.Consumer):
    """faust's consumer whose commits follow every record the worker finished (see the module)."""

    def handled_elsewhere(self, tp: Any, start: int, end: int) -> None:
        """Offsets `start`..`end - 1` of `tp` were handled and their outcome published without a faust
        event (the stall guard read them itself): done, like an acked record."""
        if end > start and tp in self.assignment():
            self._gap[tp].addi(start, end)
            # faust commits only partitions with an entry here, which a range alone may not have.
            self._acked.setdefault(tp, [])

    async def _add_gap(self, tp: Any, offset_from: int, offset_to: int) -> None:
        """faust's guess at skipped offsets is not recorded: the stall guard reports what it handled."""

    def _new_offset(self, tp: Any) -> int | None:
        acked: list[int] = self._acked[tp]
        # faust keeps the same offsets as a set beside the list: no need to build one per commit.
        index: set[int] = self._acked_index[tp]
        gaps = self._gap[tp]
        offset = next_commit(index, gaps, self._committed_offset[tp])
        if offset is None:
            return None
        # Forget what the commit covers; later offsets wait for the next commit.
        acked[:] = [done for done in acked if done >= offset]
        index.difference_update([done for done in index if done < offset])
        gaps.chop(0, offset)
        return offset
