"""The audit trail as the console searches it: the latest records of `holds.audit`, newest first.

`holds.audit` is kept forever; the console keeps the most recent `limit` records in memory (a day of
200 holds writes a few thousand), and says when older ones were left out.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date

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
        day = record.at.date()
        return (
            (not self.order or self.order.casefold() in (record.order_id or "").casefold())
            and (not self.actor or self.actor.casefold() == record.actor.casefold())
            and (not self.action or self.action.casefold() == record.action.casefold())
            and (self.since is None or day >= self.since)
            and (self.until is None or day <= self.until)
        )


class AuditLog:
    """Records keyed by audit id, so a record read back from the topic twice is kept once."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self._records: OrderedDict[str, AuditRecord] = OrderedDict()
        self._limit = limit
        self.dropped = 0

    def add(self, record: AuditRecord) -> bool:
        if record.audit_id in self._records:
            return False
        self._records[record.audit_id] = record
        if len(self._records) > self._limit:
            self._records.popitem(last=False)
            self.dropped += 1
        return True

    def search(self, query: AuditQuery) -> list[AuditRecord]:
        found = [r for r in self._records.values() if query.matches(r)]
        found.sort(key=lambda r: r.at, reverse=True)
        return found

    def actions(self) -> list[str]:
        """The actions seen so far, for the search form's choices."""
        return sorted({r.action for r in self._records.values()})
