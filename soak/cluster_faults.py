"""Broker faults on the secured three-node cluster (deploy/kafka/cluster.sh) while orders stream
through two workers that connect as the `worker` principal (TLS, SCRAM, its ACLs only):

    kill-leader      kill -9 the node leading most `orders` partitions, start it again 10 s later
    rolling-restart  restart the three nodes one after another (SIGTERM, start, all replicas in sync)
    pause-leader     SIGSTOP the busiest leader for 15 s (beyond the brokers' 9 s and the workers'
                     6 s session timeouts), then SIGCONT

Each run has its own topics (replication 3, min ISR 2) and consumer group, ends with
`screening conservation check --baseline --json` and the licence over-draw count, and reports the
figures RELIABILITY.md shows. `make faults-cluster` runs the three at 20,000 orders;
tests/deploy/cluster runs the same scenarios with a few hundred.

    python -m soak.cluster_faults [--orders 20000] [--rate 300] [--fault kill-leader ...]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from kafka import TopicPartition
from kafka.errors import KafkaError

from pipeline.acls import acl_plan, apply_acls
from pipeline.harness.cluster import busiest_leader, cluster_ok, running, user_settings, wait_for_isr
from pipeline.kafka import clients
from pipeline.settings import PROJECT_ROOT, Settings, settings_env
from soak.runs import FaultRun

FAULTS: tuple[str, ...] = ("kill-leader", "rolling-restart", "pause-leader")
PARTITIONS = 6
KILLED_FOR_S = 10.0
PAUSED_FOR_S = 15.0
SAMPLE_EVERY_S = 0.5
RESULTS = PROJECT_ROOT / "test-artifacts" / "cluster-faults.jsonl"


@dataclass(frozen=True, slots=True)
class Sample:
    at: float
    committed: dict[int, int]
    ends: dict[int, int]

    @property
    def lag(self) -> int:
        return sum(max(0, end - self.committed.get(p, 0)) for p, end in self.ends.items())


@dataclass
class LagSampler:
    """The workers' group lag on `orders`, sampled in a thread of its own (committed vs end offsets)."""

    settings: Settings
    group: str
    topic: str
    partitions: int
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> LagSampler:
        self._thread = threading.Thread(target=self._run, name="lag-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)

    def _run(self) -> None:
        tps = [TopicPartition(self.topic, p) for p in range(self.partitions)]
        admin = clients.admin(self.settings, "lag", request_timeout_ms=5000)
        consumer = clients.consumer(self.settings, "lag", request_timeout_ms=5000)
        try:
            while not self._stop.wait(SAMPLE_EVERY_S):
                try:
                    committed = admin.list_group_offsets({self.group: tps}).get(self.group, {})
                    ends = consumer.end_offsets(tps)
                except (KafkaError, OSError, ValueError):  # a broker down: no sample this time
                    continue
                self.samples.append(
                    Sample(
                        time.monotonic(),
                        {tp.partition: meta.offset for tp, meta in committed.items() if meta.offset >= 0},
                        {tp.partition: end for tp, end in ends.items()},
                    )
                )
        finally:
            consumer.close()
            admin.close()

    def peak(self) -> int:
        return max((s.lag for s in self.samples), default=0)


def decision_times(settings: Settings, partitions: int) -> list[float]:
    """The publish times (record timestamps, seconds) of every record on the run's decision topic."""
    tps = [TopicPartition(settings.topics.decisions, p) for p in range(partitions)]
    consumer = clients.consumer(settings, "gaps", request_timeout_ms=30_000)
    times: list[float] = []
    try:
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        deadline = time.monotonic() + 300
        while any(consumer.position(tp) < ends[tp] for tp in tps) and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=1000, max_records=5000).values():
                times.extend(record.timestamp / 1000 for record in records)
    finally:
        consumer.close()
    return sorted(times)


def longest_gap(times: list[float], since: float, until: float) -> float:
    """The longest time between `since` and `until` in which no decision was published."""
    inside = [since, *(t for t in times if since < t < until), until]
    return round(max(b - a for a, b in itertools.pairwise(inside)), 1)


@dataclass(frozen=True, slots=True)
class FaultFigures:
    fault: str
    orders: int
    decided: int
    dead_lettered: int
    lost: int
    duplicated: int
    wrongly_released: int
    overdrawn_licences: int
    resent: int
    recover_s: float
    gap_before_fault_s: float
    replicas_in_sync_after_s: float
    lag_peak: int
    run_s: float
    load_average: float
    conservation_check_exit: int

    @property
    def conserved(self) -> bool:
        return (
            self.lost == self.duplicated == self.wrongly_released == self.overdrawn_licences == 0
            and self.conservation_check_exit == 0
            and self.decided + self.dead_lettered == self.orders
        )

    def row(self) -> str:
        return (
            f"| {self.fault} | {self.orders:,} | {self.lost} | {self.duplicated} | {self.wrongly_released} | "
            f"{self.overdrawn_licences} | {self.resent:,} | "
            f"{self.recover_s} s ({self.gap_before_fault_s} s) | "
            f"{self.replicas_in_sync_after_s} s | {self.lag_peak:,} | {self.run_s} s | {self.load_average} |"
        )


def _kill_leader(admin: Settings) -> None:
    victim = busiest_leader(admin, admin.topics.orders)
    cluster_ok("kill", str(victim), timeout=60)
    time.sleep(KILLED_FOR_S)
    cluster_ok("start-node", str(victim), timeout=300)


def _rolling_restart(admin: Settings) -> None:
    for node in ("1", "2", "3"):
        cluster_ok("restart", node, timeout=300)
        # As a platform team would: the next node only once no partition is under-replicated.
        wait_for_isr(admin, admin.topics.orders, 3)


def _pause_leader(admin: Settings) -> None:
    victim = busiest_leader(admin, admin.topics.orders)
    cluster_ok("pause", str(victim), timeout=30)
    try:
        time.sleep(PAUSED_FOR_S)
    finally:
        cluster_ok("resume", str(victim), timeout=30)


INJECT: dict[str, Callable[[Settings], None]] = {
    "kill-leader": _kill_leader,
    "rolling-restart": _rolling_restart,
    "pause-leader": _pause_leader,
}


def _produce_steadily(run: FaultRun, orders: int, rate: float, failures: list[Exception]) -> None:
    chunk = max(1, int(rate // 4))
    started = time.monotonic()
    sent = 0
    try:
        while sent < orders:
            count = min(chunk, orders - sent)
            run.produce_orders(count)
            sent += count
            time.sleep(max(0.0, started + sent / rate - time.monotonic()))
    except (KafkaError, OSError, RuntimeError) as failed:  # reported by the main thread, which owns the run
        failures.append(failed)


def _conservation_check(run: FaultRun, directory: Path) -> tuple[int, dict[str, object]]:
    """`screening conservation check` as an operator runs it, with the admin's settings."""
    mark = directory / "mark.json"
    mark.write_text(json.dumps(run.mark.to_json()), encoding="utf-8")
    command = [sys.executable, "-m", "pipeline.cli", "conservation", "check", "--since", str(mark)]
    # The check reads the whole run back (twice the orders, over TLS): on a loaded host that takes
    # minutes; it stops as soon as every order is accounted for.
    command += ["--expect", str(run.produced), "--wait", "900", "--baseline", "--json"]
    done = subprocess.run(
        command,
        env={**os.environ, **settings_env(run.settings)},
        capture_output=True,
        text=True,
        check=False,
        timeout=1200,
        cwd=PROJECT_ROOT,
    )
    report: dict[str, object] = json.loads(done.stdout) if done.stdout.strip().startswith("{") else {}
    return done.returncode, report


def run_fault(fault: str, orders: int, log_dir: Path, *, rate: float = 300.0) -> FaultFigures:
    """One fault while `orders` stream through two workers; the figures (nothing asserted here)."""
    tag = f"cf-{fault}-{uuid.uuid4().hex[:6]}"
    admin = user_settings("admin", f"{tag}.", tag, PARTITIONS, state_retention_days=36_500)
    worker = user_settings("worker", f"{tag}.", tag, PARTITIONS, state_retention_days=36_500)
    apply_acls(admin, acl_plan(admin))
    run = FaultRun(admin, log_dir, worker_settings=replace(worker, log_level="WARNING"))
    sampler = LagSampler(admin, tag, admin.topics.orders, PARTITIONS)
    load_average = os.getloadavg()[0]
    try:
        run.start_worker("w1")
        run.start_worker("w2")
        sampler.start()
        started = time.monotonic()
        failures: list[Exception] = []
        # A daemon: a run stopped with SIGTERM must not go on sending orders nobody will read.
        producer = threading.Thread(
            target=_produce_steadily, args=(run, orders, rate, failures), name="orders", daemon=True
        )
        producer.start()
        # The fault strikes mid-stream: a third of the orders sent, some already screened.
        while run.produced < orders // 3 and producer.is_alive():
            time.sleep(0.2)
        fault_at, fault_wall = time.monotonic(), time.time()
        INJECT[fault](admin)
        in_sync_after = round(wait_for_isr(admin, admin.topics.orders, 3) + time.monotonic() - fault_at, 1)
        fault_over = time.time()
        producer.join()
        if failures:
            raise failures[0]
        report = run.settle(timeout_s=max(300.0, orders / 30))
        run_s = round(time.monotonic() - started, 1)
        sampler.stop()
        exit_code, checked = _conservation_check(run, log_dir)
        published = decision_times(admin, PARTITIONS)
        # Orders arrive steadily: a pause in the decisions, from the fault to the last decision, is
        # the time the fault stopped the flow; beside it the longest pause as long before the fault.
        first = published[0] if published else fault_wall
        window = fault_over - fault_wall
        overdrawn = checked.get("overdrawn_licences")
        figures = FaultFigures(
            fault=fault,
            orders=run.produced,
            decided=report.decided,
            dead_lettered=report.dead_lettered,
            lost=report.lost,
            duplicated=report.duplicated,
            wrongly_released=report.wrongly_released,
            overdrawn_licences=overdrawn if isinstance(overdrawn, int) else len(run.overdraws()),
            resent=report.republished,
            recover_s=longest_gap(published, fault_wall, published[-1] if published else fault_over),
            gap_before_fault_s=longest_gap(published, first, min(fault_wall, first + window)),
            replicas_in_sync_after_s=in_sync_after,
            lag_peak=sampler.peak(),
            run_s=run_s,
            load_average=round(max(load_average, os.getloadavg()[0]), 2),
            conservation_check_exit=exit_code,
        )
        if not figures.conserved:
            print(f"{fault}: {report.summary()} lost: {report.lost_examples}\n{run.logs()}", file=sys.stderr)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        with RESULTS.open("a", encoding="utf-8") as out:
            out.write(json.dumps(asdict(figures)) + "\n")
        return figures
    finally:
        sampler.stop()
        run.close()


HEADER = (
    "| Fault | Orders | Lost | Duplicated | Wrongly released | Over-drawn | Re-sent | "
    "Time to recover (longest pause in decisions; before the fault) | "
    "All replicas in sync after | Lag peak | Run | Load avg |\n" + "|---" * 12 + "|"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=20_000, help="orders per fault run")
    parser.add_argument("--rate", type=float, default=150.0, help="orders sent per second")
    parser.add_argument("--log-dir", type=Path, help="keep the workers' logs here (default: discarded)")
    parser.add_argument("--fault", choices=FAULTS, action="append", help="run only these (default: all)")
    args = parser.parse_args(argv)
    # Stopped with SIGTERM, a run still stops its workers and resumes a paused node (`finally`).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not running():
        cluster_ok("start")
    rows = []
    with tempfile.TemporaryDirectory(prefix="cluster-faults-") as directory:
        for fault in args.fault or FAULTS:
            logs = args.log_dir / fault if args.log_dir else Path(directory) / fault
            logs.mkdir(parents=True, exist_ok=True)
            figures = run_fault(fault, args.orders, logs, rate=args.rate)
            rows.append(figures)
            print(figures.row(), flush=True)
    print(HEADER)
    print("\n".join(figures.row() for figures in rows))
    return 0 if all(figures.conserved for figures in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
