"""The party screener enrichment calls: every party of an order against every loaded list, as of a date."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import yaml

from pipeline.enrichment.enriched import PartyFacts, PartyHit
from pipeline.enrichment.parties.allowlist import Allowlist, load_seed, party_key
from pipeline.enrichment.parties.clearances import ClearanceBook
from pipeline.enrichment.parties.errors import ListFileError
from pipeline.enrichment.parties.guard import check_shrink
from pipeline.enrichment.parties.index import NameIndex
from pipeline.enrichment.parties.loaders import load_list_file
from pipeline.enrichment.parties.matcher import Matcher
from pipeline.enrichment.parties.model import ListEntry, PartyList
from pipeline.enrichment.parties.normalise import Normaliser
from pipeline.enrichment.parties.ownership import OwnerLookup, controlling_owners
from pipeline.enrichment.parties.status import StatusCalendar
from pipeline.enrichment.parties.vocabulary import MatchingVocabulary
from pipeline.settings import BUNDLED_DATA, Settings

PROGRAMS_FILE = BUNDLED_DATA / "parties" / "programs.yaml"
STRONG = "strong"
POTENTIAL = "potential"


def load_programs(path: Path = PROGRAMS_FILE) -> dict[str, str]:
    """List name as printed in list files -> program id."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return {name: program for program, spec in data["programs"].items() for name in spec["list_names"]}
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise ListFileError(path, None, f"invalid program table: {exc}") from exc


def load_party_list(paths: Sequence[Path], programs: dict[str, str] | None = None) -> PartyList:
    """All list files as one version; any malformed file refuses the whole set."""
    table = programs if programs is not None else load_programs()
    entries: list[ListEntry] = []
    for path in paths:
        entries.extend(load_list_file(path, table))
    return PartyList.of(entries, (p.name for p in paths))


class PartyScreener:
    def __init__(
        self,
        party_list: PartyList,
        *,
        calendar: StatusCalendar | None = None,
        vocabulary: MatchingVocabulary | None = None,
        allowlist: Allowlist | None = None,
        clearances: ClearanceBook | None = None,
        owners: OwnerLookup | None = None,
        strong_threshold: float = 0.9,
        potential_threshold: float = 0.75,
    ) -> None:
        self.party_list = party_list
        self.calendar = calendar if calendar is not None else StatusCalendar.empty()
        self.calendar.bind(party_list.entries)
        self.vocabulary = vocabulary or MatchingVocabulary.load()
        # Shared with the worker's reference store, which swaps in new clearances as they arrive.
        self.clearances = clearances or ClearanceBook(allowlist.clearances() if allowlist else ())
        self.owners = owners
        self.strong_threshold = strong_threshold
        self.potential_threshold = potential_threshold
        self.index = NameIndex(
            party_list.entries, Normaliser(self.vocabulary), dict(self.vocabulary.known_variants)
        )
        self.matcher = Matcher(self.index, potential_threshold)
        # Entry content hashes by entry identity: hashing on every hit would cost the hot path.
        self._entry_hashes: dict[int, str] = {}
        digest = f"{party_list.version}|{self.calendar.version}|{self.vocabulary.content_hash}"
        self.version = f"{party_list.version}+{hashlib.sha256(digest.encode()).hexdigest()[:8]}"

    def replaced(self, candidate: PartyList, max_shrink: float, *, confirmed: bool = False) -> PartyScreener:
        """A screener on a new list version; ListShrinkRefusedError (this one stays) on a sudden shrink."""
        check_shrink(self.party_list, candidate, max_shrink, confirmed=confirmed)
        return PartyScreener(
            candidate,
            calendar=self.calendar,
            vocabulary=self.vocabulary,
            clearances=self.clearances,
            owners=self.owners,
            strong_threshold=self.strong_threshold,
            potential_threshold=self.potential_threshold,
        )

    def screen(
        self, parties: Sequence[PartyFacts], as_of: date, *, at: datetime | None = None
    ) -> tuple[PartyHit, ...]:
        """Every hit as of the order's date; a hit a clearance silences at `at` (now) carries it."""
        allowlist = self.clearances.current
        now = (at or datetime.now(UTC)) if allowlist else None
        hits: list[PartyHit] = []
        for party in parties:
            hits.extend(self._screen_name(party, party, as_of, None, allowlist=allowlist, now=now))
            if self.owners is not None:
                for owner in controlling_owners(party, self.owners):
                    label = f"{owner.name} ({owner.party_id})" if owner.party_id else owner.name
                    hits.extend(self._screen_name(party, owner, as_of, label, allowlist=allowlist, now=now))
        return tuple(hits)

    def _entry_hash(self, entry: ListEntry) -> str:
        found = self._entry_hashes.get(id(entry))
        if found is None:
            found = self._entry_hashes[id(entry)] = entry.content_hash
        return found

    def _screen_name(
        self,
        party: PartyFacts,
        named: PartyFacts,
        as_of: date,
        via_owner: str | None,
        *,
        allowlist: Allowlist,
        now: datetime | None,
    ) -> list[PartyHit]:
        found: list[PartyHit] = []
        matches = self.matcher.match(named.name, named.country or None)
        if not matches:
            return found
        # Folding the name for the key costs more than most screenings: only parties that match need it.
        key = party_key(named)
        for match in matches:
            entry = match.entry
            status = self.calendar.status(entry, as_of)
            if status is None:
                continue
            check = allowlist.check(key, entry, now) if now is not None else None
            explanation = match.explanation
            if via_owner is not None:
                explanation = f"owner {via_owner} owns >= 50 %; {explanation}"
            if status.change_id:
                explanation += f"; {status.status} by {status.change_id}"
            if status.note:
                explanation += f"; {status.note}"
            if check is not None and not check.cleared and check.note:
                explanation += f"; {check.note}"
            found.append(
                PartyHit(
                    role=party.role,
                    name_sent=party.name,
                    party_country=party.country,
                    list_name=entry.list_name,
                    program=entry.program,
                    entry_id=entry.entry_id,
                    listed_name=entry.name,
                    score=match.score,
                    strength=STRONG if match.score >= self.strong_threshold else POTENTIAL,
                    matched=explanation,
                    status=status.status,
                    via_owner=via_owner,
                    listing_date=entry.listed_from,
                    source_url=entry.source_url,
                    status_confidence=status.confidence,
                    status_note=status.note,
                    party_key=key,
                    entry_hash=self._entry_hash(entry),
                    clearance=check.clearance.note() if check and check.clearance else None,
                )
            )
        return found


def load_party_screener(
    settings: Settings, owners: OwnerLookup | None = None, clearances: ClearanceBook | None = None
) -> PartyScreener:
    """The screener over the configured list files, status changes, clearances and party master owners.

    Without `clearances` (the worker's, fed by the allowlist topic) the allowlist file alone is used.
    """
    if owners is None and settings.party_master_file.exists():
        from pipeline.enrichment.party_master import PartyMaster

        owners = PartyMaster.load(settings.party_master_file).owner
    if clearances is None:
        seed = load_seed(settings.party_allowlist_file) if settings.party_allowlist_file else ()
        clearances = ClearanceBook(seed)
    return PartyScreener(
        load_party_list(settings.party_list_files),
        calendar=StatusCalendar.load(settings.party_status_file),
        clearances=clearances,
        owners=owners,
        strong_threshold=settings.party_strong_threshold,
        potential_threshold=settings.party_potential_threshold,
    )
