"""Findings to routes and decision records: most restrictive wins, deterministic across replays."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pipeline.decisions.record import build_decision
from pipeline.decisions.route import route_of
from pipeline.rules.engine import evaluate
from pipeline.rules.examples import example_order
from pipeline.rules.findings import UNCLASSIFIED_LINE, Finding
from pipeline.rules.loader import load_pack
from pipeline.settings import BUNDLED_DATA
from schemas.decision import Outcome, Route
from schemas.rulepack import Example


def finding(outcome: Outcome, rule_id: str = "r", index: int = 0) -> Finding:
    return Finding(rule_id, "t", outcome, None, "1", None, "x", (), "high", index)


ROUTES = [
    ((), Route.RELEASE),
    ((Outcome.INFO, Outcome.EXEMPT), Route.RELEASE),
    ((Outcome.INFO, Outcome.LICENCE_REQUIRED), Route.LICENSE),
    ((Outcome.LICENCE_REQUIRED, Outcome.REVIEW), Route.HOLD),
    ((Outcome.PROHIBITED, Outcome.LICENCE_REQUIRED), Route.HOLD),
    ((Outcome.LICENSED,), Route.RELEASE),
]


@pytest.mark.parametrize(("outcomes", "route"), ROUTES)
def test_route_is_the_most_restrictive_finding(outcomes: tuple[Outcome, ...], route: Route) -> None:
    assert route_of(finding(o) for o in outcomes) is route


def _order() -> Example:
    return Example.model_validate(
        {
            "name": "mixed",
            "as_of": "2026-03-01",
            "destination_country": "SG",
            "end_user_country": "JP",
            "end_user_categories": ["military"],
            "lines": [
                {"line_id": "a", "control_code": "1C117.d"},
                {"line_id": "b", "hs_code": "94013100"},
                {"line_id": "c", "control_code": "1C909.a"},
            ],
            "party_hits": [{"program": "CN-ECWL", "role": "consignee"}, {"program": "CN-ECL"}],
            "expect": "prohibited",
        }
    )


def test_replay_gives_the_same_decision_apart_from_id_and_time() -> None:
    pack = load_pack(BUNDLED_DATA / "rules" / "china.yaml")
    enriched = example_order(_order())
    first = build_decision(enriched, evaluate(enriched, pack), rules_version=pack.version_label)
    replay_pack = load_pack(BUNDLED_DATA / "rules" / "china.yaml")
    second = build_decision(
        enriched,
        evaluate(enriched, replay_pack),
        rules_version=replay_pack.version_label,
        evaluated_at=datetime(2030, 1, 1, tzinfo=UTC),
    )
    assert first.decision_id != second.decision_id
    volatile = {"decision_id", "evaluated_at"}
    assert first.model_dump(exclude=volatile) == second.model_dump(exclude=volatile)


def test_decision_carries_reasons_most_restrictive_first_and_party_matches() -> None:
    pack = load_pack(BUNDLED_DATA / "rules" / "china.yaml")
    enriched = example_order(_order())
    decision = build_decision(enriched, evaluate(enriched, pack), rules_version=pack.version_label)
    assert decision.route is Route.HOLD
    assert decision.as_of == date(2026, 3, 1)
    severities = [
        {"prohibited": 2, "review": 2, "licence_required": 1}.get(r.outcome.value, 0)
        for r in decision.reasons
    ]
    assert severities == sorted(severities, reverse=True)
    prohibited = {(r.rule_id, r.line_id) for r in decision.reasons if r.outcome is Outcome.PROHIBITED}
    assert ("cn-2026-1-japan-military", "a") in prohibited
    assert ("cn-party-ecl-dual-use", "a") in prohibited
    assert [(m.role, m.program) for m in decision.party_matches] == [
        ("consignee", "CN-ECWL"),
        ("end_user", "CN-ECL"),
    ]
    assert decision.versions == {"rules": pack.version_label}
    assert decision.fail_closed is False


def test_fail_closed_is_set_when_an_engine_safety_finding_applies() -> None:
    enriched = example_order(_order())
    decision = build_decision(enriched, [finding(Outcome.REVIEW, UNCLASSIFIED_LINE, -1)])
    assert decision.fail_closed is True
    assert decision.route is Route.HOLD
