"""Matching outcomes: cross-script, abbreviations, typos, legal forms, group members, country, cache."""

# ruff: noqa: RUF001 - full-width and CJK characters are the inputs under test

from __future__ import annotations

from datetime import date

import pytest

from pipeline.enrichment.enriched import PartyFacts
from pipeline.enrichment.parties.screener import PartyScreener

AS_OF = date(2026, 8, 1)

# (name sent, country, expected listed name or None, expected strength)
CASES = [
    ("三菱造船", "JP", "Mitsubishi Heavy Industries Shipbuilding Co.", "strong"),
    ("三菱造船株式會社", "JP", "Mitsubishi Heavy Industries Shipbuilding Co.", "strong"),
    ("MHI Aero Engines Ltd", "JP", "Mitsubishi Heavy Industries Aero Engines, Ltd.", "strong"),
    ("防衛大学校", "JP", "National Defense Academy of Japan", "strong"),
    ("JAXA", "JP", "Japan Aerospace Exploration Agency", "strong"),
    ("ＬＯＣＫＨＥＥＤ　ＭＡＲＴＩＮ　ＣＯＲＰ．", "US", "Lockheed Martin Corporation", "strong"),
    ("Martin Lockheed", "US", "Lockheed Martin Corporation", "strong"),
    ("Lokheed Martin Corporation", "US", "Lockheed Martin Corporation", "strong"),
    ("スバル", "JP", "SUBARU Corporation", "strong"),
    ("Mitsubishi Corporation", "JP", None, None),
    ("Mitsubishi Heavy Industries, Ltd.", "JP", None, None),
    ("NEC Corporation", "JP", None, None),
    ("Kawasaki Kisen Kaisha, Ltd.", "JP", None, None),
    ("Global Logistics Solutions LLC", "US", None, None),
]


@pytest.mark.parametrize(("name", "country", "listed", "strength"), CASES)
def test_match_outcome(
    bundled_screener: PartyScreener, name: str, country: str, listed: str | None, strength: str | None
) -> None:
    hits = bundled_screener.screen([PartyFacts("end_user", name, country)], AS_OF)
    if listed is None:
        assert hits == ()
        return
    assert hits, f"{name!r} should match {listed!r}"
    assert {h.listed_name for h in hits} == {listed}
    assert {h.strength for h in hits} == {strength}
    assert all(h.role == "end_user" and h.name_sent == name for h in hits)


def test_subaru_is_on_the_watch_list_not_the_control_list(bundled_screener: PartyScreener) -> None:
    hits = bundled_screener.screen([PartyFacts("consignee", "SUBARU Corporation", "JP")], AS_OF)
    assert [(h.program, h.list_name) for h in hits] == [("CN-ECWL", "Export Control Watch List")]


def test_explanation_names_the_listed_name_tokens_and_country(bundled_screener: PartyScreener) -> None:
    (hit,) = bundled_screener.screen([PartyFacts("end_user", "Mitsubishi Shipbuiding Co", "JP")], AS_OF)
    assert "mitsubishi" in hit.matched
    assert "shipbuiding~shipbuilding" in hit.matched
    assert "country agrees" in hit.matched


def test_country_disagreement_lowers_the_score(bundled_screener: PartyScreener) -> None:
    def score(country: str) -> float:
        hits = bundled_screener.screen([PartyFacts("end_user", "Rheinmetall", country)], AS_OF)
        return max(h.score for h in hits)

    assert score("DE") > score("FR")


def test_common_tokens_count_little(bundled_screener: PartyScreener) -> None:
    index = bundled_screener.index
    assert index.weight["industries"] < index.weight["shipbuilding"] / 2
    assert index.weight["systems"] < index.weight["turbocharger"] / 2


def test_potential_match_between_thresholds(bundled_screener: PartyScreener) -> None:
    hits = bundled_screener.screen([PartyFacts("consignee", "Kratos Unmanned Aerial", "US")], AS_OF)
    assert {h.listed_name for h in hits} == {"Kratos Unmanned Aerial Systems, Inc."}
    assert {h.strength for h in hits} == {"potential"}
    assert all(
        bundled_screener.potential_threshold <= h.score < bundled_screener.strong_threshold for h in hits
    )


def test_cache_returns_the_same_result_and_counts_hits(bundled_screener: PartyScreener) -> None:
    matcher = bundled_screener.matcher
    first = matcher.match("Anduril Industries Inc", "US")
    before = matcher.cache_info().hits
    assert matcher.match("ANDURIL INDUSTRIES, INC.", "US") == first  # same normalised key
    assert matcher.cache_info().hits == before + 1
    assert matcher.match("Anduril Industries Inc", "US", use_cache=False) == first


def test_query_touches_few_entries(bundled_screener: PartyScreener) -> None:
    index = bundled_screener.index
    touched = {
        n
        for t in index.normaliser.tokens("Mitsubishi Heavy Industries Shipbuilding")
        for n in index.postings[t]
    }
    assert len(touched) < len(index.names) / 5
