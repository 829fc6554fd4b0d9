"""Cleared (party, list entry) pairs: a reviewer's clearance suppresses the hit until it expires or
the list entry changes (its content hash at clearance no longer matches)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.enrichment.enriched import PartyFacts
from pipeline.enrichment.parties.errors import ListFileError
from pipeline.enrichment.parties.model import ListEntry


def party_key(party: PartyFacts) -> str:
    """The party master id when there is one, else the folded name and country."""
    if party.party_id:
        return f"id:{party.party_id}"
    name = " ".join(unicodedata.normalize("NFKC", party.name).casefold().split())
    return f"name:{name}|{party.country}"


class Clearance(BaseModel):
    """One reviewer decision that a party is not the listed entry (pydantic: it arrives from outside)."""

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
class ClearanceCheck:
    cleared: bool
    note: str = ""


class Allowlist:
    """In-memory store; a later stage feeds it from the hold-review topic via add/remove."""

    def __init__(self, clearances: tuple[Clearance, ...] = ()) -> None:
        self._by_pair: dict[tuple[str, str], Clearance] = {}
        for clearance in clearances:
            self.add(clearance)

    @classmethod
    def load(cls, path: Path) -> Allowlist:
        try:
            data = AllowlistFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
        except (OSError, yaml.YAMLError, ValidationError) as exc:
            raise ListFileError(path, None, f"invalid allowlist: {exc}") from exc
        return cls(data.clearances)

    def add(self, clearance: Clearance) -> None:
        self._by_pair[(clearance.party_key, clearance.entry_id)] = clearance

    def remove(self, party: str, entry_id: str) -> bool:
        return self._by_pair.pop((party, entry_id), None) is not None

    def __len__(self) -> int:
        return len(self._by_pair)

    def check(self, party: str, entry: ListEntry, as_of: date) -> ClearanceCheck:
        clearance = self._by_pair.get((party, entry.entry_id))
        if clearance is None:
            return ClearanceCheck(cleared=False)
        if as_of >= clearance.expires:
            return ClearanceCheck(
                cleared=False, note=f"clearance by {clearance.reviewer} expired {clearance.expires}"
            )
        if clearance.entry_hash != entry.content_hash:
            return ClearanceCheck(
                cleared=False, note=f"list entry changed since clearance by {clearance.reviewer}"
            )
        return ClearanceCheck(cleared=True, note=f"cleared by {clearance.reviewer}: {clearance.reason}")
