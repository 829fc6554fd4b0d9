"""A fault-injection run on its own topics and consumer group: produce orders, run workers, read back.

Shared by tests/reliability and anything else that needs to prove a run conserved every order.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, replace
from pathlib import Path

from kafka.errors import KafkaError

from pipeline.audit.baseline import offline_baseline
from pipeline.audit.conservation import ConservationReport, OffsetRef
from pipeline.audit.licences import Overdraw, drawn_totals, overdrawn
from pipeline.harness.worker_process import WorkerProcess
from pipeline.intake import parse_order
from pipeline.kafka.orders import produce_keyed
from pipeline.kafka.readback import ConservationProbe, RunMark, mark_run
from pipeline.kafka.topics import ensure_topics
from pipeline.reference.snapshot import parse_licences
from pipeline.settings import PROJECT_ROOT, Settings
from schemas.decision import Route
from schemas.order import OrderEvent
from soak.orders import LicenceDraw, OrderFactory, listed_names

# Faust reads these from the environment: a dead worker's partitions move within seconds, not the
# one-minute defaults, so the fault tests stay short. Correctness must not depend on them.
FAST_GROUP_ENV = {
    "BROKER_SESSION_TIMEOUT": "6",
    "BROKER_HEARTBEAT_INTERVAL": "1",
    "BROKER_REBALANCE_TIMEOUT": "20",
}


RESULTS = PROJECT_ROOT / "test-artifacts" / "reliability-results.jsonl"


def run_settings(base: Settings, name: str) -> Settings:
    """Settings for a run with its own topic prefix and consumer group."""
    tag = f"rel-{name}-{uuid.uuid4().hex[:8]}"
    return replace(base, topic_prefix=f"{tag}.", app_id=tag)


class FaultRun:
    """One run on its own topics and consumer group: produce orders, run workers, read back."""

    def __init__(self, settings: Settings, log_dir: Path, worker_settings: Settings | None = None) -> None:
        """`settings` create the topics, produce and read back; workers run with `worker_settings`
        (on a secured cluster: the worker principal, on the same topics) or else with `settings`."""
        self.settings = settings
        self.worker_settings = worker_settings or settings
        self.log_dir = log_dir
        self.workers: list[WorkerProcess] = []
        self.produced = 0
        self._next_order = 0
        self.factory = OrderFactory(
            settings.app_id.upper(),
            listed=listed_names(settings.party_list_files[0]),
            licence=LicenceDraw.from_file(settings.licences_file),
        )
        ensure_topics(settings)
        self._mark = mark_run(settings)
        self.probe = ConservationProbe(settings, self._mark, keep_orders=True)

    @property
    def mark(self) -> RunMark:
        """Where the run starts, for `screening conservation check --since`."""
        return self._mark

    def reopen_probe(self) -> None:
        """A fresh probe from the run's start, e.g. after the broker was restarted under the old one."""
        self.probe.close()
        self.probe = ConservationProbe(self.settings, self._mark, keep_orders=True)

    def start_worker(self, name: str | None = None, *, ready: bool = True) -> WorkerProcess:
        name = name or f"w{len(self.workers)}"
        worker = WorkerProcess(self.worker_settings, self.log_dir, name, FAST_GROUP_ENV).start()
        self.workers.append(worker)
        if ready:
            worker.wait_ready()
        return worker

    def produce_orders(self, count: int) -> list[OffsetRef]:
        """The next `count` orders of the mix."""
        start, self._next_order = self._next_order, self._next_order + count
        return self.produce_raw(list(self.factory.stream(start, count)))

    def produce_raw(self, records: list[tuple[str, bytes]]) -> list[OffsetRef]:
        landed = produce_keyed(self.settings, records)
        self.produced += len(landed)
        return landed

    def wait_decided(self, at_least: int, timeout_s: float = 60.0) -> None:
        """Until the probe has read `at_least` decisions or dead letters: used to fault mid-stream."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                self.probe.refresh()
            except (KafkaError, TimeoutError):
                continue
            if len(self.probe.decisions) + len(self.probe.dead_letters) >= at_least:
                return
            time.sleep(0.2)
        msg = f"fewer than {at_least} outcomes within {timeout_s:.0f}s; {self.logs()}"
        raise TimeoutError(msg)

    def baseline(self) -> dict[tuple[str, int], Route]:
        return offline_baseline(self.settings, self.probe.order_values)

    def settle(self, timeout_s: float = 90.0) -> ConservationReport:
        """Wait until every produced record is accounted for, then check against the baseline."""
        self.probe.wait(expected=self.produced, timeout_s=timeout_s, settle_s=1.5)
        return self.probe.report(self.baseline())

    def _orders(self) -> dict[tuple[str, int], OrderEvent]:
        orders = {}
        for value in self.probe.order_values:
            order = parse_order(value)
            if isinstance(order, OrderEvent):
                orders[(order.order_id, order.revision)] = order
        return orders

    def overdraws(self) -> list[Overdraw]:
        """Licence items the current releases drew beyond their balance in the licence file."""
        licences = parse_licences(self.settings.licences_file.read_text(encoding="utf-8"))
        return overdrawn(self.probe.current_records(), self._orders(), licences)

    def drawn(self) -> dict[str, float]:
        """Quantity drawn per licence item by the current releases (shows the check is not vacuous)."""
        totals = drawn_totals(self.probe.current_records(), self._orders())
        return {f"{number}/{item}": round(quantity, 1) for (number, item), (quantity, _) in totals.items()}

    def logs(self) -> str:
        return "\n".join(f"--- {w.name}\n{w.log_tail(30)}" for w in self.workers)

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.probe.close()

    def assert_conserved(self, report: ConservationReport, fault: str) -> None:
        """Every produced record accounted for; nothing lost, duplicated or wrongly released.

        The counts are appended to test-artifacts/reliability-results.jsonl for RELIABILITY.md.
        """
        overdraws = [str(o) for o in self.overdraws()]
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        with RESULTS.open("a", encoding="utf-8") as out:
            row = {"fault": fault, **asdict(report), "overdrawn": overdraws, "drawn": self.drawn()}
            out.write(json.dumps(row) + "\n")
        assert not overdraws, overdraws
        assert report.consumed == self.produced, report.summary()
        assert report.holds, f"{report.summary()}\nlost: {report.lost_examples}\n{self.logs()}"
