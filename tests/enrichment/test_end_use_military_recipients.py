"""A military organisation named as consignee or end user is a military user, whatever the end use says."""

from __future__ import annotations

import pytest

from pipeline.enrichment.end_use import MILITARY, classify_end_use
from pipeline.enrichment.enriched import PartyFacts
from schemas.order import EndUse

CIVIL_USE = EndUse(code="CIVIL", description="materials research")


def _classes(role: str, name: str, country: str = "US") -> frozenset[str]:
    party = PartyFacts(role=role, name=name, country=country)
    end_user = party if role == "end_user" else None
    return classify_end_use(CIVIL_USE, end_user, (party,)).classes


@pytest.mark.parametrize(
    ("role", "name", "country"),
    [
        ("consignee", "US Army Tank-automotive and Armaments Command", "US"),
        ("end_user", "Air Force Research Laboratory, Wright-Patterson AFB", "US"),
        ("end_user", "U.S. Naval Research Laboratory", "US"),
        ("consignee", "Ministry of Defense Equipment Procurement Office", "JP"),
        ("end_user", "航空自衛隊 第2補給処", "JP"),
        ("consignee", "陆军装备部", "CN"),
        ("end_user", "Bundeswehr Beschaffungsamt", "DE"),
    ],
)
def test_a_military_organisation_as_recipient_adds_the_military_class(
    role: str, name: str, country: str
) -> None:
    assert MILITARY in _classes(role, name, country)


@pytest.mark.parametrize(
    "name",
    ["The Salvation Army", "Old Navy Stores", "Navy Federal Credit Union", "Swiss Army Knives AG", "救世军"],
)
def test_civil_organisations_with_a_military_word_in_their_name_are_not(name: str) -> None:
    assert MILITARY not in _classes("consignee", name)


def test_only_recipients_are_read_and_only_for_the_military_class() -> None:
    exporter = PartyFacts(role="exporter", name="Army Metals Trading", country="CN")
    nuclear_name = PartyFacts(role="consignee", name="Nuclear Fuel Industries", country="JP")
    classes = classify_end_use(CIVIL_USE, None, (exporter, nuclear_name)).classes
    assert MILITARY not in classes
    assert not {c for c in classes if c.startswith("wmd")}
