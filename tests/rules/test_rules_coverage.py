"""Coverage from rules in force, at the precision each measure states, and overlapping measures
(issue 15, classes 2 and 4): the umbrella list rule never loses a line to a measure that is not in
force, reference and shared customs codes never decide alone, and the strictest measure decides."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from pipeline.rules.compiled import CompiledPack
from pipeline.rules.matching import line_matches
from schemas.decision import DecisionRecord, Route
from schemas.order import OrderEvent
from tests.rules.test_rules_indexes import facts

Screen = Callable[..., DecisionRecord]
MakeOrder = Callable[..., OrderEvent]
UMBRELLA = "cn-2024-51-dual-use-list"
NO58 = "cn-2025-58-batteries"
NO62 = "cn-2025-62-rare-earth-technology"
RE_TECH = "cn-tech-2023-57-rare-earth-prohibited"
CELL = {"control_code": "3A001", "description": "Li-ion cell 320 Wh/kg"}
CHIP = {"control_code": "3A001.a.1", "description": "rad-hard IC"}

# (name, line, as_of, end-use classes, route, {rule id: outcome} that must appear, rule ids that must not)
Case = tuple[str, dict[str, Any], str, tuple[str, ...], Route, dict[str, str], tuple[str, ...]]
# fmt: off
CASES: list[Case] = [
    # No. 58 covers Li-ion cells >= 300 Wh/kg under 3A001, not 3A001: the list covers 3A001 anyway.
    ("Li-ion cell before No. 58", CELL,
     "2025-06-01", ("civil",), Route.LICENSE, {UMBRELLA: "licence_required"}, (NO58,)),
    ("Li-ion cell while No. 58 is suspended", CELL,
     "2026-03-01", ("civil",), Route.LICENSE, {UMBRELLA: "licence_required", NO58: "info"}, ()),
    ("Li-ion cell after No. 58 resumes", {"control_code": "3A001", "description": "锂离子电芯 320Wh/kg"},
     "2026-12-01", ("civil",), Route.LICENSE, {UMBRELLA: "licence_required", NO58: "licence_required"}, ()),
    ("3A001 electronics while No. 58 is suspended", CHIP,
     "2026-03-01", ("civil",), Route.LICENSE, {UMBRELLA: "licence_required"}, (NO58,)),
    ("3A001 electronics after No. 58 resumes", CHIP,
     "2026-12-01", ("civil",), Route.LICENSE, {UMBRELLA: "licence_required"}, (NO58,)),
    # Codes a measure puts on the list are not on it while the measure is suspended or not yet in force.
    ("holmium while No. 57 is suspended", {"control_code": "1C909.a"}, "2026-03-01", ("civil",),
     Route.RELEASE, {"cn-2025-57-rare-earths": "info"}, (UMBRELLA,)),
    ("samarium before No. 18", {"control_code": "1C902.a"}, "2025-04-03", ("civil",), Route.RELEASE, {},
     (UMBRELLA,)),
    ("samarium under No. 18, not twice", {"control_code": "1C902.a"}, "2025-05-01", ("civil",),
     Route.LICENSE, {"cn-2025-18-samarium-gadolinium": "licence_required"}, (UMBRELLA,)),
    ("unowned list code", {"control_code": "1A225"}, "2025-05-01", ("civil",), Route.LICENSE,
     {UMBRELLA: "licence_required"}, ()),
    # 28053019 (No. 57) is a reference prefix; 2805301910 is printed for Sm/Gd/Lu metals of No. 18.
    ("samarium metal after No. 57 resumes", {"hs_code": "2805301910"}, "2026-12-01", ("civil",),
     Route.LICENSE, {"cn-2025-18-samarium-gadolinium": "licence_required"}, ("cn-2025-57-rare-earths",)),
    ("other rare-earth metal under the reference prefix", {"hs_code": "2805301990"}, "2026-12-01",
     ("civil",), Route.HOLD, {"cn-2025-57-rare-earths": "review"}, ()),
    ("reference prefix does not apply while suspended", {"hs_code": "2805301990"}, "2026-03-01",
     ("civil",), Route.RELEASE, {"cn-2025-57-rare-earths": "info"}, ()),
    # Overlap: No. 62 and the catalogue on a 1E902 line; the strictest (prohibited) decides.
    ("1E902 after No. 70 ends", {"control_code": "1E902.a"}, "2026-12-01", ("civil",), Route.HOLD,
     {NO62: "licence_required", RE_TECH: "prohibited"}, (UMBRELLA,)),
    ("1E902 while No. 62 is suspended", {"control_code": "1E902.b"}, "2026-03-01", ("civil",), Route.HOLD,
     {NO62: "info", RE_TECH: "prohibited"}, (UMBRELLA,)),
]
# fmt: on


@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in CASES])
def test_coverage_comes_from_rules_in_force(screen: Screen, make_order: MakeOrder, case: Case) -> None:
    _, line, as_of, classes, route, expected, absent = case
    decision = screen(make_order([line]), classes=classes, as_of=date.fromisoformat(as_of))
    found: dict[str, set[str]] = {}
    for reason in decision.reasons:
        found.setdefault(reason.rule_id, set()).add(reason.outcome.value)
    assert decision.route is route, [r.explanation for r in decision.reasons]
    for rule_id, outcome in expected.items():
        assert outcome in found.get(rule_id, set()), (rule_id, found)
    for rule_id in absent:
        assert rule_id not in found, (rule_id, found)


def test_a_suspended_measure_never_removes_a_line_from_the_umbrella(china_pack: CompiledPack) -> None:
    """The class, not the case: for every shared control code of every measure, a line with that
    code is under the umbrella rule on every date of the measure's suspension."""
    shared = [(rule, code) for rule in china_pack.model.rules for code in rule.scope.shared_control_codes]
    assert shared, "the pack declares no shared control code"
    for rule, code in shared:
        compiled = china_pack.rule(rule.id)
        for suspension in compiled.suspensions:
            for day in (max(suspension.start, compiled.effective_from), suspension.end):
                states = china_pack.states_on(day).states
                assert states[compiled.index][0] == "suspended", (rule.id, day)
                assert states[china_pack.rule(UMBRELLA).index][0] == "active"
        assert line_matches(china_pack, facts(control_codes=(code,), description="x")).umbrella, code


def test_each_finding_names_the_measures_it_overlaps(screen: Screen, make_order: MakeOrder) -> None:
    decision = screen(make_order([{"control_code": "1E902.a"}]), as_of=date(2026, 12, 1))
    by_rule = {r.rule_id: r for r in decision.reasons}
    catalogue = by_rule["cn-tech-2023-57-rare-earth-prohibited"]
    no62 = by_rule["cn-2025-62-rare-earth-technology"]
    assert "cn-2025-62-rare-earth-technology (licence_required)" in catalogue.evidence["overlapping_measures"]
    assert "cn-tech-2023-57-rare-earth-prohibited (prohibited)" in no62.evidence["overlapping_measures"]
    assert decision.route is Route.HOLD


def test_a_line_under_one_measure_names_no_overlap(screen: Screen, make_order: MakeOrder) -> None:
    decision = screen(make_order([{"control_code": "1C902.a"}]), as_of=date(2025, 6, 1))
    assert Counter(r.rule_id for r in decision.reasons) == Counter({"cn-2025-18-samarium-gadolinium": 1})
    assert "overlapping_measures" not in decision.reasons[0].evidence
