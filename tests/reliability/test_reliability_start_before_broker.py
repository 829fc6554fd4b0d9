"""A worker started while its broker is down waits for it, not ready, and screens once it is up."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.harness.broker import DedicatedBroker
from pipeline.harness.ports import free_port_pair
from pipeline.harness.worker_process import WorkerProcess
from pipeline.settings import Settings
from soak.runs import FAST_GROUP_ENV, FaultRun, run_settings

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(300)]

ORDERS = 120


def test_a_worker_started_before_its_broker_waits_not_ready_then_screens(
    rel_base_settings: Settings, tmp_path: Path
) -> None:
    broker = DedicatedBroker(*free_port_pair(), tmp_path / "kafka")
    settings = replace(run_settings(rel_base_settings, "early"), bootstrap_servers=broker.bootstrap)
    early = WorkerProcess(settings, tmp_path, "early", FAST_GROUP_ENV).start()
    run: FaultRun | None = None
    try:
        waiting = early.wait_status("/ready", 503)
        assert waiting["ready"] is False
        assert waiting["reason"].startswith("Kafka not reachable, retrying in ")
        assert broker.bootstrap in waiting["reason"]
        assert early.get("/health")[0] == 200
        # Several retries later it is still there (faust alone exits after one bootstrap timeout).
        time.sleep(8)
        assert early.alive(), early.log_tail()
        assert early.log_tail().count("Kafka not reachable, retrying in") >= 3

        broker.start()
        run = FaultRun(settings, tmp_path)
        run.workers.append(early)
        early.wait_ready(timeout_s=120)
        run.produce_orders(ORDERS)
        run.assert_conserved(run.settle(), "worker started before its broker")
    finally:
        if run is not None:
            run.close()
        early.stop()
        broker.stop()
