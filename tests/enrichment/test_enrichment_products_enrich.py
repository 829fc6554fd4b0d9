"""Product master loading and how enrichment merges order lines with it and composes the parts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from pipeline.enrichment.enrich import Enricher, line_facts
from pipeline.enrichment.enriched import EndUseFacts, PartyFacts, PartyHit
from pipeline.enrichment.products import ProductMaster, ProductMasterError
from pipeline.settings import BUNDLED_DATA
from schemas.order import EndUse, OrderEvent, OrderLine, Party

PRODUCTS = ProductMaster.load(BUNDLED_DATA / "master" / "products.yaml")


def line(**fields: object) -> OrderLine:
    base: dict[str, object] = {
        "line_id": "1",
        "description": "x",
        "quantity": 1,
        "unit": "kg",
        "value": 1,
        "currency": "USD",
    }
    return OrderLine.model_validate({**base, **fields})


# (case, line fields, control codes, hs code, classified, source)
MERGES = [
    ("order codes only", {"control_code": "1C902.a"}, ("1C902.a",), None, True, "order"),
    ("master fills codes", {"sku": "APT-885"}, ("1C117.d",), "2841801000", True, "product-master"),
    (
        "order and master codes are merged",
        {"sku": "APT-885", "control_code": "1C004"},
        ("1C004", "1C117.d"),
        "2841801000",
        True,
        "order",
    ),
    (
        "order customs code wins",
        {"sku": "APT-885", "hs_code": "2841809000"},
        ("1C117.d",),
        "2841809000",
        True,
        "order",
    ),
    ("non-controlled SKU without codes", {"sku": "PACKING-SERVICE"}, (), None, True, "product-master"),
    ("unknown SKU, no codes", {"sku": "NOPE"}, (), None, False, ""),
    ("nothing at all", {}, (), None, False, ""),
]


@pytest.mark.parametrize(
    ("fields", "codes", "hs_code", "classified", "source"), [pytest.param(*m[1:], id=m[0]) for m in MERGES]
)
def test_line_facts_merge_order_and_product_master(
    fields: dict[str, object], codes: tuple[str, ...], hs_code: str | None, classified: bool, source: str
) -> None:
    facts = line_facts(line(**fields), PRODUCTS)
    assert (facts.control_codes, facts.hs_code, facts.classified, facts.classification_source) == (
        codes,
        hs_code,
        classified,
        source,
    )


def test_master_supplies_origin_and_rare_earth_share() -> None:
    facts = line_facts(line(sku="SERVO-NDFEB-DE"), PRODUCTS)
    assert (facts.origin_country, facts.cn_rare_earth_share) == ("DE", 0.012)
    assert (
        line_facts(line(sku="SERVO-NDFEB-DE", cn_rare_earth_share=0.0), PRODUCTS).cn_rare_earth_share == 0.0
    )


REFUSED = [
    (
        "duplicate SKU",
        "version: '1'\nproducts:\n  - {sku: A, description: a}\n  - {sku: A, description: b}\n",
        "duplicate SKUs A",
    ),
    (
        "bad control code",
        "version: '1'\nproducts:\n  - {sku: A, description: a, control_codes: [1C9]}\n",
        "malformed control code",
    ),
    (
        "non-controlled with code",
        (
            "version: '1'\nproducts:\n  - {sku: A, description: a, non_controlled: true, "
            "control_codes: [1C902]}\n"
        ),
        "non_controlled",
    ),
    ("unknown field", "version: '1'\nproducts:\n  - {sku: A, description: a, colour: red}\n", "colour"),
]


@pytest.mark.parametrize(("text", "reason"), [pytest.param(*r[1:], id=r[0]) for r in REFUSED])
def test_refused_product_master_names_the_problem(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "products.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProductMasterError, match=reason) as refused:
        ProductMaster.load(path)
    assert str(path) in str(refused.value)


@dataclass
class Master:
    version: str = "pm-1"

    def facts(self, role: str, party: Party) -> PartyFacts:
        categories = frozenset({"military"}) if role == "end_user" else frozenset()
        return PartyFacts(role, party.name, party.country, categories=categories)


@dataclass
class Lists:
    version: str = "pl-1"

    def screen(self, parties: Sequence[PartyFacts], as_of: date) -> tuple[PartyHit, ...]:
        role = parties[1].role
        return (
            PartyHit(
                role,
                "C",
                "SG",
                "CN-UEL",
                "CN-UEL",
                "e1",
                "C",
                1.0,
                "strong",
                "name",
                "listed",
                listing_date=as_of,
            ),
        )


def classify(end_use: EndUse, end_user: PartyFacts | None, recipients: tuple[PartyFacts, ...]) -> EndUseFacts:
    assert end_user is not None
    assert end_user in recipients
    return EndUseFacts(declared=True, classes=frozenset({"military"} & end_user.categories))


ORDER = OrderEvent.model_validate(
    {
        "order_id": "o",
        "event_time": "2026-03-01T00:00:00+08:00",
        "ship_date": "2026-03-05",
        "exporter": {"name": "E", "country": "CN"},
        "consignee": {"name": "C", "country": "SG"},
        "end_user": {"name": "U", "country": "JP"},
        "destination_country": "SG",
        "end_use": {"description": "radar"},
        "lines": [
            {
                "line_id": "1",
                "sku": "APT-885",
                "description": "APT",
                "quantity": 1,
                "unit": "kg",
                "value": 1,
                "currency": "USD",
            }
        ],
    }
)


def test_enricher_composes_every_part_and_records_versions() -> None:
    enriched = Enricher(
        products=PRODUCTS, party_master=Master(), party_screener=Lists(), classify_end_use=classify
    ).enrich(ORDER)
    assert enriched.as_of == date(2026, 3, 5)
    assert [p.role for p in enriched.parties] == ["exporter", "consignee", "end_user"]
    assert [(h.role, h.listing_date) for h in enriched.party_hits] == [("consignee", date(2026, 3, 5))]
    assert enriched.end_use.classes == frozenset({"military"})
    assert enriched.lines[0].control_codes == ("1C117.d",)
    assert enriched.versions == {"products": PRODUCTS.version, "party-master": "pm-1", "parties": "pl-1"}
    assert enriched.gaps == ()


def test_missing_parts_become_gaps_and_as_of_can_be_overridden() -> None:
    enriched = Enricher(products=None, party_master=None, party_screener=None, classify_end_use=None).enrich(
        ORDER, as_of=date(2027, 1, 4)
    )
    assert enriched.as_of == date(2027, 1, 4)
    assert enriched.gaps == (
        "product master not loaded",
        "party master not loaded",
        "party lists not loaded",
        "end-use classifier not loaded",
    )
    assert enriched.end_use.declared is True
    assert enriched.lines[0].classified is False
