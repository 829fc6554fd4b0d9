"""Reviewers' follow-up decisions reach the worker holding the order's state on their own topic:
the worker does not read `screening.decisions`, yet a follow-up becomes current and a denial closes
the order."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from stateful_support import Worker, decided, produce, read_decisions  # type: ignore[import-not-found]

from pipeline.kafka.holds import KafkaOutbox
from pipeline.settings import Settings
from schemas.decision import DecisionRecord, Route
from schemas.review import ReviewAction
from tests.order_flow import chair_line
from tests.order_flow import gallium_order_body as order

pytestmark = pytest.mark.kafka


def _follow_up(decision: DecisionRecord, route: Route, action: ReviewAction) -> DecisionRecord:
    return decision.model_copy(
        update={
            "decision_id": f"{decision.decision_id}-review",
            "supersedes": decision.decision_id,
            "route": route,
            "review": {"action": str(action), "reviewer": "alice"},
        }
    )


async def _publish(settings: Settings, records: list[DecisionRecord]) -> None:
    outbox = KafkaOutbox(settings)
    await outbox.start()
    try:
        for record in records:
            await outbox.decision(record)
    finally:
        await outbox.stop()


def _wait_for(worker: Worker, path: str, done: Callable[[int, Any], bool], timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status, body = worker.get(path)
        if done(status, body):
            return body
        time.sleep(0.2)
    pytest.fail(f"{path} never settled:\n{worker.log_tail()}")


def test_a_reviewers_follow_up_becomes_current_and_a_denial_closes_the_order(
    flow: Settings, start_workers: Callable[..., list[Worker]]
) -> None:
    (worker,) = start_workers(flow, 1)
    chairs: dict[str, Any] = {"lines": chair_line(), "licence_numbers": []}
    produce(flow, [order("ORD-KEEP", **chairs), order("ORD-DENY", **chairs)])
    first = {r.order_id: r for r in read_decisions(flow, decided("ORD-KEEP", "ORD-DENY"))}
    assert worker.get("/decisions/ORD-KEEP")[1]["decision"]["decision_id"] == first["ORD-KEEP"].decision_id

    held = _follow_up(first["ORD-KEEP"], Route.HOLD, ReviewAction.ESCALATE)
    denied = _follow_up(first["ORD-DENY"], Route.HOLD, ReviewAction.DENY)
    asyncio.run(_publish(flow, [held, denied]))

    body = _wait_for(
        worker,
        "/decisions/ORD-KEEP",
        lambda status, found: status == 200 and found["decision"]["decision_id"] == held.decision_id,
    )
    assert body["decision"]["route"] == Route.HOLD
    _wait_for(worker, "/decisions/ORD-DENY", lambda status, _: status == 404)
    # Every consumer of the decisions topic still sees the follow-ups there.
    published = read_decisions(flow, lambda found: len(found) >= 4)
    assert {r.decision_id for r in published} >= {held.decision_id, denied.decision_id}
