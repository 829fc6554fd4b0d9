"""One measurement session: fresh topics, N workers of one kind, saturation runs, then fixed loads.

Workers start once per session and are warmed up (their group is assigned and a first batch of
orders has been answered) before anything is timed, so start-up and rebalancing stay out of the
figures. Each phase uses its own order-id prefix on the same topics.

Saturation: a burst of orders is produced while the workers are idle; the producer finishes long
before the workers do, leaving them a backlog they work off flat out. Throughput = decisions
appended after the producer finished / (last decision's broker timestamp - that moment): the
workers' own rate, without the load generator on the same cores (the whole burst's rate is kept
as `burst_orders_per_s`). Latency at a fixed offered load: a paced producer stamps each
order's event_time with its send time; decision latency = the broker's append time of the decision
(the decisions topic keeps LogAppendTime here) - the order's send time.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.loadgen import Collector, Encode, Phase, burst, paced
from bench.procstats import CpuMark, peak_rss_mb
from bench.profiling import Profiler, summarize_collapsed
from bench.stats import latency_summary_ms
from bench.workers import WorkerKind, bench_worker
from pipeline.kafka.topics import TopicSpec, ensure_topics, topic_specs
from pipeline.settings import Settings

WARMUP_ORDERS = 500


def bench_topic_specs(settings: Settings) -> list[TopicSpec]:
    """The pipeline's topics, with the decisions topic stamped by the broker on append (LogAppendTime),
    so a decision's timestamp is when it became readable, not when the worker queued it."""
    decisions = settings.topics.decisions
    return [
        TopicSpec(spec.name, spec.partitions, {**spec.configs, "message.timestamp.type": "LogAppendTime"})
        if spec.name == decisions
        else spec
        for spec in topic_specs(settings)
    ]


@dataclass(slots=True)
class SessionResult:
    kind: str
    workers: int
    saturation: list[dict[str, Any]] = field(default_factory=list)
    latency: list[dict[str, Any]] = field(default_factory=list)
    peak_rss_mb: list[float] = field(default_factory=list)
    # Once the reference data is loaded and the warm-up answered: the 50,000-entry footprint alone.
    rss_after_warmup_mb: list[float] = field(default_factory=list)
    # Orders the workers screened in the session, which the peak grows with while state is in memory.
    orders_handled: int = 0
    profile: dict[str, Any] = field(default_factory=dict)


class Session:
    def __init__(
        self,
        kind: WorkerKind,
        workers: int,
        base: Settings,
        run_dir: Path,
        encode: Encode,
        *,
        worker_env: dict[str, str] | None = None,
    ) -> None:
        tag = f"bench-{kind.value}-{workers}w-{uuid.uuid4().hex[:6]}"
        self.settings = replace(base, topic_prefix=f"{tag}.", app_id=tag)
        self.kind = kind
        self.encode = encode
        self.run_dir = run_dir / tag
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.workers = [
            bench_worker(kind, self.settings, self.run_dir, f"worker{n + 1}", worker_env)
            for n in range(workers)
        ]
        self.result = SessionResult(kind.value, workers)
        self._phase = 0

    def __enter__(self) -> Session:
        # Also declares the app's table changelogs, so fresh workers never race faust for them.
        ensure_topics(self.settings, bench_topic_specs(self.settings))
        for worker in self.workers:
            worker.start()
        for worker in self.workers:
            worker.wait_ready(timeout_s=120)
        self._run_burst(WARMUP_ORDERS, timeout_s=180)
        self.result.rss_after_warmup_mb = [round(peak_rss_mb(w.pid), 1) for w in self.workers]
        return self

    def __exit__(self, *_: object) -> None:
        self.result.peak_rss_mb = [round(peak_rss_mb(w.pid), 1) for w in self.workers if w.alive()]
        for worker in self.workers:
            worker.stop()

    def _next_phase(self) -> Phase:
        self._phase += 1
        topics = self.settings.topics
        prefix = f"{self.settings.app_id}-p{self._phase}-"
        return Phase(self.settings, topics.orders, topics.decisions, prefix)

    def _cpu_marks(self) -> list[CpuMark]:
        now = time.time()
        return [CpuMark.take(w.pid, now) for w in self.workers]

    def _run_burst(self, count: int, timeout_s: float) -> dict[str, Any]:
        phase = self._next_phase()
        with Collector(phase, count, timeout_s) as collector:
            before = self._cpu_marks()
            started = time.time()
            produce_s = burst(phase, count, self.encode)
            produced = self._cpu_marks()
            seen = collector.result()
            after = self._cpu_marks()
        decided_ms = sorted(seen.decided_at_ms.values())
        decided = len(decided_ms)
        self.result.orders_handled += decided
        cpu_s = sum(a.cpu_s - b.cpu_s for b, a in zip(before, after, strict=True))
        last_s = decided_ms[-1] / 1000 if decided else started
        busy_s = max(last_s - started, 1e-3)
        # Once the burst is written, the load generator is idle and the workers work off a backlog:
        # the throughput they reach on their own, without sharing the host's cores with the producer.
        producer_done_s = produced[0].wall_s
        backlog = sum(1 for ms in decided_ms if ms / 1000 > producer_done_s)
        drain_s = max(last_s - producer_done_s, 1e-3)
        drain_cpu_s = [a.cpu_s - p.cpu_s for p, a in zip(produced, after, strict=True)]
        return {
            "orders": count,
            "decided": decided,
            "seconds": round(busy_s, 3),
            "orders_per_s": round(backlog / drain_s, 1),
            "burst_orders_per_s": round(decided / busy_s, 1),
            "backlog_orders": backlog,
            "produce_seconds": round(produce_s, 3),
            "cpu_cores_per_worker": [round(cpu / drain_s, 3) for cpu in drain_cpu_s],
            # Robust to a busy shared host: orders per CPU second the workers actually got.
            "orders_per_cpu_s": round(decided / max(cpu_s, 1e-3), 1),
            "routes": dict(sorted(seen.routes.items())),
        }

    def saturation(self, count: int, repeats: int) -> list[dict[str, Any]]:
        runs = [self._run_burst(count, timeout_s=600) for _ in range(repeats)]
        self.result.saturation.extend(runs)
        return runs

    def fixed_load(self, rate_per_s: float, seconds: float) -> dict[str, Any]:
        phase = self._next_phase()
        expected = int(rate_per_s * seconds)
        with Collector(phase, expected, timeout_s=seconds + 60) as collector:
            before = self._cpu_marks()
            sent_at = paced(phase, rate_per_s, seconds, self.encode)
            seen = collector.result()
            after = self._cpu_marks()
        decided_ms = seen.decided_at_ms
        latencies = [decided_ms[key] / 1000 - sent for key, sent in sent_at.items() if key in decided_ms]
        self.result.orders_handled += len(latencies)
        cpu_s = sum(a.cpu_s - b.cpu_s for b, a in zip(before, after, strict=True))
        point = {
            "offered_per_s": rate_per_s,
            "seconds": seconds,
            "sent": len(sent_at),
            "decided": len(latencies),
            "latency": latency_summary_ms(latencies),
            "broker_timestamps": seen.log_append_time,
            "cpu_cores_per_worker": [round(b.cores_since(a), 3) for b, a in zip(before, after, strict=True)],
            "cpu_ms_per_order": round(1000 * cpu_s / max(len(latencies), 1), 3),
        }
        self.result.latency.append(point)
        return point

    def profiled_saturation(self, count: int, raw_path: Path) -> dict[str, Any]:
        """One more saturation run with py-spy sampling the first worker; not part of the figures."""
        with Profiler(self.workers[0].pid, raw_path):
            run = self._run_burst(count, timeout_s=600)
        raw = raw_path.read_text(encoding="utf-8") if raw_path.exists() else ""
        self.result.profile = {"orders_per_s": run["orders_per_s"], **summarize_collapsed(raw)}
        return self.result.profile
