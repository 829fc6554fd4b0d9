"""Cleared (party, list entry) pairs: a reviewer's clearance silences the hit until it expires, is
revoked, or the list entry changes (its content hash at clearance no longer matches).

Expiry is judged at screening time, not as of the order's date: a clearance is a reviewer's
judgement with a shelf life, and an order dated last month must not ride on a clearance that lapsed
yesterday (the product fails closed). An `Allowlist` is never changed once screening uses it: a
change builds a new one (`pipeline/enrichment/parties/clearances.py`) that replaces it whole.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.enrichment.enriched import ClearanceNote, PartyFacts
from pipeline.enrichment.parties.errors import ListFileError
from pipeline.enrichment.parties.model import ListEntry


def fold_name(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def party_key(party: PartyFacts) -> str:
    """The party master id when there is one, else the folded name and country."""
    if party.party_id:
        return f"id:{party.party_id}"
    return f"name:{fold_name(party.name)}|{party.country}"


class Clearance(BaseModel):
    """One clearance of a seed file (pydantic: it arrives from outside); expires at 00:00 UTC that day."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    party_key: str = Field(min_length=1)
    entry_id: str = Field(min_length=1)
    entry_hash: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    reviewer: str = Field(min_length=1)
    expires: date
    cleared_on: date | None = None


class AllowlistFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    clearances: tuple[Clearance, ...] = ()


@dataclass(frozen=True, slots=True)
class ActiveClearance:
    """A clearance in force, from the seed file or the allowlist topic (plain: read per party hit)."""

    clearance_id: str
    party_key: str
    entry_id: str
    entry_hash: str
    cleared_by: str
    cleared_at: datetime | None
    reason: str
    expires_at: datetime
    order_id: str = ""

    @property
    def pair(self) -> tuple[str, str]:
        return (self.party_key, self.entry_id)

    def note(self) -> ClearanceNote:
        return ClearanceNote(
            self.clearance_id, self.cleared_by, self.cleared_at, self.reason, self.expires_at
        )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def from_file(clearance: Clearance) -> ActiveClearance:
    return ActiveClearance(
        clearance_id=f"file:{clearance.party_key}/{clearance.entry_id}",
        party_key=clearance.party_key,
        entry_id=clearance.entry_id,
        entry_hash=clearance.entry_hash,
        cleared_by=clearance.reviewer,
        cleared_at=_midnight(clearance.cleared_on) if clearance.cleared_on else None,
        reason=clearance.reason,
        expires_at=_midnight(clearance.expires),
    )


def load_seed(path: Path) -> tuple[ActiveClearance, ...]:
    """The clearances of an allowlist file; a malformed file is refused with its name and the reason."""
    try:
        data = AllowlistFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ListFileError(path, None, f"invalid allowlist: {exc}") from exc
    return tuple(from_file(c) for c in data.clearances)


@dataclass(frozen=True, slots=True)
class ClearanceCheck:
    cleared: bool
    note: str = ""
    clearance: ActiveClearance | None = None


class Allowlist:
    """The clearances in force, by (party key, entry id); immutable once built."""

    __slots__ = ("_by_pair", "version")

    def __init__(self, clearances: Iterable[ActiveClearance] = (), version: str = "none") -> None:
        self._by_pair = {clearance.pair: clearance for clearance in clearances}
        self.version = version

    @classmethod
    def load(cls, path: Path) -> Allowlist:
        return cls(load_seed(path), version=f"file:{path.name}")

    def __len__(self) -> int:
        return len(self._by_pair)

    def __bool__(self) -> bool:
        return bool(self._by_pair)

    def clearances(self) -> list[ActiveClearance]:
        return list(self._by_pair.values())

    def clearing(self, party: str, entry_id: str, entry_hash: str, at: datetime) -> ActiveClearance | None:
        """The clearance that would silence a recorded hit now (in force, same entry content), or None."""
        clearance = self._by_pair.get((party, entry_id))
        if clearance is None or at >= clearance.expires_at or clearance.entry_hash != entry_hash:
            return None
        return clearance

    def check(self, party: str, entry: ListEntry, at: datetime) -> ClearanceCheck:
        clearance = self._by_pair.get((party, entry.entry_id))
        if clearance is None:
            return ClearanceCheck(cleared=False)
        if at >= clearance.expires_at:
            note = f"clearance by {clearance.cleared_by} expired {clearance.expires_at:%Y-%m-%d}"
            return ClearanceCheck(cleared=False, note=note)
        if clearance.entry_hash != entry.content_hash:
            return ClearanceCheck(
                cleared=False, note=f"list entry changed since clearance by {clearance.cleared_by}"
            )
        return ClearanceCheck(
            cleared=True, note=f"cleared by {clearance.cleared_by}: {clearance.reason}", clearance=clearance
        )
