"""Allowlist: a cleared (party, entry) pair is silenced until it expires (judged at screening time)
or the entry changes; the silenced hit carries the clearance."""

# ruff: noqa: RUF001 - full-width and CJK characters are the inputs under test

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from pipeline.enrichment.enriched import PartyFacts
from pipeline.enrichment.parties.allowlist import Allowlist, Clearance, from_file, party_key
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
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


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


def _uncleared(screener: PartyScreener, party: PartyFacts, as_of: date, at: datetime = NOW) -> list[str]:
    return [h.entry_id for h in screener.screen([party], as_of, at=at) if h.clearance is None]


def test_without_clearance_the_party_hits() -> None:
    hits = _screener(ENTRY, Allowlist()).screen([PARTY], AS_OF)
    assert [(h.entry_id, h.clearance, h.party_key, h.entry_hash) for h in hits] == [
        ("OWN-7", None, "id:C-100", ENTRY.content_hash)
    ]


def test_a_cleared_hit_carries_who_when_why_and_until() -> None:
    (hit,) = _screener(ENTRY, Allowlist((from_file(_clearance()),))).screen([PARTY], AS_OF, at=NOW)
    assert hit.clearance is not None
    assert (hit.clearance.cleared_by, hit.clearance.expires_at) == (
        "reviewer-a",
        datetime(2026, 12, 31, tzinfo=UTC),
    )
    assert hit.clearance.reason.startswith("different company")


@pytest.mark.parametrize(
    ("at", "hits"),
    [
        (datetime(2026, 6, 1, tzinfo=UTC), []),
        (datetime(2026, 12, 30, 23, 59, tzinfo=UTC), []),
        (datetime(2026, 12, 31, tzinfo=UTC), ["OWN-7"]),
        (datetime(2027, 3, 1, tzinfo=UTC), ["OWN-7"]),
    ],
)
def test_clearance_silences_until_expiry_at_screening_time(at: datetime, hits: list[str]) -> None:
    screener = _screener(ENTRY, Allowlist((from_file(_clearance()),)))
    assert _uncleared(screener, PARTY, AS_OF, at) == hits


def test_expiry_is_judged_at_screening_time_not_the_orders_date() -> None:
    """An order dated before the expiry, screened after it, is not cleared: the product fails closed."""
    screener = _screener(ENTRY, Allowlist((from_file(_clearance()),)))
    after_expiry = datetime(2027, 1, 5, tzinfo=UTC)
    assert _uncleared(screener, PARTY, date(2026, 6, 1), after_expiry) == ["OWN-7"]
    (hit,) = screener.screen([PARTY], date(2026, 6, 1), at=after_expiry)
    assert "clearance by reviewer-a expired 2026-12-31" in hit.matched


def test_clearance_lapses_when_the_entry_changes() -> None:
    allowlist = Allowlist((from_file(_clearance()),))
    changed = dataclasses.replace(ENTRY, aliases=("NPO Defence Optics",))
    assert allowlist.check(party_key(PARTY), ENTRY, NOW).cleared
    verdict = allowlist.check(party_key(PARTY), changed, NOW)
    assert not verdict.cleared
    assert "changed" in verdict.note
    assert _uncleared(_screener(changed, allowlist), PARTY, AS_OF) == ["OWN-7"]


def test_clearance_is_per_party_and_entry() -> None:
    screener = _screener(ENTRY, Allowlist((from_file(_clearance()),)))
    other_party = PartyFacts("end_user", "Nagoya Precision Optics", "JP", party_id="C-200")
    assert _uncleared(screener, other_party, AS_OF) == ["OWN-7"]


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
    loaded = Allowlist.load(good)
    found = [(c.party_key, c.entry_id, c.cleared_by) for c in loaded.clearances()]
    assert found == [("id:C-100", "OWN-7", "a")]
    bad = tmp_path / "bad.yaml"
    bad.write_text("clearances:\n  - {party_key: 'id:C-100'}\n", encoding="utf-8")
    with pytest.raises(ListFileError, match="invalid allowlist"):
        Allowlist.load(bad)
