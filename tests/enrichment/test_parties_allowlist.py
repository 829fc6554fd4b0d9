"""Allowlist: a cleared (party, entry) pair stays quiet until it expires or the entry changes."""

# ruff: noqa: RUF001 - full-width and CJK characters are the inputs under test

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest

from pipeline.enrichment.enriched import PartyFacts
from pipeline.enrichment.parties.allowlist import Allowlist, Clearance, party_key
from pipeline.enrichment.parties.errors import ListFileError
from pipeline.enrichment.parties.model import ListEntry, PartyList
from pipeline.enrichment.parties.screener import PartyScreener

ENTRY = ListEntry(
    entry_id="OWN-7",
    list_name="own",
    program="OWN-DENY",
    name="Nagoya Precision Optics",
    aliases=(),
    country="JP",
    entity_type="Company",
    listed_from=date(2026, 1, 1),
)
PARTY = PartyFacts("consignee", "Nagoya Precision Optics K.K.", "JP", party_id="C-100")
AS_OF = date(2026, 6, 1)


def _clearance(entry: ListEntry = ENTRY, expires: date = date(2026, 12, 31)) -> Clearance:
    return Clearance(
        party_key=party_key(PARTY),
        entry_id=entry.entry_id,
        entry_hash=entry.content_hash,
        reason="different company: Nagoya Precision Optics K.K. of Aichi, registry no. 1800-01",
        reviewer="reviewer-a",
        expires=expires,
    )


def _screener(entry: ListEntry, allowlist: Allowlist) -> PartyScreener:
    return PartyScreener(PartyList.of([entry]), allowlist=allowlist)


def test_without_clearance_the_party_hits() -> None:
    assert [h.entry_id for h in _screener(ENTRY, Allowlist()).screen([PARTY], AS_OF)] == ["OWN-7"]


@pytest.mark.parametrize(
    ("as_of", "hits"),
    [(date(2026, 6, 1), 0), (date(2026, 12, 30), 0), (date(2026, 12, 31), 1), (date(2027, 3, 1), 1)],
)
def test_clearance_suppresses_until_expiry(as_of: date, hits: int) -> None:
    screener = _screener(ENTRY, Allowlist((_clearance(),)))
    assert len(screener.screen([PARTY], as_of)) == hits


def test_clearance_lapses_when_the_entry_changes() -> None:
    allowlist = Allowlist((_clearance(),))
    changed = dataclasses.replace(ENTRY, aliases=("NPO Defence Optics",))
    assert allowlist.check(party_key(PARTY), ENTRY, AS_OF).cleared
    verdict = allowlist.check(party_key(PARTY), changed, AS_OF)
    assert not verdict.cleared
    assert "changed" in verdict.note
    assert len(_screener(changed, allowlist).screen([PARTY], AS_OF)) == 1


def test_clearance_is_per_party_and_entry() -> None:
    screener = _screener(ENTRY, Allowlist((_clearance(),)))
    other_party = PartyFacts("end_user", "Nagoya Precision Optics", "JP", party_id="C-200")
    assert len(screener.screen([other_party], AS_OF)) == 1


def test_add_and_remove() -> None:
    allowlist = Allowlist()
    screener = _screener(ENTRY, allowlist)
    allowlist.add(_clearance())
    assert screener.screen([PARTY], AS_OF) == ()
    assert allowlist.remove(party_key(PARTY), "OWN-7")
    assert len(screener.screen([PARTY], AS_OF)) == 1
    assert not allowlist.remove(party_key(PARTY), "OWN-7")


def test_party_key_without_id_folds_width_and_case() -> None:
    assert party_key(PartyFacts("x", "ＡＣＭＥ  Corp", "US")) == party_key(PartyFacts("y", "acme corp", "US"))


def test_allowlist_file_loads_and_malformed_file_is_refused(tmp_path: Path) -> None:
    good = tmp_path / "allow.yaml"
    good.write_text(
        "clearances:\n"
        f"  - {{party_key: 'id:C-100', entry_id: OWN-7, entry_hash: {ENTRY.content_hash}, reason: r,"
        " reviewer: a, expires: 2026-12-31}\n",
        encoding="utf-8",
    )
    assert len(Allowlist.load(good)) == 1
    bad = tmp_path / "bad.yaml"
    bad.write_text("clearances:\n  - {party_key: 'id:C-100'}\n", encoding="utf-8")
    with pytest.raises(ListFileError, match="invalid allowlist"):
        Allowlist.load(bad)
