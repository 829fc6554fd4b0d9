"""The versioned party-list model: entries as plain frozen dataclasses, a list version by content hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

# Programs of the Chinese regime (OpenSanctions program ids); operator lists bring their own ids.
PROGRAM_CONTROL_LIST = "CN-ECL"
PROGRAM_WATCH_LIST = "CN-ECWL"
PROGRAM_UNRELIABLE_ENTITY = "CN-UEL"
PROGRAM_COUNTERMEASURES = "CN-CML"


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One designation: a party on one list (program) from one listing date."""

    entry_id: str
    list_name: str
    program: str
    name: str
    aliases: tuple[str, ...]
    country: str | None
    entity_type: str
    listed_from: date | None
    listed_to: date | None = None
    source_url: str | None = None
    summary: str = ""
    address: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    @property
    def content_hash(self) -> str:
        """Hash of the fields a reviewer's clearance depends on: any change voids the clearance."""
        payload = [
            self.program,
            self.name,
            sorted(self.aliases),
            self.country,
            self.entity_type,
            self.listed_from.isoformat() if self.listed_from else None,
            self.listed_to.isoformat() if self.listed_to else None,
        ]
        return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class PartyList:
    """All entries loaded from the configured list files, with a version derived from their content."""

    entries: tuple[ListEntry, ...]
    sources: tuple[str, ...]
    version: str

    @classmethod
    def of(cls, entries: Iterable[ListEntry], sources: Iterable[str] = ()) -> PartyList:
        ordered = tuple(sorted(entries, key=lambda e: e.entry_id))
        digest = hashlib.sha256()
        for entry in ordered:
            digest.update(entry.entry_id.encode())
            digest.update(entry.content_hash.encode())
        return cls(entries=ordered, sources=tuple(sources), version=f"parties-{digest.hexdigest()[:12]}")

    def __len__(self) -> int:
        return len(self.entries)


def entry_id_for(list_name: str, name: str, listed_from: date | None) -> str:
    """Stable id of a designation row that carries no id of its own."""
    key = f"{list_name}|{name.strip().casefold()}|{listed_from.isoformat() if listed_from else ''}"
    return "cn-" + hashlib.sha256(key.encode()).hexdigest()[:12]
