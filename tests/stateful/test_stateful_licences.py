"""Licence drawdown on the real broker: exactly once per order line across workers and redeliveries."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from stateful_support import (  # type: ignore[import-not-found]
    Worker,
    current_of,
    decided,
    produce,
    read_decisions,
)

from pipeline.kafka import clients
from pipeline.settings import Settings
from schemas.decision import Route
from tests.order_flow import chair_line
from tests.order_flow import gallium_order_body as order

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

StartWorkers = Callable[[Settings, int], list[Worker]]


def routes(flow: Settings, *order_ids: str, revision: int = 1) -> dict[str, Route]:
    current = current_of(read_decisions(flow, decided(*order_ids, revision=revision)))
    return {order_id: current[order_id].route for order_id in order_ids}


def test_two_workers_interleaved_on_one_licence_never_draw_beyond_its_balance(
    flow: Settings, start_workers: StartWorkers
) -> None:
    start_workers(flow, 2)
    ids = [f"ORD-{n:03d}" for n in range(30)]
    produce(flow, (order(order_id, kg=10) for order_id in ids))  # 30 x 10 kg on a 200 kg licence
    current = current_of(read_decisions(flow, decided(*ids)))
    assert Counter(current[i].route for i in ids) == {Route.RELEASE: 20, Route.LICENSE: 10}
    exhausted = [current[i] for i in ids if current[i].route is Route.LICENSE]
    assert all(any(r.rule_id == "licence.exhausted" for r in d.reasons) for d in exhausted)
    assert all("licence exhausted" in d.reasons[-1].explanation for d in exhausted)
    assert len({current[i].source["partition"] for i in ids if current[i].source}) > 1


def test_redelivered_events_do_not_draw_twice(flow: Settings, start_workers: StartWorkers) -> None:
    from kafka import TopicPartition

    start_workers(flow, 1)
    first = order("ORD-A", kg=150)
    produce(flow, [first])
    assert routes(flow, "ORD-A") == {"ORD-A": Route.RELEASE}
    # Kafka redelivers the order and the internal draw request (as after a crash before commit).
    consumer = clients.consumer(flow, "test")
    topic = flow.topics.licence_draws
    parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    draws = [r for batch in consumer.poll(timeout_ms=5000).values() for r in batch]
    consumer.close()
    assert len(draws) == 1
    producer = clients.producer(flow, "test")
    producer.send(topic, key=draws[0].key, value=draws[0].value).get(timeout=30)
    producer.close()
    produce(flow, [first])
    produce(flow, [order("ORD-B", kg=50)])
    assert routes(flow, "ORD-B") == {"ORD-B": Route.RELEASE}  # exactly 50 kg were left
    produce(flow, [order("ORD-C", kg=1)])
    assert routes(flow, "ORD-C") == {"ORD-C": Route.LICENSE}
    records = read_decisions(flow, decided("ORD-A", "ORD-B", "ORD-C"))
    assert len({r.decision_id for r in records if r.order_id == "ORD-A"}) == 1


def test_revisions_and_cancellations_adjust_the_balance(flow: Settings, start_workers: StartWorkers) -> None:
    start_workers(flow, 1)
    steps: list[tuple[dict[str, object], str, int, Route]] = [
        (order("ORD-A", kg=150), "ORD-A", 1, Route.RELEASE),  # 50 left
        (order("ORD-B", kg=100), "ORD-B", 1, Route.LICENSE),  # exhausted
        (order("ORD-A", revision=2, kg=50), "ORD-A", 2, Route.RELEASE),  # A now 50: 150 left
        (order("ORD-C", kg=150), "ORD-C", 1, Route.RELEASE),  # 0 left
        (order("ORD-D", kg=1), "ORD-D", 1, Route.LICENSE),  # exhausted
    ]
    for body, order_id, revision, route in steps:
        produce(flow, [body])
        assert routes(flow, order_id, revision=revision)[order_id] is route, order_id
    produce(flow, [order("ORD-A", revision=3, status="cancelled")])  # returns A's 50 kg
    # A late old revision of the closed order: the ledger still knows the cancellation, draws nothing.
    produce(flow, [order("ORD-A", revision=1, kg=10)])
    produce(flow, [order("ORD-E", kg=50)])
    assert routes(flow, "ORD-E") == {"ORD-E": Route.RELEASE}
    produce(flow, [order("ORD-F", kg=1)])
    assert routes(flow, "ORD-F") == {"ORD-F": Route.LICENSE}


def test_a_replacement_worker_restores_every_table_from_its_changelog(
    flow: Settings, start_workers: StartWorkers
) -> None:
    (first,) = start_workers(flow, 1)
    produce(flow, [order("ORD-A", kg=150), order("ORD-C", lines=chair_line(), licence_numbers=[])])
    # ORD-A's decision comes from the licence agent, ORD-C's from the orders agent itself.
    assert routes(flow, "ORD-A", "ORD-C") == {"ORD-A": Route.RELEASE, "ORD-C": Route.RELEASE}
    first.stop()

    (second,) = start_workers(flow, 1)  # a fresh data dir: the tables exist only in their changelogs
    for order_id in ("ORD-A", "ORD-C"):
        found = second.wait_status(f"/decisions/{order_id}", 200)
        assert found["revision"] == 1
        assert found["decision"]["route"] == Route.RELEASE.value
    produce(flow, [order("ORD-B", kg=100)])  # the ledger came back: only 50 kg are left
    assert routes(flow, "ORD-B") == {"ORD-B": Route.LICENSE}
    # The order state came back too: cancelling ORD-A returns its 150 kg to the licence.
    produce(flow, [order("ORD-A", revision=2, status="cancelled")])
    deadline = time.monotonic() + 60
    while second.get("/decisions/ORD-A")[0] != 404:  # closed: its state is gone, its return on the way
        assert time.monotonic() < deadline, second.log_tail()
        time.sleep(0.2)
    produce(flow, [order("ORD-D", kg=150)])
    assert routes(flow, "ORD-D") == {"ORD-D": Route.RELEASE}


def test_a_worker_restarted_on_its_rocksdb_store_keeps_its_tables(
    flow: Settings, start_workers: Callable[..., list[Worker]]
) -> None:
    on_disk = replace(flow, store="rocksdb://")
    (first,) = start_workers(on_disk, 1)
    produce(on_disk, [order("ORD-A", kg=150)])
    assert routes(on_disk, "ORD-A") == {"ORD-A": Route.RELEASE}
    first.stop()
    # The tables are RocksDB databases in the worker's data dir, one per table and partition.
    databases = {path.name for path in first.settings.data_dir.rglob("*.db")}
    for table in ("order-state", "licence-ledger"):
        assert any(f".{table}-" in name for name in databases), (table, databases)

    (second,) = start_workers(on_disk, 1, data_dir=first.settings.data_dir)
    found: dict[str, Any] = second.wait_status("/decisions/ORD-A", 200)
    assert found["decision"]["route"] == Route.RELEASE.value
    produce(on_disk, [order("ORD-B", kg=100)])  # the ledger is as it was: 50 kg are left
    assert routes(on_disk, "ORD-B") == {"ORD-B": Route.LICENSE}
    produce(on_disk, [order("ORD-C", kg=50)])
    assert routes(on_disk, "ORD-C") == {"ORD-C": Route.RELEASE}
