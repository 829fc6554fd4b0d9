"""The screening facade the worker, the offline `screen` command and the benchmarks call.

`Screener.screen` takes a validated order and returns its decision record. `build_screener` wires
enrichment, the rule engine and the decision stage from the reference data named in the settings.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Protocol

from pipeline.settings import Settings
from schemas.decision import DecisionRecord, Outcome, Reason, Route
from schemas.order import OrderEvent


class Screener(Protocol):
    def screen(self, order: OrderEvent, *, as_of: date | None = None) -> DecisionRecord: ...


class PlaceholderScreener:
    """Holds every order until the rule engine is wired in: failing closed is the only safe default."""

    def screen(self, order: OrderEvent, *, as_of: date | None = None) -> DecisionRecord:
        return DecisionRecord(
            decision_id=str(uuid.uuid4()),
            order_id=order.order_id,
            revision=order.revision,
            route=Route.HOLD,
            as_of=as_of or order.as_of,
            evaluated_at=datetime.now(UTC),
            event_time=order.event_time,
            reasons=[
                Reason(
                    rule_id="pipeline.no-rule-engine",
                    title="No rule engine loaded",
                    outcome=Outcome.REVIEW,
                    explanation="The worker has no rule pack loaded, so it holds every order.",
                )
            ],
            fail_closed=True,
        )


def build_screener(settings: Settings) -> Screener:  # noqa: ARG001 - the rule engine will read it
    return PlaceholderScreener()
