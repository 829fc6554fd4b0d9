"""Customs codes printed for several items are reference only (issue 15): resolved by control code
or description, or the line goes to review; never inherited by a rule that covers other items."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from pipeline.rules.compiled import CompiledPack
from schemas.decision import DecisionRecord, Route
from schemas.order import OrderEvent

Screen = Callable[..., DecisionRecord]
MakeOrder = Callable[..., OrderEvent]
US_CLAUSE_2 = "cn-2024-46-us-critical-minerals"
SHARED = "2931900032"


def test_every_code_printed_by_several_rules_is_known_as_shared(china_pack: CompiledPack) -> None:
    """The class: recomputed from the pack's own data, not from a list kept by hand."""
    printed: dict[str, set[str]] = defaultdict(set)
    for rule in china_pack.model.rules:
        for code in rule.scope.hs_codes:
            printed[code].add(rule.id)
    expected = {code: ids for code, ids in printed.items() if len(ids) > 1}
    assert SHARED in expected
    got = {code: {china_pack.rules[i].id for i in ids} for code, ids in china_pack.hs_shared.items()}
    assert got == expected


def test_every_rule_printing_a_shared_code_can_resolve_it_by_description(china_pack: CompiledPack) -> None:
    for indexes in china_pack.hs_shared.values():
        for index in indexes:
            assert china_pack.rules[index].item_terms, china_pack.rules[index].id


# (name, line, destination, as_of, route, rules that must decide, rules that must be absent)
Case = tuple[str, dict[str, Any], str, str, Route, dict[str, str], tuple[str, ...]]
# fmt: off
CASES: list[Case] = [
    ("trimethylindium to the US by description", {"hs_code": SHARED, "description": "Trimethylindium 6N"},
     "US", "2025-06-01", Route.LICENSE, {"cn-2025-10-indium": "licence_required"},
     (US_CLAUSE_2, "cn-2024-33-antimony", "cn-2025-10-bismuth")),
    ("triethylindium to the US by control code", {"hs_code": SHARED, "control_code": "3C004.c"},
     "US", "2025-06-01", Route.LICENSE, {"cn-2025-10-indium": "licence_required"},
     (US_CLAUSE_2, "cn-2024-33-antimony")),
    ("triphenylbismuth in Japanese", {"hs_code": SHARED, "description": "トリフェニルビスマス"},
     "DE", "2025-06-01", Route.LICENSE, {"cn-2025-10-bismuth": "licence_required"},
     ("cn-2024-33-antimony", "cn-2025-10-indium")),
    ("organo-antimony to the US", {"hs_code": SHARED, "description": "trimethylantimony 99.9999 %"},
     "US", "2025-06-01", Route.HOLD, {US_CLAUSE_2: "prohibited", "cn-2024-33-antimony": "licence_required"},
     ("cn-2025-10-indium",)),
    ("unresolved shared code", {"hs_code": SHARED, "description": "MOCVD precursor"},
     "DE", "2025-06-01", Route.HOLD,
     {"cn-2024-33-antimony": "review", "cn-2025-10-bismuth": "review", "cn-2025-10-indium": "review"}, ()),
    ("unresolved shared code to the US", {"hs_code": SHARED, "description": "MOCVD precursor"},
     "US", "2025-06-01", Route.HOLD, {US_CLAUSE_2: "review"}, ()),
    ("control code naming none of the items", {"hs_code": SHARED, "control_code": "1C117.d"},
     "DE", "2025-06-01", Route.HOLD, {"cn-2024-33-antimony": "review"}, ()),
]
# fmt: on


@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in CASES])
def test_shared_codes_resolve_or_hold(screen: Screen, make_order: MakeOrder, case: Case) -> None:
    _, line, destination, as_of, route, expected, absent = case
    decision = screen(make_order([line], destination=destination), as_of=date.fromisoformat(as_of))
    found: dict[str, set[str]] = {}
    for reason in decision.reasons:
        found.setdefault(reason.rule_id, set()).add(reason.outcome.value)
    assert decision.route is route, [r.explanation for r in decision.reasons]
    for rule_id, outcome in expected.items():
        assert outcome in found.get(rule_id, set()), (rule_id, found)
    for rule_id in absent:
        assert rule_id not in found, (rule_id, found)


def test_an_unresolved_shared_code_says_why_it_holds(screen: Screen, make_order: MakeOrder) -> None:
    decision = screen(make_order([{"hs_code": SHARED, "description": "precursor"}]), as_of=date(2025, 6, 1))
    reason = next(r for r in decision.reasons if r.rule_id == "cn-2025-10-indium")
    assert "printed for several items" in reason.explanation
    assert "cn-2024-33-antimony" in reason.evidence["matched"]
