"""What each party list does to an order, by program, match strength and list status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pipeline.enrichment.enriched import PartyHit
from schemas.decision import DecisionRecord, Route
from schemas.order import OrderEvent

DUAL_USE = {"sku": "APT-885"}
PLAIN = {"sku": "OFFICE-CHAIR"}

# (case, line, hit options, route, rule id that must appear with outcome, or None when nothing applies)
CASES: list[tuple[str, dict[str, Any], dict[str, str], Route, tuple[str, str] | None]] = [
    (
        "subsidiary of an ECL entity is reviewed, not banned",
        DUAL_USE,
        {"program": "CN-ECL", "via_owner": "Listed Parent Corp"},
        Route.HOLD,
        ("cn-party-owned-by-listed", "review"),
    ),
    (
        "ECL dual-use prohibited",
        DUAL_USE,
        {"program": "CN-ECL"},
        Route.HOLD,
        ("cn-party-ecl-dual-use", "prohibited"),
    ),
    (
        "ECL other item held for review",
        PLAIN,
        {"program": "CN-ECL"},
        Route.HOLD,
        ("cn-party-ecl-other-items", "review"),
    ),
    (
        "ECL suspended listing needs a licence",
        DUAL_USE,
        {"program": "CN-ECL", "status": "suspended"},
        Route.LICENSE,
        ("cn-party-ecl-suspended", "licence_required"),
    ),
    (
        "ECL stopped listing has no effect",
        PLAIN,
        {"program": "CN-ECL", "status": "stopped"},
        Route.RELEASE,
        None,
    ),
    (
        "Watch List: single licence only",
        DUAL_USE,
        {"program": "CN-ECWL"},
        Route.LICENSE,
        ("cn-party-ecwl", "licence_required"),
    ),
    ("Watch List: plain item passes", PLAIN, {"program": "CN-ECWL"}, Route.RELEASE, None),
    (
        "UEL bans any trade",
        PLAIN,
        {"program": "CN-UEL", "role": "consignee"},
        Route.HOLD,
        ("cn-party-uel", "prohibited"),
    ),
    (
        "UEL suspended is reviewed",
        PLAIN,
        {"program": "CN-UEL", "status": "suspended"},
        Route.HOLD,
        ("cn-party-uel-suspended", "review"),
    ),
    (
        "countermeasures ban any trade",
        PLAIN,
        {"program": "CN-CML", "role": "intermediary:agent"},
        Route.HOLD,
        ("cn-party-countermeasures", "prohibited"),
    ),
    (
        "cancelled countermeasure has no effect",
        PLAIN,
        {"program": "CN-CML", "status": "cancelled"},
        Route.RELEASE,
        None,
    ),
    (
        "potential match holds",
        PLAIN,
        {"program": "CN-ECWL", "strength": "potential"},
        Route.HOLD,
        ("cn-party-potential-match", "review"),
    ),
    (
        "exporter on a list is not a recipient",
        PLAIN,
        {"program": "CN-UEL", "role": "exporter"},
        Route.RELEASE,
        None,
    ),
]


@pytest.mark.parametrize("case", [pytest.param(case, id=case[0]) for case in CASES])
def test_party_list_effects(
    screen: Callable[..., DecisionRecord],
    make_order: Callable[..., OrderEvent],
    make_hit: Callable[..., PartyHit],
    case: tuple[str, dict[str, Any], dict[str, str], Route, tuple[str, str] | None],
) -> None:
    _, line, hit_options, route, expected = case
    party_hit = make_hit(**hit_options)
    decision = screen(make_order([line]), hits=[party_hit])
    assert decision.route is route, [r.explanation for r in decision.reasons]
    if expected is None:
        assert [r.outcome.value for r in decision.reasons] == []
    else:
        rule_id, outcome = expected
        reasons = [r for r in decision.reasons if r.rule_id == rule_id]
        assert [r.outcome.value for r in reasons] == [outcome]
        assert reasons[0].party_role == party_hit.role
    assert [(m.program, m.status, m.role) for m in decision.party_matches] == [
        (party_hit.program, party_hit.status, party_hit.role)
    ]


def test_watch_list_finding_names_the_single_licence(
    screen: Callable[..., DecisionRecord],
    make_order: Callable[..., OrderEvent],
    make_hit: Callable[..., PartyHit],
) -> None:
    decision = screen(make_order([DUAL_USE]), hits=[make_hit("CN-ECWL")])
    (reason,) = [r for r in decision.reasons if r.rule_id == "cn-party-ecwl"]
    assert reason.evidence["licence_types_allowed"] == "single"
    assert "CN-ECWL" in reason.evidence["party:end_user"]
