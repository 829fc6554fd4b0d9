"""Table-driven scenarios for each measure of the China pack, through enrichment, engine and decision."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from schemas.decision import DecisionRecord, Route
from schemas.order import OrderEvent

Outcomes = dict[str, str]

# (name, lines, as_of, order options, screen options, expected route, {rule id: outcome} that must appear)
# fmt: off
Case = tuple[str, list[dict[str, Any]], str, dict[str, Any], dict[str, Any], Route, Outcomes]
CASES: list[Case] = [
    # gallium and germanium, 2023 No. 23
    ("gallium before 2023-08-01", [{"hs_code": "8112929010"}], "2023-07-31", {}, {}, Route.RELEASE, {}),
    ("gallium from 2023-08-01", [{"hs_code": "8112929010"}], "2023-08-01",
     {}, {}, Route.LICENSE, {"cn-2023-23-gallium": "licence_required"}),
    ("gallium disputed printed code", [{"hs_code": "8110929010"}], "2024-02-01",
     {}, {}, Route.LICENSE, {"cn-2023-23-gallium-disputed-code": "licence_required"}),
    ("germanium via product master", [{"sku": "GE-DIOXIDE"}], "2024-02-01",
     {}, {}, Route.LICENSE, {"cn-2023-23-germanium": "licence_required"}),
    # graphite 2023 No. 39; antimony and superhard 2024 No. 33; aerospace 2024 No. 21
    ("graphite before", [{"hs_code": "2504101000"}], "2023-11-30", {}, {}, Route.RELEASE, {}),
    ("graphite after", [{"hs_code": "2504101000"}], "2023-12-01",
     {}, {}, Route.LICENSE, {"cn-2023-39-graphite": "licence_required"}),
    ("antimony before", [{"sku": "SB-INGOT"}], "2024-09-14", {}, {}, Route.RELEASE, {}),
    ("antimony after", [{"sku": "SB-INGOT"}], "2024-09-15",
     {}, {}, Route.LICENSE, {"cn-2024-33-antimony": "licence_required"}),
    ("superhard MPCVD", [{"sku": "MPCVD-915"}], "2024-10-01",
     {}, {}, Route.LICENSE, {"cn-2024-33-superhard": "licence_required"}),
    ("aerospace furnace before", [{"hs_code": "8454301010"}], "2024-06-30", {}, {}, Route.RELEASE, {}),
    ("aerospace furnace after", [{"hs_code": "8454301010"}], "2024-07-01",
     {}, {}, Route.LICENSE, {"cn-2024-21-aerospace-tooling": "licence_required"}),
    # W/Te/Bi/Mo/In 2025 No. 10, sub-paragraph semantics
    ("tungsten before: a rule naming the code governs", [{"control_code": "1C117.d"}], "2025-02-03",
     {}, {}, Route.RELEASE, {}),
    ("tungsten after", [{"control_code": "1C117.d"}], "2025-02-04",
     {}, {}, Route.LICENSE, {"cn-2025-10-tungsten": "licence_required"}),
    ("bismuth sub-paragraph", [{"control_code": "6C001.c"}], "2025-03-01",
     {}, {}, Route.LICENSE, {"cn-2025-10-bismuth": "licence_required"}),
    ("molybdenum 1C117.a is not 1C117.b", [{"control_code": "1C117.a"}], "2025-03-01",
     {}, {}, Route.LICENSE, {"cn-2024-51-dual-use-list": "licence_required"}),
    # seven rare earths 2025 No. 18: not suspended by No. 70, no humanitarian exemption
    ("samarium before", [{"sku": "SMCO-MAGNET-2-17"}], "2025-04-03", {}, {}, Route.RELEASE, {}),
    ("samarium during No. 70 window", [{"sku": "SMCO-MAGNET-2-17"}], "2026-01-15",
     {}, {}, Route.LICENSE, {"cn-2025-18-samarium-gadolinium": "licence_required"}),
    ("samarium humanitarian: no exemption", [{"sku": "SMCO-MAGNET-2-17"}], "2026-01-15",
     {}, {"classes": ["humanitarian.medical"]}, Route.LICENSE,
     {"cn-2025-18-samarium-gadolinium": "licence_required"}),
    # October 2025 package and No. 70
    ("holmium before effective", [{"sku": "HO-TARGET"}], "2025-11-06", {}, {}, Route.RELEASE, {}),
    ("holmium during suspension", [{"sku": "HO-TARGET"}], "2026-11-10",
     {}, {}, Route.RELEASE, {"cn-2025-57-rare-earths": "info"}),
    ("holmium after suspension lapses", [{"sku": "HO-TARGET"}], "2026-11-11",
     {}, {}, Route.LICENSE, {"cn-2025-57-rare-earths": "licence_required"}),
    ("RE equipment during suspension", [{"sku": "RE-SEP-CENTRIFUGE"}], "2026-05-01",
     {}, {}, Route.RELEASE, {"cn-2025-56-rare-earth-equipment": "info"}),
    ("battery cell after suspension", [{"sku": "LI-CELL-320WH"}], "2026-12-01",
     {}, {}, Route.LICENSE, {"cn-2025-58-batteries": "licence_required"}),
    ("battery tariff line alone holds", [{"hs_code": "8507600090"}], "2026-12-01",
     {}, {}, Route.HOLD, {"cn-2025-58-batteries": "review"}),
    # The technology catalogue prohibits rare-earth magnet technology on its own (issue 15, class 4):
    # the strictest measure decides, also while No. 62 is suspended.
    ("RE technology before No. 70", [{"sku": "RE-MAGNET-TECH-PKG"}], "2025-10-20",
     {}, {}, Route.HOLD, {"cn-2025-62-rare-earth-technology": "licence_required",
                          "cn-tech-2023-57-rare-earth-prohibited": "prohibited"}),
    ("RE technology during No. 70", [{"sku": "RE-MAGNET-TECH-PKG"}], "2025-12-20",
     {}, {}, Route.HOLD, {"cn-2025-62-rare-earth-technology": "info",
                          "cn-tech-2023-57-rare-earth-prohibited": "prohibited"}),
    ("superhard No. 55 proxy after lapse", [{"hs_code": "7105102000"}], "2026-11-11",
     {}, {}, Route.HOLD, {"cn-2025-55-superhard": "review"}),
    # No. 61 foreign-made rare-earth rule and its humanitarian exemption
    ("foreign-made during suspension", [{"sku": "SERVO-NDFEB-DE"}], "2026-03-01",
     {}, {}, Route.RELEASE, {"cn-2025-61-foreign-made-rare-earth": "info"}),
    ("foreign-made after suspension", [{"sku": "SERVO-NDFEB-DE"}], "2026-11-11",
     {}, {}, Route.LICENSE, {"cn-2025-61-foreign-made-rare-earth": "licence_required"}),
    ("foreign-made below 0.1 %", [{"sku": "SENSOR-JP-RE"}], "2026-11-11", {}, {}, Route.RELEASE, {}),
    # The sources disagree whether the exemption waives the licence: review, never release (issue 15).
    ("foreign-made humanitarian exemption disputed", [{"sku": "SERVO-NDFEB-DE"}], "2026-11-11",
     {}, {"classes": ["humanitarian.disaster_relief"]}, Route.HOLD,
     {"cn-2025-61-foreign-made-rare-earth": "review"}),
    ("foreign-made military end use", [{"sku": "SERVO-NDFEB-DE"}], "2026-11-11",
     {}, {"classes": ["military"]}, Route.HOLD, {"cn-2025-61-foreign-made-denial": "prohibited"}),
    # technology catalogue, including removed entries
    ("prohibited tech entry", [{"tech_entry": "086501J"}], "2024-03-01",
     {}, {}, Route.HOLD, {"cn-tech-2023-57-prohibited": "prohibited"}),
    ("2008-numbered entry under the 2020 catalogue", [{"tech_entry": "053302J"}], "2022-03-01",
     {}, {}, Route.HOLD, {"cn-tech-2020-38-prohibited": "prohibited"}),
    ("restricted tech entry", [{"sku": "UAV-FC-SOURCE"}], "2024-03-01",
     {}, {}, Route.LICENSE, {"cn-tech-2023-57-restricted": "licence_required"}),
    ("removed entry before removal", [{"tech_entry": "085001J"}], "2025-07-14",
     {}, {}, Route.HOLD, {"cn-tech-2025-28-removed-085001j": "prohibited"}),
    ("removed entry after removal", [{"tech_entry": "085001J"}], "2025-07-15", {}, {}, Route.RELEASE, {}),
    ("added entry before addition", [{"tech_entry": "252604X"}], "2025-07-14", {}, {}, Route.RELEASE, {}),
    ("added entry after addition", [{"tech_entry": "252604X"}], "2025-07-15",
     {}, {}, Route.LICENSE, {"cn-tech-2025-28-battery-cathode": "licence_required"}),
    # United States 2024 No. 46
    ("US military user", [{"sku": "APT-885"}], "2026-02-01",
     {"destination": "US"}, {"end_user_categories": ["military"]}, Route.HOLD,
     {"cn-2024-46-us-military": "prohibited"}),
    ("US germanium before suspension", [{"sku": "GE-DIOXIDE"}], "2025-11-08",
     {"destination": "US"}, {}, Route.HOLD, {"cn-2024-46-us-critical-minerals": "prohibited"}),
    ("US germanium during suspension", [{"sku": "GE-DIOXIDE"}], "2025-11-09",
     {"destination": "US"}, {}, Route.LICENSE,
     {"cn-2024-46-us-critical-minerals": "info", "cn-2023-23-germanium": "licence_required"}),
    ("US germanium after suspension", [{"sku": "GE-DIOXIDE"}], "2026-11-28",
     {"destination": "US"}, {}, Route.HOLD, {"cn-2024-46-us-critical-minerals": "prohibited"}),
    ("US graphite review", [{"sku": "GRAPHITE-FLAKE-195"}], "2025-01-10",
     {"destination": "US"}, {}, Route.HOLD, {"cn-2024-46-us-graphite": "review"}),
    # Japan 2026 No. 1
    ("Japanese military end user via Singapore consignee", [{"sku": "APT-885"}], "2026-03-01",
     {"destination": "SG", "end_user_country": "JP"}, {"end_user_categories": ["military"]}, Route.HOLD,
     {"cn-2026-1-japan-military": "prohibited"}),
    ("Japan military use before the measure", [{"sku": "APT-885"}], "2026-01-05",
     {"destination": "JP"}, {"classes": ["military"]}, Route.HOLD,
     {"cn-ecl-12-catch-all-military": "review"}),
    ("Japan capability enhancement", [{"sku": "INP-WAFER"}], "2026-02-01",
     {"destination": "JP"}, {"classes": ["military_capability"]}, Route.HOLD,
     {"cn-2026-1-japan-military": "prohibited"}),
    ("Japan civil end use", [{"sku": "INP-WAFER"}], "2026-02-01",
     {"destination": "JP"}, {}, Route.LICENSE, {"cn-2025-10-indium": "licence_required"}),
    # catch-all
    ("WMD end use of an unlisted item", [{"sku": "BEARING-6204"}], "2025-03-01",
     {}, {"classes": ["wmd.missile"]}, Route.HOLD, {"cn-ecl-12-catch-all-wmd-terrorism": "prohibited"}),
    # fail closed
    ("unclassified line", [{"description": "spare parts"}], "2026-03-01",
     {}, {}, Route.HOLD, {"pipeline.unclassified-line": "review"}),
    ("non-controlled SKU is classified", [{"sku": "PACKING-SERVICE"}], "2026-03-01",
     {}, {}, Route.RELEASE, {}),
    ("controlled line without end use", [{"sku": "APT-885"}], "2026-03-01",
     {"end_use": None}, {}, Route.HOLD, {"pipeline.missing-end-use": "review"}),
    ("uncontrolled line without end use", [{"sku": "OFFICE-CHAIR"}], "2026-03-01",
     {"end_use": None}, {}, Route.RELEASE, {}),
]
# fmt: on


def _outcomes(decision: DecisionRecord) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for reason in decision.reasons:
        found.setdefault(reason.rule_id, set()).add(reason.outcome.value)
    return found


@pytest.mark.parametrize("case", [pytest.param(case, id=case[0]) for case in CASES])
def test_measure_scenarios(
    screen: Callable[..., DecisionRecord], make_order: Callable[..., OrderEvent], case: Case
) -> None:
    _, lines, as_of, order_options, screen_options, route, expected = case
    decision = screen(make_order(lines, **order_options), as_of=date.fromisoformat(as_of), **screen_options)
    found = _outcomes(decision)
    assert decision.route is route, [r.explanation for r in decision.reasons]
    for rule_id, outcome in expected.items():
        assert outcome in found.get(rule_id, set()), (rule_id, found)
    if not expected:
        assert {o for outcomes in found.values() for o in outcomes} <= {"info"}, found
