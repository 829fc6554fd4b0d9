"""Remembered line plans: an order screened after others with the same lines, date regime and
context gets exactly the findings a fresh pack gives it, with its own line ids and date."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from pipeline.enrichment.enrich import Enricher
from pipeline.enrichment.products import ProductMaster
from pipeline.rules.engine import evaluate
from pipeline.rules.loader import load_pack
from pipeline.settings import BUNDLED_DATA
from schemas.order import OrderEvent
from tests.rules.conftest import FakePartyMaster, FakeScreener, classifier

LINES: list[dict[str, Any]] = [
    {"control_code": "1E902.a"},
    {"sku": "SERVO-NDFEB-DE"},
    {"hs_code": "2931900032", "description": "precursor"},
    {"sku": "OFFICE-CHAIR"},
]


def _findings(order: OrderEvent, as_of: date, pack_fresh: bool) -> list[tuple[object, ...]]:
    pack = load_pack(BUNDLED_DATA / "rules" / "china.yaml") if pack_fresh else _SHARED
    enricher = Enricher(
        products=ProductMaster.load(BUNDLED_DATA / "master" / "products.yaml"),
        party_master=FakePartyMaster(),
        party_screener=FakeScreener(),
        classify_end_use=classifier(("civil",)),
    )
    found = evaluate(enricher.enrich(order, as_of=as_of), pack)
    return [(f.rule_id, f.outcome, f.line_id, f.explanation, f.evidence, f.confidence) for f in found]


_SHARED = load_pack(BUNDLED_DATA / "rules" / "china.yaml")


def test_a_remembered_plan_gives_the_fresh_findings(make_order: Callable[..., OrderEvent]) -> None:
    first = make_order(LINES)
    _findings(first, date(2026, 12, 1), pack_fresh=False)
    second = make_order(LINES).model_copy(
        update={"lines": [line.model_copy(update={"line_id": f"L{n}"}) for n, line in enumerate(first.lines)]}
    )
    remembered = _findings(second, date(2026, 12, 2), pack_fresh=False)
    fresh = _findings(second, date(2026, 12, 2), pack_fresh=True)
    assert remembered == fresh
    assert {f[2] for f in remembered} == {"L0", "L1", "L2"}
    assert all("2026-12-02" in str(f[3]) for f in remembered)
