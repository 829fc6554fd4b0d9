"""Build orders and screen them through enrichment, the engine and the decision stage with fakes
for the party master, party screening and end-use classification (tests control those facts)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from pipeline.enrichment.enrich import Enricher
from pipeline.enrichment.enriched import EndUseFacts, PartyFacts, PartyHit
from pipeline.enrichment.products import ProductMaster
from pipeline.rules.compiled import CompiledPack
from pipeline.rules.loader import load_pack
from pipeline.screening import EngineScreener
from pipeline.settings import BUNDLED_DATA
from schemas.decision import DecisionRecord
from schemas.order import EndUse, OrderEvent, Party


@pytest.fixture(scope="session")
def china_pack() -> CompiledPack:
    return load_pack(BUNDLED_DATA / "rules" / "china.yaml")


@pytest.fixture(scope="session")
def products() -> ProductMaster:
    return ProductMaster.load(BUNDLED_DATA / "master" / "products.yaml")


@dataclass
class FakePartyMaster:
    categories: dict[str, frozenset[str]] = field(default_factory=dict)
    version: str = "test"

    def facts(self, role: str, party: Party) -> PartyFacts:
        return PartyFacts(
            role, party.name, party.country, categories=self.categories.get(party.name, frozenset())
        )


@dataclass
class FakeScreener:
    hits: tuple[PartyHit, ...] = ()
    version: str = "test"

    def screen(self, parties: Sequence[PartyFacts], as_of: date) -> tuple[PartyHit, ...]:  # noqa: ARG002
        return self.hits


def hit(
    program: str,
    role: str = "end_user",
    strength: str = "strong",
    status: str = "listed",
    via_owner: str | None = None,
) -> PartyHit:
    return PartyHit(
        role=role,
        name_sent="Listed Co",
        party_country="JP",
        list_name=program,
        program=program,
        entry_id=f"{program}-1",
        listed_name="Listed Co",
        score=1.0,
        strength=strength,
        matched="name",
        status=status,
        via_owner=via_owner,
    )


def classifier(
    classes: Sequence[str],
) -> Callable[[EndUse, PartyFacts | None, tuple[PartyFacts, ...]], EndUseFacts]:
    def classify(
        end_use: EndUse, end_user: PartyFacts | None, recipients: tuple[PartyFacts, ...]
    ) -> EndUseFacts:
        declared = bool(end_use.code or end_use.description)
        return EndUseFacts(declared=declared, classes=frozenset(classes) if declared else frozenset())

    return classify


def order(
    lines: Sequence[dict[str, Any]],
    *,
    ship_date: str | None = "2026-03-02",
    destination: str = "DE",
    end_user_country: str | None = None,
    end_use: str | None = "manufacturing of consumer goods",
) -> OrderEvent:
    return OrderEvent.model_validate(
        {
            "order_id": "o-1",
            "event_time": "2026-03-01T09:00:00+00:00",
            "ship_date": ship_date,
            "exporter": {"name": "Exporter Co", "country": "CN"},
            "consignee": {"name": "Consignee Co", "country": destination},
            "end_user": {"name": "End User Co", "country": end_user_country or destination},
            "destination_country": destination,
            "end_use": {"description": end_use} if end_use else {},
            "lines": [
                {
                    "line_id": str(i),
                    "description": f"item {i}",
                    "quantity": 1,
                    "unit": "kg",
                    "value": 100,
                    "currency": "USD",
                    **line,
                }
                for i, line in enumerate(lines, start=1)
            ],
        }
    )


Screen = Callable[..., DecisionRecord]


@pytest.fixture
def screen(china_pack: CompiledPack, products: ProductMaster) -> Screen:
    def run(
        event: OrderEvent,
        *,
        classes: Sequence[str] = ("civil",),
        end_user_categories: Sequence[str] = (),
        hits: Sequence[PartyHit] = (),
        as_of: date | None = None,
    ) -> DecisionRecord:
        enricher = Enricher(
            products=products,
            party_master=FakePartyMaster({"End User Co": frozenset(end_user_categories)}),
            party_screener=FakeScreener(tuple(hits)),
            classify_end_use=classifier(classes),
        )
        return EngineScreener(enricher, china_pack).screen(event, as_of=as_of)

    return run


@pytest.fixture
def pack_path(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str) -> Path:
        path = tmp_path / "pack.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def make_order() -> Callable[..., OrderEvent]:
    return order


@pytest.fixture
def make_hit() -> Callable[..., PartyHit]:
    return hit
