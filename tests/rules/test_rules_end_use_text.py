"""End-use texts read by the real classifier, decided by the bundled pack (issue 15, evaluation
classes): trading words on a controlled line go to review, defence buyers behind a civil distributor
are a military end use, style words are not."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.enrichment.end_use import classify_end_use
from pipeline.enrichment.enrich import Enricher
from pipeline.enrichment.products import ProductMaster
from pipeline.rules.compiled import CompiledPack
from pipeline.screening import EngineScreener
from schemas.decision import Route
from schemas.order import OrderEvent
from tests.rules.conftest import FakePartyMaster, FakeScreener, order

UNRECOGNISED_RULE = "cn-policy-unrecognised-end-use-controlled"
SAMARIUM_METAL = {"control_code": "1C902.a", "description": "Samarium metal"}
OFFICE_CHAIR = {"hs_code": "94013100", "description": "Office chair"}

# (end-use text, line, destination, route, rules that must be among the reasons)
Case = tuple[str, dict[str, str], str, Route, set[str]]
# fmt: off
CASES: list[Case] = [
    ("General trading stock", SAMARIUM_METAL, "DE", Route.HOLD, {UNRECOGNISED_RULE}),
    ("一般贸易备货", SAMARIUM_METAL, "DE", Route.HOLD, {UNRECOGNISED_RULE}),
    ("在庫用", SAMARIUM_METAL, "DE", Route.HOLD, {UNRECOGNISED_RULE}),
    ("転売", SAMARIUM_METAL, "DE", Route.HOLD, {UNRECOGNISED_RULE}),
    ("for resale", OFFICE_CHAIR, "DE", Route.RELEASE, set()),
    ("for resale to automotive manufacturers", SAMARIUM_METAL, "DE", Route.LICENSE, set()),
    ("resale by our distributor to the U.S. Department of Defense", SAMARIUM_METAL, "US", Route.HOLD,
     {"cn-2024-46-us-military"}),
    ("resale by our distributor to the U.S. Department of Defense", SAMARIUM_METAL, "DE", Route.HOLD,
     {"cn-2024-46-us-military-end-use-elsewhere", "cn-ecl-12-catch-all-military"}),
    ("经销商转售给防衛省", SAMARIUM_METAL, "SG", Route.HOLD, {"cn-2026-1-japan-military-end-use-elsewhere"}),
    ("delivery to the armed forces", SAMARIUM_METAL, "DE", Route.HOLD, {"cn-ecl-12-catch-all-military"}),
    ("army-style jackets manufacturing", SAMARIUM_METAL, "DE", Route.LICENSE, set()),
    ("military green paint production", SAMARIUM_METAL, "US", Route.LICENSE, set()),
    ("军绿色服装生产", SAMARIUM_METAL, "DE", Route.LICENSE, set()),
]
# fmt: on


@pytest.mark.parametrize("case", CASES)
def test_end_use_text_decides_as_an_analyst_would(
    china_pack: CompiledPack, products: ProductMaster, case: Case
) -> None:
    text, line, destination, route, rules = case
    enricher = Enricher(
        products=products,
        party_master=FakePartyMaster(),
        party_screener=FakeScreener(),
        classify_end_use=classify_end_use,
    )
    event: OrderEvent = order([line], destination=destination, end_use=text)
    decision = EngineScreener(enricher, china_pack).screen(event, as_of=date(2026, 3, 2))
    found = {reason.rule_id for reason in decision.reasons}
    assert decision.route is route, [r.explanation for r in decision.reasons]
    assert rules <= found, found
