"""Hold-queue gauges follow the authoritative hold queue, including holds closed by reviews."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from prometheus_client import CollectorRegistry

from pipeline.holds.queue import HoldQueue
from pipeline.metrics.holds import register_hold_queue_metrics
from schemas.decision import DecisionRecord, Outcome, PartyMatch, Reason, Route

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def decision(
    order_id: str,
    route: Route,
    at: datetime,
    *,
    revision: int = 1,
    outcome: Outcome | None = None,
    fail_closed: bool = False,
    matched: bool = False,
    review: dict[str, str] | None = None,
) -> DecisionRecord:
    reasons = [Reason(rule_id="cn.rule", title="t", outcome=outcome, explanation="e")] if outcome else []
    matches = (
        [
            PartyMatch(
                role="end_user",
                name_sent="Acme",
                list="CN-UEL",
                program="CN-UEL",
                entry_id="1",
                listed_name="ACME",
                score=0.8,
                strength="potential",
                matched="name",
                status="listed",
            )
        ]
        if matched
        else []
    )
    return DecisionRecord(
        decision_id=str(uuid.uuid4()),
        order_id=order_id,
        revision=revision,
        route=route,
        as_of=date(2026, 3, 2),
        evaluated_at=at,
        reasons=reasons,
        party_matches=matches,
        fail_closed=fail_closed,
        review=review,
    )


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def test_open_holds_by_reason_and_the_oldest_age_follow_reviews() -> None:
    registry = CollectorRegistry()
    queue = HoldQueue()
    clock = Clock()
    register_hold_queue_metrics(registry, queue, hold_sla_seconds=7200, clock=clock)

    def gauge(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    assert gauge("screening_hold_oldest_age_seconds") == 0
    assert gauge("screening_holds_open", reason="prohibited") == 0

    queue.add_decision(decision("o1", Route.HOLD, T0, outcome=Outcome.PROHIBITED))
    queue.add_decision(decision("o2", Route.HOLD, T0 + timedelta(minutes=10), fail_closed=True))
    queue.add_decision(decision("o3", Route.HOLD, T0 + timedelta(minutes=20), matched=True))
    queue.add_decision(decision("o4", Route.HOLD, T0 + timedelta(minutes=30), outcome=Outcome.REVIEW))
    queue.add_decision(decision("o5", Route.RELEASE, T0))
    clock.now = T0 + timedelta(hours=1)

    assert {
        reason: gauge("screening_holds_open", reason=reason)
        for reason in ("prohibited", "fail_closed", "party_match", "review")
    } == {"prohibited": 1, "fail_closed": 1, "party_match": 1, "review": 1}
    assert gauge("screening_hold_oldest_age_seconds") == 3600
    assert gauge("screening_hold_sla_seconds") == 7200

    # The review applier's follow-up decisions: o1 denied (closed), o2 released.
    deny = {"action": "deny"}
    queue.add_decision(decision("o1", Route.HOLD, clock.now, outcome=Outcome.PROHIBITED, review=deny))
    queue.add_decision(decision("o2", Route.RELEASE, clock.now, review={"action": "release"}))

    assert gauge("screening_holds_open", reason="prohibited") == 0
    assert gauge("screening_holds_open", reason="fail_closed") == 0
    assert gauge("screening_hold_oldest_age_seconds") == 40 * 60


def test_a_held_revision_keeps_the_age_of_the_first_hold() -> None:
    registry = CollectorRegistry()
    queue = HoldQueue()
    clock = Clock()
    register_hold_queue_metrics(registry, queue, clock=clock)
    queue.add_decision(decision("o1", Route.HOLD, T0 - timedelta(hours=5), outcome=Outcome.REVIEW))
    queue.add_decision(decision("o1", Route.HOLD, T0, revision=2, fail_closed=True))

    assert registry.get_sample_value("screening_hold_oldest_age_seconds") == 5 * 3600
    assert registry.get_sample_value("screening_holds_open", {"reason": "fail_closed"}) == 1
    assert registry.get_sample_value("screening_holds_open", {"reason": "review"}) == 0
    assert registry.get_sample_value("screening_hold_sla_seconds") == 4 * 3600
