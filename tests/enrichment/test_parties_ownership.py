"""Ownership: a party owned 50 % or more by a listed entity yields a hit with via_owner set."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.enrichment.enriched import PartyFacts
from pipeline.enrichment.parties.ownership import controlling_owners
from pipeline.enrichment.parties.screener import PartyScreener
from pipeline.enrichment.party_master import PartyMaster
from pipeline.settings import Settings
from schemas.order import Party

AS_OF = date(2026, 8, 1)


@pytest.fixture(scope="module")
def master() -> PartyMaster:
    return PartyMaster.load(Settings().party_master_file)


@pytest.mark.parametrize(
    ("party_id", "name", "country", "via_owner", "listed"),
    [
        (
            "P-JP-NAGASAKI-FIT",
            "Nagasaki Marine Fittings K.K.",
            "JP",
            "Mitsubishi Shipbuilding Co., Ltd. (P-JP-MHI-SHIP)",
            "Mitsubishi Heavy Industries Shipbuilding Co.",
        ),
        (
            "P-US-SIKORSKY",
            "Sikorsky Aircraft Corporation",
            "US",
            "Lockheed Martin Corporation (P-US-LM)",
            None,
        ),
        (
            "P-IT-RHEINMETALL-IT",
            "Rheinmetall Italia S.p.A.",
            "IT",
            "Rheinmetall AG (P-DE-RHEINMETALL)",
            "Rheinmetall AG",
        ),
    ],
)
def test_owned_party_hits_through_its_listed_owner(
    bundled_screener: PartyScreener,
    master: PartyMaster,
    *,
    party_id: str,
    name: str,
    country: str,
    via_owner: str,
    listed: str | None,
) -> None:
    facts = master.facts("end_user", Party(party_id=party_id, name=name, country=country))
    hits = [h for h in bundled_screener.screen([facts], AS_OF) if h.via_owner]
    assert hits
    assert {h.via_owner for h in hits} == {via_owner}
    assert all(h.role == "end_user" and h.name_sent == name for h in hits)
    if listed:
        assert {h.listed_name for h in hits} == {listed}


def test_minority_owner_does_not_pass_the_listing_on(
    bundled_screener: PartyScreener, master: PartyMaster
) -> None:
    facts = master.facts(
        "consignee", Party(party_id="P-JP-HARBOUR-COAT", name="Harbour Coatings Co., Ltd.", country="JP")
    )
    assert facts.parent_share == 0.3
    assert bundled_screener.screen([facts], AS_OF) == ()


def test_chain_stops_at_cycles() -> None:
    a = PartyFacts("owner", "A", "JP", party_id="A", parent_id="B", parent_share=1.0)
    b = PartyFacts("owner", "B", "JP", party_id="B", parent_id="A", parent_share=0.9)
    table = {"A": a, "B": b}
    assert [o.party_id for o in controlling_owners(a, table.get)] == ["B"]


def test_chain_follows_majority_links_only() -> None:
    child = PartyFacts("end_user", "C", "JP", party_id="C", parent_id="P", parent_share=0.5)
    parent = PartyFacts("owner", "P", "JP", party_id="P", parent_id="G", parent_share=0.49)
    grand = PartyFacts("owner", "G", "JP", party_id="G")
    table = {"P": parent, "G": grand}
    assert [o.party_id for o in controlling_owners(child, table.get)] == ["P"]
