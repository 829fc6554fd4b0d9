"""The clearances the console lists: the latest record per key of the compacted `holds.allowlist`
topic, a tombstone removing it. Records the console cannot read are counted, not shown (the worker
refuses them on `reference.errors` with the reason)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from schemas.review import AllowlistEntry

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ClearanceRow:
    key: str
    entry: AllowlistEntry
    active: bool


class ClearanceRegister:
    def __init__(self) -> None:
        self._by_key: dict[str, AllowlistEntry] = {}
        self.unreadable = 0

    def apply(self, key: str, value: bytes | None) -> None:
        if value is None:
            self._by_key.pop(key, None)
            return
        try:
            self._by_key[key] = AllowlistEntry.model_validate_json(value)
        except ValidationError:
            self.unreadable += 1
            log.warning("unreadable allowlist record %r skipped", key[:200])

    def get(self, key: str) -> AllowlistEntry | None:
        return self._by_key.get(key)

    def rows(self, now: datetime) -> list[ClearanceRow]:
        """Newest clearance first; `active` until it expires (judged now, as the workers do)."""
        rows = [ClearanceRow(key, entry, now < entry.expires_at) for key, entry in self._by_key.items()]
        return sorted(rows, key=lambda row: row.entry.cleared_at, reverse=True)
