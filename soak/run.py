"""`make soak`: steady load on one worker for ten minutes; memory must stay flat and nothing may go wrong.

A broker of its own (port 19792, data in .run/kafka-soak) keeps the soak away from tests and `make run`.
Pass criteria: every order decided (conservation holds, no dead letters for the all-valid stream), the
worker alive throughout with no traceback in its log, and resident memory after warm-up growing by
less than the allowed share from the first sampled minute to the last.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import asdict, dataclass, replace

from kafka.errors import KafkaError

from pipeline.harness.broker import DedicatedBroker
from pipeline.harness.worker_process import WorkerProcess
from pipeline.kafka.orders import durable_producer
from pipeline.kafka.readback import ConservationProbe, mark_run
from pipeline.kafka.topics import ensure_topics
from pipeline.settings import PROJECT_ROOT, load_settings
from soak.orders import OrderFactory, listed_names

RUN_DIR = PROJECT_ROOT / ".run" / "soak"
_SAMPLE_EVERY_S = 5.0


@dataclass(frozen=True, slots=True)
class SoakResult:
    seconds: float
    rate_per_s: int
    produced: int
    decided: int
    dead_lettered: int
    lost: int
    duplicated: int
    wrongly_released: int
    worker_alive: bool
    log_errors: int
    rss_first_minute_mb: float
    rss_last_minute_mb: float
    rss_growth: float
    memory_flat: bool

    @property
    def passed(self) -> bool:
        return (
            self.worker_alive
            and self.memory_flat
            and self.log_errors == 0
            and self.lost == self.duplicated == self.wrongly_released == self.dead_lettered == 0
            and self.decided == self.produced
        )


def log_errors(worker: WorkerProcess, since: int) -> int:
    """Error lines the worker logged after byte `since` of its log (start-up transients excluded)."""
    with worker.log_path.open("rb") as log:
        log.seek(since)
        text = log.read().decode("utf-8", errors="replace")
    return sum(1 for line in text.splitlines() if "Traceback" in line or "[ERROR]" in line)


def soak(
    seconds: float, rate: int, warmup_s: float, max_growth: float, broker: DedicatedBroker
) -> SoakResult:
    stamp = time.strftime("%Y%m%d%H%M%S")
    settings = replace(
        load_settings(),
        bootstrap_servers=broker.bootstrap,
        topic_prefix=f"soak-{stamp}.",
        app_id=f"soak-{stamp}",
    )
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    # A freshly started broker on a busy machine may take longer than one metadata wait.
    for attempt in range(3):
        try:
            ensure_topics(settings)
            break
        except KafkaError:
            if attempt == 2:
                raise
            time.sleep(5)
    mark = mark_run(settings)
    factory = OrderFactory(f"SOAK{stamp}", listed=listed_names(settings.party_list_files[0]))
    worker = WorkerProcess(settings, RUN_DIR, f"worker-{stamp}").start()
    worker.wait_ready()
    # A fresh broker answers "coordinator not available" while the worker starts: count from ready on.
    ready_at = worker.log_path.stat().st_size
    sender = durable_producer(settings)
    samples: list[tuple[float, int]] = []
    produced = 0
    started = time.monotonic()
    next_sample = started
    try:
        while (elapsed := time.monotonic() - started) < seconds and worker.alive():
            # Catch up to the steady rate, a tenth of a second at a time.
            due = int(elapsed * rate) - produced
            for key, value in factory.stream(produced, max(due, 0)):
                sender.send(settings.topics.orders, key=key.encode(), value=value)
            produced += max(due, 0)
            if time.monotonic() >= next_sample:
                samples.append((elapsed, worker.rss_bytes()))
                next_sample += _SAMPLE_EVERY_S
            time.sleep(0.1)
        sender.flush(timeout=60)
    finally:
        sender.close()
    alive = worker.alive()
    with ConservationProbe(settings, mark, keep_records=False) as probe:
        report = probe.wait(expected=produced, timeout_s=max(300.0, produced / 100), settle_s=2)
    worker.stop()
    first, last = _minute_rss(samples, warmup_s)
    growth = (last - first) / first if first else 0.0
    return SoakResult(
        seconds=round(time.monotonic() - started, 1),
        rate_per_s=rate,
        produced=produced,
        decided=report.decided,
        dead_lettered=report.dead_lettered,
        lost=report.lost,
        duplicated=report.duplicated,
        wrongly_released=report.wrongly_released,
        worker_alive=alive,
        log_errors=log_errors(worker, ready_at),
        rss_first_minute_mb=round(first / 2**20, 1),
        rss_last_minute_mb=round(last / 2**20, 1),
        rss_growth=round(growth, 3),
        memory_flat=growth < max_growth,
    )


def _minute_rss(samples: list[tuple[float, int]], warmup_s: float) -> tuple[float, float]:
    """Median resident memory of the first minute after warm-up and of the last minute."""
    steady = [(t, rss) for t, rss in samples if t >= warmup_s]
    if not steady:
        return 0.0, 0.0
    first = [rss for t, rss in steady if t < steady[0][0] + 60]
    last = [rss for t, rss in steady if t > steady[-1][0] - 60]
    return float(statistics.median(first)), float(statistics.median(last))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m soak", description=__doc__)
    parser.add_argument("--seconds", type=float, default=600.0, help="how long to produce (default 600)")
    parser.add_argument("--rate", type=int, default=200, help="orders per second (default 200)")
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds ignored for memory (default 60)")
    parser.add_argument("--max-growth", type=float, default=0.15, help="allowed RSS growth share (0.15)")
    parser.add_argument("--port", type=int, default=19792, help="dedicated broker port (controller +1)")
    args = parser.parse_args(argv)
    broker = DedicatedBroker(args.port, args.port + 1, PROJECT_ROOT / ".run" / "kafka-soak")
    try:
        broker.start()
        result = soak(args.seconds, args.rate, args.warmup, args.max_growth, broker)
    finally:
        broker.stop()
    (RUN_DIR / "result.json").write_text(json.dumps(asdict(result), indent=2) + "\n", encoding="utf-8")
    for name, value in asdict(result).items():
        print(f"{name:>22}: {value}")
    print(f"{'result':>22}: {'PASS' if result.passed else 'FAIL'}")
    return 0 if result.passed else 1
