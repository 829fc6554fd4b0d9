"""Status of a listing as of a date: listed, suspended, stopped, cancelled (data: status-changes.yaml).

A suspension's `to` is its last suspended day (inclusive), as for item suspensions in rule packs.
After it the listing's effect applies again; without `resumption` evidence the status carries
medium confidence and says the end of the suspension is unconfirmed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipeline.enrichment.parties.errors import ListFileError
from pipeline.enrichment.parties.model import ListEntry

LISTED = "listed"
SUSPENDED = "suspended"
STOPPED = "stopped"
CANCELLED = "cancelled"
UNCONFIRMED = "medium"


class ChangeCitation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    authority: str
    instrument: str
    date: date
    url: str


class StatusChange(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    program: str
    listed_between: tuple[date, date]
    names: tuple[str, ...] = ()
    action: Literal["suspended", "stopped", "cancelled"]
    from_: date = Field(alias="from")
    # Last day of a suspension (inclusive).
    to: date | None = None
    confidence: Literal["high", "medium", "low"]
    note: str = ""
    citation: ChangeCitation
    # Later evidence that the listing's effect resumed after `to`.
    resumption: ChangeCitation | None = None

    @model_validator(mode="after")
    def _consistent(self) -> StatusChange:
        if self.action == SUSPENDED and self.to is None:
            msg = f"{self.id}: a suspension needs an end date"
            raise ValueError(msg)
        if self.to is not None and self.to < self.from_:
            msg = f"{self.id}: 'to' (last day) must not be before 'from'"
            raise ValueError(msg)
        return self

    def selects(self, entry: ListEntry) -> bool:
        if entry.program != self.program or entry.listed_from is None:
            return False
        if not self.listed_between[0] <= entry.listed_from <= self.listed_between[1]:
            return False
        return not self.names or entry.name in self.names

    def applies_on(self, day: date) -> bool:
        return self.from_ <= day and (self.to is None or day <= self.to)

    def lapsed_unconfirmed(self, day: date) -> bool:
        """A suspension whose last day is before `day`, with no evidence that the effect resumed."""
        return self.action == SUSPENDED and self.to is not None and self.to < day and self.resumption is None


class StatusChangeFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    changes: tuple[StatusChange, ...]


@dataclass(frozen=True, slots=True)
class ListingStatus:
    status: str
    change_id: str | None = None
    # Below high when the status rests on an inference (a suspension's unconfirmed end).
    confidence: str | None = None
    note: str | None = None


class StatusCalendar:
    """Applies the status changes to entries; entries are matched to their changes once, at load."""

    def __init__(self, changes: tuple[StatusChange, ...], version: str) -> None:
        self.changes = changes
        self.version = version
        self._by_entry: dict[str, list[StatusChange]] = defaultdict(list)

    @classmethod
    def load(cls, path: Path) -> StatusCalendar:
        try:
            data = StatusChangeFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        except (OSError, yaml.YAMLError, ValidationError) as exc:
            raise ListFileError(path, None, f"invalid status-change file: {exc}") from exc
        return cls(data.changes, data.version)

    @classmethod
    def empty(cls) -> StatusCalendar:
        return cls((), "none")

    def bind(self, entries: tuple[ListEntry, ...]) -> None:
        self._by_entry.clear()
        for entry in entries:
            for change in self.changes:
                if change.selects(entry):
                    self._by_entry[entry.entry_id].append(change)

    def affected(self, change_id: str) -> list[str]:
        return [eid for eid, changes in self._by_entry.items() if any(c.id == change_id for c in changes)]

    def status(self, entry: ListEntry, day: date) -> ListingStatus | None:
        """Status on `day`; None before the listing took effect."""
        if entry.listed_from is not None and day < entry.listed_from:
            return None
        if entry.listed_to is not None and day >= entry.listed_to:
            return ListingStatus(CANCELLED)
        final: StatusChange | None = None
        current: StatusChange | None = None
        lapsed: StatusChange | None = None
        for change in self._by_entry.get(entry.entry_id, ()):
            if change.lapsed_unconfirmed(day) and (lapsed is None or change.from_ > lapsed.from_):
                lapsed = change
            if not change.applies_on(day):
                continue
            if change.action in (STOPPED, CANCELLED):
                final = change if final is None or change.from_ < final.from_ else final
            elif current is None or change.from_ > current.from_:
                current = change
        chosen = final or current
        if chosen is not None:
            return ListingStatus(chosen.action, chosen.id, chosen.confidence)
        if lapsed is not None and lapsed.to is not None:
            note = (
                f"end of suspension unconfirmed: {lapsed.id} suspended the listing until {lapsed.to}, "
                f"no later evidence (listed again from {lapsed.to + timedelta(days=1)})"
            )
            return ListingStatus(LISTED, None, UNCONFIRMED, note)
        return ListingStatus(LISTED)
