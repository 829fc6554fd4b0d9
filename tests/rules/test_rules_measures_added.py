"""Measures the pack was missing and claims the brief does not support (issue 15, defects section):
No. 61 item (2), No. 62's catch-all, ECL Art. 12's national-security trigger, the Japan measure for
an end use naming Japan with the end user elsewhere, and confidences and citations as the brief has
them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from pipeline.enrichment.enrich import Enricher
from pipeline.enrichment.products import ProductMaster
from pipeline.rules.compiled import CompiledPack
from pipeline.screening import EngineScreener
from schemas.decision import DecisionRecord, Route
from schemas.order import OrderEvent
from tests.rules.conftest import FakePartyMaster, FakeScreener, classifier

Screen = Callable[..., DecisionRecord]
MakeOrder = Callable[..., OrderEvent]

FOREIGN_DIRECT = """
version: test
products:
  - {sku: MAGNET-VN, description: "NdFeB magnet made in Viet Nam with Chinese separation technology",
     hs_code: "8505111000", origin_country: VN, made_with_cn_re_technology: true}
"""


# (as_of, end-use classes, route, outcome of the item (2) rule or None)
FOREIGN_DIRECT_CASES = [
    ("2025-11-30", ("civil",), Route.RELEASE, None),
    ("2026-03-01", ("civil",), Route.RELEASE, "info"),
    ("2026-12-01", ("civil",), Route.LICENSE, "licence_required"),
    ("2026-12-01", ("military",), Route.HOLD, "licence_required"),
]


@pytest.mark.parametrize("case", FOREIGN_DIRECT_CASES)
def test_no61_item_2_foreign_direct_products(
    china_pack: CompiledPack, make_order: MakeOrder, case: tuple[str, tuple[str, ...], Route, str | None]
) -> None:
    as_of, classes, route, outcome = case
    enricher = Enricher(
        products=ProductMaster.parse(FOREIGN_DIRECT, "test"),
        party_master=FakePartyMaster(),
        party_screener=FakeScreener(),
        classify_end_use=classifier(classes),
    )
    decision = EngineScreener(enricher, china_pack).screen(
        make_order([{"sku": "MAGNET-VN"}]), as_of=date.fromisoformat(as_of)
    )
    found = {r.rule_id: r.outcome.value for r in decision.reasons}
    assert decision.route is route, found
    assert found.get("cn-2025-61-foreign-direct-product") == outcome
    if "military" in classes:
        assert found["cn-2025-61-foreign-made-denial"] == "prohibited"


# (name, lines, end-use text, destination, classes, as_of, route, rule id, outcome)
Case = tuple[str, list[dict[str, Any]], str, str, tuple[str, ...], str, Route, str, str]
PUMP = {"hs_code": "8413702990"}
APT = {"control_code": "1C117.d"}
# fmt: off
CASES: list[Case] = [
    ("No. 62 catch-all in force", [PUMP], "pumps for a rare earth separation plant in Malaysia", "MY",
     ("civil",), "2025-10-20", Route.LICENSE, "cn-2025-62-rare-earth-catch-all", "licence_required"),
    ("No. 62 catch-all in Chinese", [PUMP], "用于海外稀土冶炼厂", "MY",
     ("civil",), "2025-10-20", Route.LICENSE, "cn-2025-62-rare-earth-catch-all", "licence_required"),
    ("No. 62 catch-all suspended", [PUMP], "pumps for a rare earth separation plant", "MY",
     ("civil",), "2026-03-01", Route.RELEASE, "cn-2025-62-rare-earth-catch-all", "info"),
    ("No. 62 catch-all after the suspension", [PUMP], "NdFeB magnet production line", "VN",
     ("civil",), "2026-12-01", Route.LICENSE, "cn-2025-62-rare-earth-catch-all", "licence_required"),
    ("national security trigger", [PUMP], "state security surveillance programme", "DE",
     ("civil",), "2025-03-01", Route.HOLD, "cn-ecl-12-catch-all-national-security", "review"),
    ("Japan capability, end user in Singapore", [APT], "to enhance Japan's military capability", "SG",
     ("military_capability",), "2026-03-01", Route.HOLD, "cn-2026-1-japan-military-end-use-elsewhere",
     "prohibited"),
    ("Japan forces named in Japanese", [APT], "自衛隊向け装備の部品", "TH",
     ("military",), "2026-03-01", Route.HOLD, "cn-2026-1-japan-military-end-use-elsewhere", "prohibited"),
    ("military policy review from the Regulations", [PUMP], "navy", "DE",
     ("military",), "2024-12-01", Route.HOLD, "cn-ecl-12-catch-all-military", "review"),
]
# fmt: on


@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in CASES])
def test_added_measures(screen: Screen, make_order: MakeOrder, case: Case) -> None:
    _, lines, text, destination, classes, as_of, route, rule_id, outcome = case
    decision = screen(
        make_order(lines, destination=destination, end_use=text),
        classes=classes,
        as_of=date.fromisoformat(as_of),
    )
    found = {r.rule_id: r.outcome.value for r in decision.reasons}
    assert decision.route is route, found
    assert found.get(rule_id) == outcome, found


def test_the_japan_measure_does_not_fire_before_it_took_effect(screen: Screen, make_order: MakeOrder) -> None:
    decision = screen(
        make_order([APT], destination="SG", end_use="to enhance Japan's military capability"),
        classes=("military_capability",),
        as_of=date(2026, 1, 5),
    )
    assert all(not r.rule_id.startswith("cn-2026-1-japan") for r in decision.reasons)


def test_claims_carry_the_briefs_confidence_and_source(china_pack: CompiledPack) -> None:
    military = china_pack.rule("cn-ecl-12-catch-all-military")
    assert military.effective_from == date(2024, 12, 1)
    assert "policy" in military.citation.authority.casefold()
    assert china_pack.rule("cn-ecl-12-catch-all-wmd-terrorism").confidence == "medium"
    assert china_pack.rule("cn-2025-18-tb-dy-lu-sc-y").confidence == "low"
    for rule_id in ("cn-tech-2025-28-removed-085001j", "cn-tech-2025-28-removed-085001x-085002x"):
        assert "2025 No. 28" in china_pack.rule(rule_id).citation.instrument
    examples_2023 = [
        line.tech_entry
        for rule in china_pack.model.rules
        if rule.id.startswith("cn-tech-2023")
        for example in rule.examples
        for line in example.lines
    ]
    assert "053302J" not in examples_2023
