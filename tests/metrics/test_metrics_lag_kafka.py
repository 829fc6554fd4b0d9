"""A real worker's /metrics shows its group's lag rise while it is stopped and fall as it catches up."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from pipeline.harness.worker_process import WorkerProcess
from pipeline.kafka import clients
from pipeline.kafka.orders import produce_keyed
from pipeline.settings import Settings

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(300)]

# The worker reads its group's lag this often, so a short stop is seen.
FAST_LAG = {"SCREENING_CONSUMER_LAG_INTERVAL_SECONDS": "0.5"}
BACKLOG = 1500


def orders_lag(worker: WorkerProcess) -> dict[int, float] | None:
    """`screening_consumer_lag` of the orders topic per partition, None until the worker answers."""
    try:
        with urllib.request.urlopen(worker.url("/metrics"), timeout=5) as response:
            text = response.read().decode()
    except OSError:
        return None
    topic = worker.settings.topics.orders
    return {
        int(sample.labels["partition"]): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "screening_consumer_lag" and sample.labels["topic"] == topic
    }


def wait_for_lag(
    worker: WorkerProcess, done: Callable[[dict[int, float]], bool], timeout_s: float = 120
) -> list[float]:
    """Total orders lag at each scrape until `done(lag)` holds."""
    seen: list[float] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        lag = orders_lag(worker)
        if lag:
            seen.append(sum(lag.values()))
            if done(lag):
                return seen
        time.sleep(0.2)
    msg = f"lag never reached the expected state; seen {seen[-20:]}\n{worker.log_tail()}"
    raise AssertionError(msg)


def orders(make_order: Callable[..., dict[str, Any]], prefix: str, count: int) -> list[tuple[str, bytes]]:
    return [
        (f"{prefix}-{n}", json.dumps(make_order(order_id=f"{prefix}-{n}")).encode()) for n in range(count)
    ]


def test_lag_rises_while_the_worker_is_stopped_and_falls_when_it_catches_up(
    isolated: Settings, tmp_path: Path, make_order: Callable[..., dict[str, Any]]
) -> None:
    data_dir = tmp_path / "worker-data"
    first = WorkerProcess(isolated, tmp_path, "first", FAST_LAG, data_dir=data_dir).start()
    try:
        first.wait_ready()
        produce_keyed(isolated, orders(make_order, "WARM", 20))
        # Every partition committed and caught up: the group's lag is known and zero.
        partitions = isolated.order_partitions
        wait_for_lag(first, lambda lag: len(lag) == partitions and sum(lag.values()) == 0)
    finally:
        first.stop()

    produce_keyed(isolated, orders(make_order, "BACKLOG", BACKLOG))
    second = WorkerProcess(isolated, tmp_path, "second", FAST_LAG, data_dir=data_dir).start()
    try:
        behind = wait_for_lag(second, lambda lag: sum(lag.values()) > 0)
        # The orders produced while no worker ran are all behind until the worker commits them.
        assert behind[-1] <= BACKLOG
        assert max(behind) >= BACKLOG / 2, behind
        caught_up = wait_for_lag(second, lambda lag: len(lag) == partitions and sum(lag.values()) == 0)
        assert caught_up[-1] == 0
    finally:
        second.stop()


def produce_in_one_transaction(settings: Settings, records: list[tuple[str, bytes]]) -> None:
    """As an ERP's exactly-once connector would: the commit leaves a marker after each partition's
    records, an offset that holds no record."""

    async def produce() -> None:
        producer = clients.async_producer(settings, "test", transactional_id=f"erp-{uuid.uuid4().hex[:8]}")
        await producer.start()
        try:
            async with producer.transaction():
                for key, value in records:
                    await producer.send(settings.topics.orders, value, key=key.encode())
        finally:
            await producer.stop()

    asyncio.run(produce())


def test_orders_from_a_transactional_producer_leave_no_lag(
    isolated: Settings, tmp_path: Path, make_order: Callable[..., dict[str, Any]]
) -> None:
    worker = WorkerProcess(isolated, tmp_path, "txn", FAST_LAG, data_dir=tmp_path / "worker-data").start()
    try:
        worker.wait_ready()
        produce_in_one_transaction(isolated, orders(make_order, "TXN", 40))
        # Each partition ends with a commit marker: the group's commit must pass it, or the lag
        # stays at 1 per partition for good.
        partitions = isolated.order_partitions
        caught_up = wait_for_lag(worker, lambda lag: len(lag) == partitions and sum(lag.values()) == 0, 90)
        assert caught_up[-1] == 0
    finally:
        worker.stop()
