"""The over-draw audit adds up what current releases drew per licence item and compares with the file."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pipeline.audit.licences import DRAWN_RULE, overdrawn
from schemas.decision import DecisionRecord, Outcome, Reason, Route
from schemas.licence import LicenceFile
from schemas.order import OrderEvent
from soak.orders import OrderFactory

LICENCES = LicenceFile.model_validate(
    {
        "version": "t",
        "licences": [
            {
                "number": "GEN-1",
                "type": "general",
                "holder": {"name": "Exporter", "country": "CN"},
                "destinations": ["DE"],
                "valid_from": "2026-01-01",
                "valid_until": "2027-01-01",
                "items": [
                    {
                        "item_id": "1",
                        "hs_code": "2504101000",
                        "quantity": 100,
                        "unit": "kg",
                        "value": 1000,
                        "currency": "USD",
                    }
                ],
            }
        ],
    }
)


def order(n: int, quantity: float) -> OrderEvent:
    raw = OrderFactory("LIC").order(n, lines=1)
    raw["lines"][0].update(quantity=quantity, value=quantity)
    return OrderEvent.model_validate(raw)


def release(o: OrderEvent, route: Route = Route.RELEASE, licence: str = "GEN-1") -> DecisionRecord:
    drawn = Reason(
        rule_id=DRAWN_RULE,
        title="Covered by a licence",
        outcome=Outcome.LICENSED,
        line_id="L1",
        explanation="drawn",
        evidence={"licence": licence, "item": "1"},
    )
    return DecisionRecord(
        decision_id=f"d-{o.order_id}",
        order_id=o.order_id,
        revision=o.revision,
        route=route,
        as_of=date(2026, 3, 1),
        evaluated_at=datetime(2026, 3, 1, tzinfo=UTC),
        reasons=[drawn],
    )


@pytest.mark.parametrize(
    ("quantities", "routes", "overdrawn_items"),
    [
        ([40, 60], [Route.RELEASE, Route.RELEASE], 0),
        ([40, 61], [Route.RELEASE, Route.RELEASE], 1),
        ([40, 61], [Route.RELEASE, Route.LICENSE], 0),
        ([150], [Route.HOLD], 0),
    ],
)
def test_overdraw_counts_only_current_releases(
    quantities: list[float], routes: list[Route], overdrawn_items: int
) -> None:
    orders = [order(n, q) for n, q in enumerate(quantities)]
    decisions = [release(o, route) for o, route in zip(orders, routes, strict=True)]
    found = overdrawn(decisions, {(o.order_id, o.revision): o for o in orders}, LICENCES)
    assert len(found) == overdrawn_items


def test_a_draw_on_a_licence_not_on_file_is_an_overdraw() -> None:
    o = order(0, 1)
    found = overdrawn([release(o, licence="NOPE")], {(o.order_id, 1): o}, LICENCES)
    assert [f.licence for f in found] == ["NOPE"]
