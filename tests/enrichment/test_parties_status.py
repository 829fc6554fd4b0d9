"""List status over time: the 2025 suspensions and stops and the 2026 cancellation (brief section 4.2)."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.enrichment.enriched import PartyFacts
from pipeline.enrichment.parties.screener import PartyScreener

# (party name, country, program, as of, expected status or None for no hit)
STATUS_CASES = [
    ("Sierra Nevada Corporation", "US", "CN-ECL", date(2025, 6, 1), "listed"),  # ECL No. 21
    ("Sierra Nevada Corporation", "US", "CN-ECL", date(2025, 8, 12), "suspended"),
    ("Sierra Nevada Corporation", "US", "CN-ECL", date(2026, 3, 1), "suspended"),  # continued 1 year
    ("Sierra Nevada Corporation", "US", "CN-ECL", date(2026, 11, 10), "listed"),  # suspension lapsed
    ("American Photonics", "US", "CN-ECL", date(2025, 8, 11), "listed"),  # ECL No. 22
    ("American Photonics", "US", "CN-ECL", date(2025, 8, 12), "stopped"),
    ("Leidos", "US", "CN-ECL", date(2025, 11, 9), "listed"),  # ECL No. 13
    ("Leidos", "US", "CN-ECL", date(2025, 11, 10), "stopped"),
    ("Skydio Inc.", "US", "CN-UEL", date(2025, 9, 1), "suspended"),  # UEL 2025-7
    ("Shield AI, Inc.", "US", "CN-UEL", date(2025, 8, 12), "stopped"),  # UEL 2025-8
    ("TCOM, Limited Partnership", "US", "CN-UEL", date(2025, 11, 10), "stopped"),  # UEL 2025-5
    ("Illumina, Inc.", "US", "CN-UEL", date(2026, 3, 1), "listed"),  # 2025-4 not stopped
    ("Hanwha Philly Shipyard Inc.", "US", "CN-CML", date(2025, 11, 9), "listed"),
    ("Hanwha Philly Shipyard Inc.", "US", "CN-CML", date(2025, 11, 10), "suspended"),
    ("Hanwha Philly Shipyard Inc.", "US", "CN-CML", date(2026, 11, 10), "listed"),
    ("UAB Urbo Bankas", "LT", "CN-CML", date(2026, 4, 23), "listed"),
    ("UAB Urbo Bankas", "LT", "CN-CML", date(2026, 4, 24), "cancelled"),
    ("Lockheed Martin Corporation", "US", "CN-UEL", date(2023, 2, 15), None),  # before the listing
    ("Lockheed Martin Corporation", "US", "CN-UEL", date(2023, 2, 16), "listed"),
    ("Dedrone by Axon", "US", "CN-UEL", date(2026, 3, 1), "listed"),  # no suspension found
]


@pytest.mark.parametrize(("name", "country", "program", "as_of", "expected"), STATUS_CASES)
def test_status_as_of_the_order_date(
    bundled_screener: PartyScreener,
    *,
    name: str,
    country: str,
    program: str,
    as_of: date,
    expected: str | None,
) -> None:
    hits = [
        h
        for h in bundled_screener.screen([PartyFacts("consignee", name, country)], as_of)
        if h.program == program and h.strength == "strong"
    ]
    assert [h.status for h in hits] == ([expected] if expected else [])


@pytest.mark.parametrize(
    ("change_id", "entries"),
    [
        ("ecl-2025-21-suspended", 16),
        ("ecl-2025-22-stopped", 12),
        ("ecl-2025-13-stopped", 15),
        ("uel-2025-5-6-stopped", 10),
        ("uel-2025-7-suspended", 11),
        ("uel-2025-8-stopped", 6),
        ("cml-hanwha-suspended", 5),
        ("cml-lithuanian-banks-cancelled", 2),
    ],
)
def test_each_status_change_selects_the_announced_number_of_entries(
    bundled_screener: PartyScreener, change_id: str, entries: int
) -> None:
    assert len(bundled_screener.calendar.affected(change_id)) == entries


def test_hit_explains_which_change_set_the_status(bundled_screener: PartyScreener) -> None:
    (hit,) = [
        h
        for h in bundled_screener.screen([PartyFacts("end_user", "Leidos", "US")], date(2026, 1, 5))
        if h.program == "CN-ECL"
    ]
    assert hit.status == "stopped"
    assert "ecl-2025-13-stopped" in hit.matched
    assert hit.listing_date == date(2025, 3, 4)
    assert hit.source_url is not None
