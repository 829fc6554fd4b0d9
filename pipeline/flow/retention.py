"""When open orders' state expires: per orders partition, the keys of open orders by expiry day.

The orders agent asks `due(partition, today)` for every event it handles, which costs one
comparison unless a day has passed; expired entries are then deleted while the agent handles an
event of that partition, so their tombstones go to the changelog partition that holds them and
only the worker owning the partition deletes them. Expiry is by day, so a partition has a few
hundred buckets at most; a closed order leaves its bucket at once, so the index, like the table,
holds open orders only.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from datetime import date

from pipeline.flow.state import OrderState


class ExpiryIndex:
    def __init__(self) -> None:
        self._buckets: dict[int, dict[date, set[bytes]]] = {}
        self._days: dict[int, list[date]] = {}
        # Recovery fills a table without our code seeing it: rebuilt before the next sweep.
        self.stale = True

    def add(self, partition: int, expires: date, key: bytes) -> None:
        buckets = self._buckets.setdefault(partition, {})
        keys = buckets.get(expires)
        if keys is None:
            keys = buckets[expires] = set()
            heapq.heappush(self._days.setdefault(partition, []), expires)
        keys.add(key)

    def discard(self, partition: int, expires: date, key: bytes) -> None:
        keys = self._buckets.get(partition, {}).get(expires)
        if keys is not None:
            keys.discard(key)

    def rebuild(self, entries: Iterable[tuple[bytes, bytes]]) -> None:
        """Index a table's entries anew (after start-up or a rebalance, when recovery filled it)."""
        self._buckets, self._days = {}, {}
        for key, raw in entries:
            head = OrderState.decode_head(raw)
            if head is not None:
                self.add(head.partition, head.expires, key)
        self.stale = False

    def due(self, partition: int, today: date) -> list[bytes]:
        """Keys of `partition` whose entry expired before `today`, taken off the index."""
        days = self._days.get(partition)
        found: list[bytes] = []
        while days and days[0] < today:
            found.extend(self._buckets[partition].pop(heapq.heappop(days), ()))
        return found

    def __len__(self) -> int:
        return sum(len(keys) for buckets in self._buckets.values() for keys in buckets.values())
