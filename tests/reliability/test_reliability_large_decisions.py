"""A decision for thousands of lines is folded to fit the topic, keeping route and every rule."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pipeline.flow.outputs import MAX_DECISION_BYTES, decision_messages
from pipeline.settings import Settings
from schemas.decision import DecisionRecord, Outcome, Reason, Route
from schemas.order import OrderEvent
from soak.orders import OrderFactory


def order_with_lines(count: int) -> OrderEvent:
    raw = OrderFactory("BIG").order(1)
    raw["lines"] = [{**raw["lines"][0], "line_id": f"L{n}"} for n in range(count)]
    return OrderEvent.model_validate(raw)


def decision_for(order: OrderEvent, route: Route) -> DecisionRecord:
    reasons = [
        Reason(
            rule_id=rule,
            title=f"{rule} applies",
            outcome=outcome,
            line_id=line.line_id,
            explanation=f"Line {line.line_id} is within the scope of {rule}; " + "evidence " * 20,
            evidence={"hs_code": "8112929010", "control_code": "1C902.a"},
        )
        for line in order.lines
        for rule, outcome in (("cn.ga-ge", Outcome.LICENCE_REQUIRED), ("cn.us-military", Outcome.PROHIBITED))
    ]
    return DecisionRecord(
        decision_id="d-big",
        order_id=order.order_id,
        revision=1,
        route=route,
        as_of=date(2026, 3, 2),
        evaluated_at=datetime(2026, 3, 2, tzinfo=UTC),
        reasons=reasons,
    )


@pytest.mark.parametrize("lines", [10, 3000, 5000])
def test_decision_messages_fit_the_topic_and_keep_route_and_rules(lines: int) -> None:
    order = order_with_lines(lines)
    record = decision_for(order, Route.HOLD)
    messages = decision_messages(Settings(), order, record)
    published = [DecisionRecord.model_validate_json(m.value) for m in messages[:2]]
    assert all(len(m.value) <= MAX_DECISION_BYTES for m in messages)
    for decision in published:
        assert decision.route is Route.HOLD
        assert decision.decision_id == "d-big"
        assert {r.rule_id for r in decision.reasons} == {"cn.ga-ge", "cn.us-military"}
    assert (published[0].reasons == record.reasons) is (lines == 10)
    assert decision_messages(Settings(), order, record)[0].value == messages[0].value
