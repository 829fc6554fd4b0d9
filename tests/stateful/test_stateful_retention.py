"""A worker on the real broker removes closed and expired orders' state: tombstones in the changelog."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from stateful_support import PARTITIONS, Worker, decided, produce, read_decisions  # type: ignore[import-not-found]

from pipeline.flow.partitioner import key_partition
from pipeline.kafka.readback import Received, read_from_start
from pipeline.kafka.topics import changelog_topic
from pipeline.settings import Settings
from tests.order_flow import chair_line
from tests.order_flow import gallium_order_body as order

pytestmark = pytest.mark.kafka


def _same_partition_as(order_id: str, prefix: str) -> str:
    """Another order id that lands in the same orders partition as `order_id`."""
    wanted = key_partition(order_id.encode(), PARTITIONS)
    return next(
        f"{prefix}-{n}" for n in range(1000) if key_partition(f"{prefix}-{n}".encode(), PARTITIONS) == wanted
    )


def test_closed_and_expired_orders_leave_the_table_and_its_changelog(
    flow: Settings, start_workers: Callable[..., list[Worker]]
) -> None:
    settings = replace(flow, state_retention_days=90)  # the default: March orders are long expired
    (worker,) = start_workers(settings, 1)
    fresh = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    chairs: dict[str, Any] = {"lines": chair_line(), "licence_numbers": []}
    later = _same_partition_as("ORD-OLD", "ORD-LATER")
    produce(
        settings,
        [
            order("ORD-OPEN", ship_date=fresh, **chairs),
            order("ORD-SHIP", ship_date=fresh, **chairs),
            order("ORD-CANCEL", ship_date=fresh, **chairs),
            order("ORD-OLD", **chairs),  # shipped 2026-03-10: expired 90 days later
        ],
    )
    read_decisions(settings, decided("ORD-OPEN", "ORD-SHIP", "ORD-CANCEL", "ORD-OLD"))
    produce(
        settings,
        [
            order("ORD-SHIP", revision=2, status="shipped", ship_date=fresh, **chairs),
            order("ORD-CANCEL", revision=2, status="cancelled", ship_date=fresh, **chairs),
            # The next event of ORD-OLD's partition sweeps that partition's expired states.
            order(later, ship_date=fresh, **chairs),
        ],
    )
    read_decisions(settings, decided(later))

    changelog = changelog_topic(settings, "order-state")

    def latest(records: list[Received]) -> dict[bytes, bytes | None]:
        values: dict[bytes, bytes | None] = {}
        for record in records:
            assert record.key is not None
            values[record.key] = record.value
        return values

    def settled(records: list[Received]) -> bool:
        values = latest(records)
        gone = {b"ORD-SHIP", b"ORD-CANCEL", b"ORD-OLD"}
        return all(key in values and values[key] is None for key in gone) and bool(values.get(later.encode()))

    records = read_from_start(settings, [changelog], until=settled, timeout_s=60)
    # Each change sits in the partition of the order it belongs to, where a restore looks for it.
    assert {(r.key, r.partition) for r in records} == {
        (r.key, key_partition(r.key, PARTITIONS)) for r in records if r.key is not None
    }
    values = latest(records)
    assert values[b"ORD-OPEN"] is not None
    for order_id in ("ORD-SHIP", "ORD-CANCEL", "ORD-OLD"):
        assert worker.get(f"/decisions/{order_id}")[0] == 404
    assert worker.get("/decisions/ORD-OPEN")[0] == 200

    # A revision of a removed order is handled as a new order: screened and decided again.
    produce(settings, [order("ORD-SHIP", ship_date=fresh, **chairs)])
    again = read_decisions(settings, lambda found: sum(r.order_id == "ORD-SHIP" for r in found) >= 2)
    assert [r.revision for r in again if r.order_id == "ORD-SHIP"] == [1, 1]
    assert worker.get("/decisions/ORD-SHIP")[0] == 200
