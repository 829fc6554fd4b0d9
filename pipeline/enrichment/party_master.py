"""The operator's party master: ids, names, countries, categories, parent and share.

Enrichment turns each party of an order into `PartyFacts`; a party the master does not know keeps
the facts the order gives (name, country, id) and no categories.
"""

from __future__ import annotations

import hashlib
import unicodedata
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipeline.enrichment.enriched import PartyFacts
from schemas.order import CountryCode, Party

# Parties whose facts are remembered per master: a bounded share of a customer base, a few MB.
_REMEMBERED_PARTIES = 16_384
KNOWN_CATEGORIES = frozenset(
    {
        "military",
        "government",
        "defence_industry",
        "research",
        "university",
        "hospital",
        "humanitarian",
        "civil",
    }
)


class PartyMasterError(Exception):
    """The party master file was refused (path and reason); the version in force stays."""


class MasterParty(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=500)
    country: CountryCode
    categories: frozenset[str] = frozenset()
    aliases: tuple[str, ...] = ()
    parent: str | None = None
    parent_share: float | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _consistent(self) -> MasterParty:
        unknown = self.categories - KNOWN_CATEGORIES
        if unknown:
            msg = f"unknown categories {sorted(unknown)} (known: {sorted(KNOWN_CATEGORIES)})"
            raise ValueError(msg)
        if (self.parent is None) != (self.parent_share is None):
            msg = "parent and parent_share go together"
            raise ValueError(msg)
        return self


class MasterFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    parties: tuple[MasterParty, ...]


def _name_key(name: str, country: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split()) + "|" + country


class PartyMaster:
    def __init__(self, parties: tuple[MasterParty, ...], version: str) -> None:
        self.version = version
        self._by_id = {p.id: p for p in parties}
        if len(self._by_id) != len(parties):
            msg = "duplicate party ids"
            raise PartyMasterError(msg)
        missing = sorted({p.parent for p in parties if p.parent and p.parent not in self._by_id})
        if missing:
            msg = f"parents not in the master: {', '.join(missing)}"
            raise PartyMasterError(msg)
        self._by_name = {_name_key(n, p.country): p for p in parties for n in (p.name, *p.aliases)}
        self._remembered_facts = lru_cache(maxsize=_REMEMBERED_PARTIES)(self._facts)

    @classmethod
    def load(cls, path: Path) -> PartyMaster:
        try:
            raw = path.read_bytes()
            data = MasterFile.model_validate(yaml.safe_load(raw))
            master = cls(data.parties, f"{data.version}+{hashlib.sha256(raw).hexdigest()[:8]}")
        except (OSError, yaml.YAMLError, ValidationError, PartyMasterError) as exc:
            msg = f"{path}: party master refused: {exc}"
            raise PartyMasterError(msg) from exc
        return master

    def __len__(self) -> int:
        return len(self._by_id)

    def find(self, party: Party) -> MasterParty | None:
        if party.party_id and party.party_id in self._by_id:
            return self._by_id[party.party_id]
        return self._by_name.get(_name_key(party.name, party.country))

    def facts(self, role: str, party: Party) -> PartyFacts:
        # Orders name the same customers again and again; the master never changes (a new version is
        # a new PartyMaster), so the facts of a party in a role are looked up once.
        return self._remembered_facts(role, party.party_id, party.name, party.country)

    def _facts(self, role: str, party_id: str | None, name: str, country: str) -> PartyFacts:
        known = self._by_id.get(party_id) if party_id else None
        if known is None:
            known = self._by_name.get(_name_key(name, country))
        if known is None:
            return PartyFacts(role=role, name=name, country=country, party_id=party_id)
        return PartyFacts(
            role=role,
            name=name,
            country=country,
            party_id=known.id,
            categories=known.categories,
            parent_id=known.parent,
            parent_share=known.parent_share,
        )

    def owner(self, party_id: str) -> PartyFacts | None:
        """The master's own facts for a party id (used to screen owners)."""
        known = self._by_id.get(party_id)
        if known is None:
            return None
        return PartyFacts(
            role="owner",
            name=known.name,
            country=known.country,
            party_id=known.id,
            categories=known.categories,
            parent_id=known.parent,
            parent_share=known.parent_share,
        )
