"""Confidence the right way round (issue 15): a suspension rated as the brief rates it, and after a
suspension's last day, with no later evidence, findings carry medium and say the end is unconfirmed.
One inclusive end-date convention for item and party suspensions."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from pipeline.enrichment.enriched import PartyHit
from pipeline.enrichment.parties.model import ListEntry
from pipeline.enrichment.parties.status import StatusCalendar
from pipeline.rules.compiled import CompiledPack
from pipeline.rules.loader import load_pack
from pipeline.settings import BUNDLED_DATA
from schemas.decision import DecisionRecord, Outcome, Route
from schemas.order import OrderEvent

Screen = Callable[..., DecisionRecord]
MakeOrder = Callable[..., OrderEvent]
HOLMIUM = {"control_code": "1C909.a"}
NO57 = "cn-2025-57-rare-earths"


def _reason(decision: DecisionRecord, rule_id: str) -> tuple[Outcome, str | None, str]:
    reason = next(r for r in decision.reasons if r.rule_id == rule_id)
    return reason.outcome, reason.confidence, reason.explanation


# (as_of, outcome or None when the rule is not in force, confidence, says the end is unconfirmed)
NO70_DATES = [
    ("2025-11-07", None, None, False),  # suspended before No. 57 took effect: not in force
    ("2025-11-08", Outcome.INFO, "high", False),
    ("2026-11-10", Outcome.INFO, "high", False),  # the last day suspended (inclusive)
    ("2026-11-11", Outcome.LICENCE_REQUIRED, "medium", True),
    ("2027-06-01", Outcome.LICENCE_REQUIRED, "medium", True),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in NO70_DATES])
def test_no70_suspension_and_its_unconfirmed_end(
    screen: Screen, make_order: MakeOrder, case: tuple[str, Outcome | None, str | None, bool]
) -> None:
    as_of, outcome, confidence, unconfirmed = case
    decision = screen(make_order([HOLMIUM]), as_of=date.fromisoformat(as_of))
    if outcome is None:
        assert all(r.rule_id != NO57 for r in decision.reasons)
        return
    got, got_confidence, explanation = _reason(decision, NO57)
    assert (got, got_confidence) == (outcome, confidence)
    assert ("end of suspension unconfirmed" in explanation) is unconfirmed


def test_the_us_clause_2_resumes_unconfirmed_after_its_last_day(
    screen: Screen, make_order: MakeOrder
) -> None:
    germanium = make_order([{"hs_code": "8112921010"}], destination="US")
    during = screen(germanium, as_of=date(2026, 11, 27))
    after = screen(germanium, as_of=date(2026, 11, 28))
    assert _reason(during, "cn-2024-46-us-critical-minerals")[:2] == (Outcome.INFO, "high")
    outcome, confidence, explanation = _reason(after, "cn-2024-46-us-critical-minerals")
    assert (outcome, confidence, after.route) == (Outcome.PROHIBITED, "medium", Route.HOLD)
    assert "end of suspension unconfirmed" in explanation


def test_resumption_evidence_restores_the_rules_confidence(pack_path: Callable[[str], Path]) -> None:
    text = (BUNDLED_DATA / "rules" / "china.yaml").read_text(encoding="utf-8")
    confirmed = text.replace(
        "    citation: *no70\n    confidence: high\n",
        "    citation: *no70\n    confidence: high\n    resumption: *no70\n",
        1,
    )
    assert confirmed != text
    pack = load_pack(pack_path(confirmed))
    rule = pack.rule(NO57)
    assert rule.state(date(2026, 11, 11)) == ("active", None)


def test_every_item_suspension_carries_the_briefs_confidence(china_pack: CompiledPack) -> None:
    for rule in china_pack.rules:
        for suspension in rule.suspensions:
            assert suspension.confidence == "high", rule.id


def _entry(listed_from: date) -> ListEntry:
    return ListEntry(
        entry_id="cn-ecl-x",
        program="CN-ECL",
        list_name="List of Export Controls",
        name="Sierra Nevada Corporation",
        aliases=(),
        country="US",
        entity_type="Company",
        listed_from=listed_from,
    )


@pytest.mark.parametrize(
    ("day", "status", "confidence", "note"),
    [
        ("2025-08-11", "listed", None, False),
        ("2025-08-12", "suspended", "high", False),
        ("2025-11-09", "suspended", "high", False),  # the 90 days' last day, inclusive
        ("2025-11-10", "suspended", "high", False),  # continued for one year
        ("2026-11-09", "suspended", "high", False),  # its last day
        ("2026-11-10", "listed", "medium", True),  # no later evidence: unconfirmed
    ],
)
def test_party_suspensions_use_the_same_inclusive_end_and_say_when_unconfirmed(
    day: str,
    status: str,
    confidence: str | None,
    note: bool,
) -> None:
    calendar = StatusCalendar.load(BUNDLED_DATA / "parties" / "status-changes.yaml")
    entry = _entry(date(2025, 4, 4))
    calendar.bind((entry,))
    found = calendar.status(entry, date.fromisoformat(day))
    assert found is not None
    assert (found.status, found.confidence) == (status, confidence)
    assert (found.note is not None and "end of suspension unconfirmed" in found.note) is note


def test_a_party_finding_after_an_unconfirmed_end_carries_medium(
    screen: Screen, make_order: MakeOrder, make_hit: Callable[..., PartyHit]
) -> None:
    hit = dataclasses.replace(
        make_hit("CN-ECL"),
        status_confidence="medium",
        status_note="end of suspension unconfirmed: ecl-2025-21-suspension-continued until 2026-11-09",
    )
    decision = screen(
        make_order([{"control_code": "1C117.d"}], destination="US"), hits=[hit], as_of=date(2026, 12, 1)
    )
    outcome, confidence, explanation = _reason(decision, "cn-party-ecl-dual-use")
    assert (outcome, confidence, decision.route) == (Outcome.PROHIBITED, "medium", Route.HOLD)
    assert "end of suspension unconfirmed" in explanation
