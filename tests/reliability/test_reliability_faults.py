"""Faults injected into real workers on the real broker; after each, nothing lost, nothing wrongly released.

Each test runs on its own topics and consumer group. The check (`FaultRun.assert_conserved`) compares
the run with the same orders screened offline, fault-free.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.harness.broker import DedicatedBroker
from pipeline.harness.ports import free_port_pair
from pipeline.settings import Settings, settings_env
from soak.orders import encode
from soak.runs import FaultRun, run_settings

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(240)]

ORDERS = 240


def test_worker_killed_mid_stream_and_restarted(fault_run: FaultRun) -> None:
    first = fault_run.start_worker("first")
    fault_run.produce_orders(ORDERS)
    fault_run.wait_decided(ORDERS // 4)
    first.kill9()
    fault_run.produce_orders(ORDERS // 2)
    fault_run.start_worker("restarted")
    fault_run.assert_conserved(fault_run.settle(), "worker killed (kill -9) mid-stream, restarted")


def test_two_workers_one_killed_the_other_takes_over(fault_run: FaultRun) -> None:
    fault_run.start_worker("survivor")
    victim = fault_run.start_worker("victim")
    fault_run.produce_orders(ORDERS)
    fault_run.wait_decided(ORDERS // 3)
    victim.kill9()
    fault_run.produce_orders(ORDERS // 2)
    fault_run.assert_conserved(fault_run.settle(timeout_s=120), "two workers, one killed (rebalance)")


def test_slow_consumer_paused_mid_stream(fault_run: FaultRun) -> None:
    """A worker frozen (SIGSTOP) long enough to build a backlog, then resumed."""
    worker = fault_run.start_worker("paused")
    fault_run.produce_orders(ORDERS // 2)
    fault_run.wait_decided(ORDERS // 8)
    os.killpg(worker.pid, signal.SIGSTOP)
    try:
        fault_run.produce_orders(ORDERS)
        time.sleep(4)
    finally:
        os.killpg(worker.pid, signal.SIGCONT)
    fault_run.assert_conserved(fault_run.settle(timeout_s=120), "slow consumer (worker paused 4 s)")
    assert worker.alive()


def test_duplicated_and_out_of_order_deliveries(
    fault_run: FaultRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same order id and revision twice; a lower revision after a higher one. Also checked through
    `screening conservation mark|check`, as an operator would."""
    for name, value in settings_env(fault_run.settings).items():
        monkeypatch.setenv(name, value)
    mark = tmp_path / "run.json"
    assert main(["conservation", "mark", "--out", str(mark)]) == 0
    fault_run.start_worker()
    factory = fault_run.factory
    records: list[tuple[str, bytes]] = []
    for i in range(ORDERS // 4):
        key = factory.order_id(i)
        twice = encode(factory.order(i, revision=2))
        records += [(key, twice), (key, twice), (key, encode(factory.order(i, revision=1)))]
    fault_run.produce_raw(records)
    report = fault_run.settle()
    fault_run.assert_conserved(report, "duplicated and out-of-order deliveries")
    current = {d.order_id: d.revision for d in fault_run.probe.decisions}
    assert set(current.values()) == {2}, "a stale revision became an order's latest decision"
    assert report.decided == len(records)
    check = ["conservation", "check", "--since", str(mark), "--expect", str(len(records)), "--baseline"]
    assert main(check) == 0


def test_broker_restarted_mid_stream(rel_base_settings: Settings, tmp_path: Path) -> None:
    broker = DedicatedBroker(*free_port_pair(), tmp_path / "kafka")
    broker.start()
    settings = replace(run_settings(rel_base_settings, "broker-restart"), bootstrap_servers=broker.bootstrap)
    run = FaultRun(settings, tmp_path)
    try:
        run.start_worker()
        run.produce_orders(ORDERS)
        run.wait_decided(ORDERS // 4)
        # Our own clients stay off the broker while it is down; the workers keep running through it.
        run.probe.close()
        broker.stop()
        time.sleep(2)
        broker.start()
        run.reopen_probe()
        run.produce_orders(ORDERS // 2)
        run.assert_conserved(run.settle(timeout_s=150), "broker restarted mid-stream")
        assert all(worker.alive() for worker in run.workers), run.logs()
    finally:
        run.close()
        broker.stop()
