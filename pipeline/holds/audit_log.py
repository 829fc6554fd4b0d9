"""The audit trail as the console searches it: the latest records of `holds.audit`, newest first.

`holds.audit` is kept forever; the console keeps the most recent `limit` records in memory (a day of
200 holds writes a few thousand), and says when older ones were left out. It also indexes, per order,
the newest kept record of a review that closed the hold: the closed-holds view's restart-proof source.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from pipeline.holds.closed import ClosedHold, closed_from_audit
from schemas.review import AuditRecord

DEFAULT_LIMIT = 200_000


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Every field narrows the search; empty ones match everything. Dates are UTC days, both included."""

    order: str = ""
    actor: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None

    def matches(self, record: AuditRecord) -> bool:
        return self.matcher()(_keys(record))

    def matcher(self) -> Callable[[_Keys], bool]:
        """A test of a record's folded keys, with the query folded once (a search tests 200,000)."""
        order, actor, action = self.order.casefold(), self.actor.casefold(), self.action.casefold()
        since, until = self.since, self.until

        def test(keys: _Keys) -> bool:
            return (
                (not order or order in keys[0])
                and (not actor or actor == keys[1])
                and (not action or action == keys[2])
                and (since is None or keys[3] >= since)
                and (until is None or keys[3] <= until)
            )

        return test


# What a search compares, folded once when a record arrives: order id, actor, action, UTC day.
_Keys = tuple[str, str, str, date]


def _keys(record: AuditRecord) -> _Keys:
    return (
        (record.order_id or "").casefold(),
        record.actor.casefold(),
        record.action.casefold(),
        record.at.date(),
    )


class AuditLog:
    """Records keyed by audit id, so a record read back from the topic twice is kept once."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self._records: OrderedDict[str, tuple[AuditRecord, _Keys]] = OrderedDict()
        self._limit = limit
        self._actions: set[str] = set()
        # Order id to the close its newest kept review record made, and that record's audit id.
        self._closings: dict[str, tuple[str, ClosedHold]] = {}
        self.dropped = 0

    def add(self, record: AuditRecord) -> bool:
        if record.audit_id in self._records:
            return False
        self._records[record.audit_id] = (record, _keys(record))
        self._actions.add(record.action)
        if (closed := closed_from_audit(record)) is not None:
            known = self._closings.get(closed.order_id)
            if known is None or closed.closed_at >= known[1].closed_at:
                self._closings[closed.order_id] = (record.audit_id, closed)
        if len(self._records) > self._limit:
            evicted_id, (evicted, _) = self._records.popitem(last=False)
            known = self._closings.get(evicted.order_id or "")
            if known is not None and known[0] == evicted_id:
                del self._closings[known[1].order_id]
            self.dropped += 1
        return True

    def closings(self) -> list[ClosedHold]:
        """Per order, the close its newest kept review record made."""
        return [closed for _, closed in self._closings.values()]

    def closing(self, order_id: str) -> ClosedHold | None:
        known = self._closings.get(order_id)
        return known[1] if known is not None else None

    def search(self, query: AuditQuery) -> list[AuditRecord]:
        # Records arrive about in time order, so the newest-first sort has little left to do.
        test = query.matcher()
        found = [record for record, keys in reversed(self._records.values()) if test(keys)]
        found.sort(key=lambda r: r.at, reverse=True)
        return found

    def actions(self) -> list[str]:
        """The actions seen so far (evicted records' included), for the search form's choices."""
        return sorted(self._actions)
