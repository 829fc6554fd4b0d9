"""Scale-out on the real broker: two workers give the same current decisions as one."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from stateful_support import (  # type: ignore[import-not-found]
    PARTITIONS,
    Worker,
    current_of,
    produce,
    read_decisions,
)

from pipeline.kafka.topics import ensure_topics
from pipeline.settings import Settings
from schemas.decision import DecisionRecord, Route
from tests.order_flow import chair_line
from tests.order_flow import gallium_order_body as order

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

ORDERS = 5000
LOCKHEED = {"name": "Lockheed Martin Corporation", "country": "US"}


def workload() -> tuple[list[dict[str, Any]], dict[str, int]]:
    """A fixed mix: releases, licence draws within the balance, holds, licence-required, revisions."""
    events: list[dict[str, Any]] = []
    final: dict[str, int] = {}
    for n in range(ORDERS):
        order_id = f"ORD-{n:05d}"
        kind = n % 5
        if kind == 0 or (kind == 1 and n % 50 != 1):
            events.append(order(order_id, lines=chair_line(), licence_numbers=[]))
        elif kind == 1:  # 100 orders x 1 kg: all fit the 200 kg licence, whatever the order
            events.append(order(order_id, kg=1))
        elif kind == 2:
            events.append(order(order_id, consignee=LOCKHEED, destination_country="US", lines=chair_line()))
        elif kind == 3:
            events.append(order(order_id, kg=1, licence_numbers=[]))
        else:
            events.append(order(order_id, lines=chair_line(), licence_numbers=[]))
            events.append(
                order(order_id, revision=2, end_user=LOCKHEED, lines=chair_line(), licence_numbers=[])
            )
        final[order_id] = 2 if kind == 4 else 1
    return events, final


def outcome(record: DecisionRecord) -> tuple[int, Route, tuple[str, ...]]:
    return record.revision, record.route, tuple(sorted(reason.rule_id for reason in record.reasons))


def current_outcomes(settings: Settings, final: dict[str, int]) -> dict[str, Any]:
    def complete(records: list[DecisionRecord]) -> bool:
        seen = {r.order_id for r in records if r.revision >= final[r.order_id]}
        return len(seen) == len(final)

    current = current_of(read_decisions(settings, complete, timeout_s=400))
    return {order_id: outcome(record) for order_id, record in current.items()}


@pytest.mark.timeout(900)
def test_two_workers_decide_5000_orders_as_one_does(
    isolate: Callable[[str, Path], Settings], start_workers: Callable[..., list[Worker]], tmp_path: Path
) -> None:
    # Both deployments run side by side on their own topics, fed the same events.
    one_worker = replace(isolate("one", tmp_path / "one"), order_partitions=PARTITIONS)
    two_workers = replace(isolate("two", tmp_path / "two"), order_partitions=PARTITIONS)
    for settings, count in ((one_worker, 1), (two_workers, 2)):
        ensure_topics(settings)
        start_workers(settings, count)
    events, final = workload()
    started = time.monotonic()
    produce(one_worker, events)
    produce(two_workers, events)
    one = current_outcomes(one_worker, final)
    two = current_outcomes(two_workers, final)
    print(f"{ORDERS} orders decided by 1 worker and by 2 workers in {time.monotonic() - started:.1f}s")
    assert len(one) == ORDERS
    assert one == two
    routes = [route for _, route, _ in one.values()]
    assert routes.count(Route.HOLD) >= 2 * ORDERS // 5
    assert routes.count(Route.LICENSE) >= ORDERS // 5
    assert (
        sum(1 for _, route, rules in one.values() if route is Route.RELEASE and "licence.drawn" in rules)
        == 100
    )
