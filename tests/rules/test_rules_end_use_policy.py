"""The rule side of fail-closed end use and of the disputed humanitarian exemption (issue 15, classes
1 and 3). The classifier's contract: `end_use.unrecognised` when a declared end use is recognised as
neither civil nor sensitive, plus `end_use.unknown_code` when its code is not in the vocabulary."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from pipeline.rules.errors import RulePackError
from pipeline.rules.loader import load_pack
from pipeline.settings import BUNDLED_DATA
from schemas.decision import DecisionRecord, Outcome, Route
from schemas.order import OrderEvent

Screen = Callable[..., DecisionRecord]
MakeOrder = Callable[..., OrderEvent]
UNRECOGNISED = "end_use.unrecognised"
UNKNOWN_CODE = "end_use.unknown_code"
UNKNOWN_POLICY = "cn-policy-unknown-end-use-code"
UNRECOGNISED_POLICY = "cn-policy-unrecognised-end-use-controlled"
GALLIUM = {"hs_code": "2853909026"}
CHAIR = {"sku": "OFFICE-CHAIR"}
SERVO = {"sku": "SERVO-NDFEB-DE"}
UAV_TECH = {"tech_entry": "203912X"}

# (name, lines, as_of, classes (None: no end use declared), route, rule id that must hold it or None)
Case = tuple[str, list[dict[str, Any]], str, tuple[str, ...] | None, Route, str | None]
# fmt: off
CASES: list[Case] = [
    ("unrecognised end use on a licensable item", [GALLIUM], "2026-03-01", (UNRECOGNISED,), Route.HOLD,
     UNRECOGNISED_POLICY),
    ("unrecognised end use on a restricted technology", [UAV_TECH], "2026-03-01", (UNRECOGNISED,), Route.HOLD,
     UNRECOGNISED_POLICY),
    ("unrecognised end use on a foreign-made rare-earth item", [SERVO], "2026-12-01", (UNRECOGNISED,),
     Route.HOLD, UNRECOGNISED_POLICY),
    ("unrecognised end use on a control-coded item", [{"control_code": "1A225"}], "2026-03-01",
     (UNRECOGNISED,), Route.HOLD, UNRECOGNISED_POLICY),
    ("unrecognised end use on an uncontrolled item", [CHAIR], "2026-03-01", (UNRECOGNISED,), Route.RELEASE,
     None),
    ("unknown code on an uncontrolled item", [CHAIR], "2026-03-01", (UNKNOWN_CODE, UNRECOGNISED),
     Route.HOLD, UNKNOWN_POLICY),
    ("unknown code with a recognised description", [GALLIUM], "2026-03-01", (UNKNOWN_CODE, "civil"),
     Route.HOLD, UNKNOWN_POLICY),
    ("undeclared end use on a controlled item", [GALLIUM], "2026-03-01", None, Route.HOLD,
     "pipeline.missing-end-use"),
    ("undeclared end use on an uncontrolled item", [CHAIR], "2026-03-01", None, Route.RELEASE, None),
    ("recognised civil end use", [GALLIUM], "2026-03-01", ("civil",), Route.LICENSE, None),
    ("unknown code before the ECL", [CHAIR], "2019-03-01", (UNKNOWN_CODE,), Route.HOLD, UNKNOWN_POLICY),
]
# fmt: on


@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in CASES])
def test_end_use_nobody_recognised_never_reaches_licence_or_release(
    screen: Screen, make_order: MakeOrder, case: Case
) -> None:
    _, lines, as_of, classes, route, holder = case
    event = make_order(lines, end_use="declared" if classes is not None else None)
    decision = screen(event, classes=classes or (), as_of=date.fromisoformat(as_of))
    assert decision.route is route, [r.explanation for r in decision.reasons]
    if holder is not None:
        assert any(r.rule_id == holder and r.outcome is Outcome.REVIEW for r in decision.reasons)


HUMANITARIAN = [
    "humanitarian.medical",
    "humanitarian.public_health",
    "humanitarian.disaster_relief",
    "humanitarian",
]


@pytest.mark.parametrize("end_use_class", HUMANITARIAN)
def test_the_disputed_humanitarian_exemption_holds_with_the_reporting_duty(
    screen: Screen, make_order: MakeOrder, end_use_class: str
) -> None:
    decision = screen(make_order([SERVO]), classes=(end_use_class,), as_of=date(2026, 12, 1))
    assert decision.route is Route.HOLD
    reason = next(r for r in decision.reasons if r.rule_id == "cn-2025-61-foreign-made-rare-earth")
    assert reason.outcome is Outcome.REVIEW
    assert "10 working days" in reason.explanation
    assert "disagree" in reason.explanation
    assert reason.evidence["rule_outcome"] == "licence_required"


def test_no_rule_of_the_bundled_pack_releases_through_an_exemption(
    screen: Screen, make_order: MakeOrder
) -> None:
    lines = [SERVO, GALLIUM, {"control_code": "1C902.a"}, UAV_TECH, {"control_code": "1E902.a"}]
    for day in ("2025-06-01", "2026-03-01", "2026-12-01"):
        decision = screen(make_order(lines), classes=tuple(HUMANITARIAN), as_of=date.fromisoformat(day))
        assert all(r.outcome is not Outcome.EXEMPT for r in decision.reasons), day
        assert decision.route is not Route.RELEASE, day


def test_an_exemption_below_high_confidence_that_releases_is_refused(
    pack_path: Callable[[str], Path],
) -> None:
    text = (BUNDLED_DATA / "rules" / "china.yaml").read_text(encoding="utf-8")
    refused = text.replace(
        "        outcome_instead: review\n        citation: *no61",
        "        outcome_instead: exempt\n        citation: *no61",
    )
    assert refused != text
    with pytest.raises(RulePackError) as caught:
        load_pack(pack_path(refused))
    assert caught.value.rule_id == "cn-2025-61-foreign-made-rare-earth"
    assert "must not release" in caught.value.reason
    assert caught.value.line is not None
