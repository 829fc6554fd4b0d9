"""Properties of evaluation over generated orders: deterministic, fail-closed, never raising."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.decisions.route import route_of
from pipeline.enrichment.enriched import EndUseFacts, EnrichedOrder, LineFacts, PartyFacts
from pipeline.rules.compiled import CompiledPack
from pipeline.rules.engine import evaluate
from pipeline.rules.examples import example_order
from pipeline.rules.findings import MISSING_END_USE, UNCLASSIFIED_LINE
from pipeline.rules.loader import load_pack
from pipeline.settings import BUNDLED_DATA
from schemas.decision import Route
from schemas.rulepack import Example

PACK: CompiledPack = load_pack(BUNDLED_DATA / "rules" / "china.yaml")
BASE = example_order(
    Example.model_validate({"name": "p", "as_of": "2026-01-01", "lines": [{}], "expect": "info"})
)

codes = st.sampled_from(["1C902.a", "1C909.b", "3A001", "1E902.a", "2B902.c", "1A225", "6C001.c", "9A012"])
hs = st.from_regex(r"\A(2805301[0-9]{3}|8112929010|2504101000|9403[0-9]{6}|85076000)\Z")
tech = st.from_regex(r"\A[0-9]{6}[JX]\Z")
lines = st.builds(
    lambda i, code, hs_code, entry, origin, share: LineFacts(
        line_id=str(i),
        description="generated",
        control_codes=(code,) if code else (),
        hs_code=hs_code,
        tech_entry=entry,
        origin_country=origin,
        cn_rare_earth_share=share,
        quantity=1.0,
        unit="kg",
        value=1.0,
        currency="USD",
        classified=bool(code or hs_code or entry),
    ),
    st.integers(1, 999),
    st.none() | codes,
    st.none() | hs,
    st.none() | tech,
    st.sampled_from([None, "CN", "DE"]),
    st.none() | st.floats(0, 1),
)
orders = st.builds(
    lambda ls, as_of, country, classes, declared: EnrichedOrder(
        order=BASE.order,
        as_of=as_of,
        lines=tuple(ls),
        parties=(PartyFacts("end_user", "U", country, categories=frozenset(classes[:1])),),
        end_use=EndUseFacts(declared=declared, classes=frozenset(classes) if declared else frozenset()),
    ),
    st.lists(lines, min_size=1, max_size=6),
    st.dates(date(2023, 1, 1), date(2028, 12, 31)),
    st.sampled_from(["DE", "US", "JP", "SG"]),
    st.lists(st.sampled_from(["military", "civil", "humanitarian.medical", "wmd.nuclear"]), max_size=2),
    st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(orders)
def test_evaluation_is_deterministic_and_fails_closed(order: EnrichedOrder) -> None:
    findings = evaluate(order, PACK)
    assert findings == evaluate(order, PACK)
    for line in order.lines:
        line_rules = {f.rule_id for f in findings if f.line_id == line.line_id}
        if not line.classified:
            assert UNCLASSIFIED_LINE in line_rules
            assert route_of(findings) is Route.HOLD
        if line.control_codes and not order.end_use.declared:
            assert MISSING_END_USE in line_rules
