"""List refresh: a sudden shrink is quarantined unless confirmed; the version in force stays."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.enrichment.enriched import PartyFacts
from pipeline.enrichment.parties.errors import ListFileError, ListShrinkRefusedError
from pipeline.enrichment.parties.guard import shrink_share
from pipeline.enrichment.parties.model import PartyList
from pipeline.enrichment.parties.screener import PartyScreener


def _without_japan(screener: PartyScreener) -> PartyList:
    return PartyList.of(e for e in screener.party_list.entries if e.country != "JP")


def test_shrink_share_counts_dropped_entries(bundled_screener: PartyScreener) -> None:
    candidate = _without_japan(bundled_screener)
    assert shrink_share(bundled_screener.party_list, candidate) == pytest.approx(80 / 273)


def test_sudden_shrink_is_refused_and_the_old_version_stays(bundled_screener: PartyScreener) -> None:
    with pytest.raises(ListShrinkRefusedError, match="quarantined") as refused:
        bundled_screener.replaced(_without_japan(bundled_screener), max_shrink=0.2)
    assert isinstance(refused.value, ListFileError)
    hits = bundled_screener.screen([PartyFacts("end_user", "三菱造船", "JP")], date(2026, 3, 1))
    assert len(hits) == 1


def test_confirmed_shrink_is_accepted(bundled_screener: PartyScreener) -> None:
    replaced = bundled_screener.replaced(_without_japan(bundled_screener), max_shrink=0.2, confirmed=True)
    assert len(replaced.party_list) == 193
    assert replaced.version != bundled_screener.version
    assert replaced.screen([PartyFacts("end_user", "三菱造船", "JP")], date(2026, 3, 1)) == ()


def test_small_change_passes(bundled_screener: PartyScreener) -> None:
    candidate = PartyList.of(bundled_screener.party_list.entries[1:])
    assert len(bundled_screener.replaced(candidate, max_shrink=0.2).party_list) == 272
