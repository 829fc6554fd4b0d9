"""Orders taken in whose decision is still owed: what a caught-up `orders` topic does not show.

An open order is undecided while its state has no decision for its revision yet (its licence draw
is still being applied, `StateHead.awaiting_decision`). The tracker notes each state it writes or
removes, so the count and the oldest age cost a dict operation per order, never a table scan. A
rebalance fills or empties the state table without the tracker seeing it: the index is then marked
stale and rebuilt from the table, and orders taken over from another worker count from then.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pipeline.flow.state import OrderState, StateHead


@dataclass(frozen=True, slots=True)
class UndecidedSnapshot:
    count: int
    oldest_age_seconds: float


class UndecidedOrders:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        # Order key -> when this worker took in the revision whose decision is owed (Unix time).
        self._since: dict[bytes, float] = {}
        self.stale = False

    def note(self, key: bytes, head: StateHead) -> None:
        """The order's state was written: undecided until a decision for its revision is kept."""
        if head.awaiting_decision:
            if key not in self._since:
                self._since[key] = self._clock()
        else:
            self._since.pop(key, None)

    def discard(self, key: bytes) -> None:
        """The order's state was removed (closed, denied or expired): nothing is owed any more."""
        self._since.pop(key, None)

    def rebuild(self, states: Iterable[tuple[bytes, bytes]]) -> None:
        """Index the table's undecided orders again, keeping the times of those already known."""
        now = self._clock()
        since: dict[bytes, float] = {}
        for key, raw in states:
            head = OrderState.decode_head(raw)
            if head is not None and head.awaiting_decision:
                since[key] = self._since.get(key, now)
        self._since = since
        self.stale = False

    def snapshot(self) -> UndecidedSnapshot:
        if not self._since:
            return UndecidedSnapshot(0, 0.0)
        return UndecidedSnapshot(len(self._since), max(0.0, self._clock() - min(self._since.values())))
