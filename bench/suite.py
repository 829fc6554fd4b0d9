"""`make bench`: every layer measured in one run, on the broker named by SCREENING_BOOTSTRAP_SERVERS.

Order: the broker's ceiling (Kafka perf tools), the framework's ceiling (faust pass-through agent),
the pipeline with one worker, the stricter faust ceiling, the Quix Streams screening app and
pass-through, the pipeline with two workers, then the engine, party screening and the worker's own
code offline. bench/run.sh starts
and stops the broker around it.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import time
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.kafka_perf import consumer_ceiling, producer_ceiling
from bench.list_generator import write_list
from bench.machine import load_average, machine_info
from bench.offline import run_offline
from bench.orders import OrderMix
from bench.report import markdown_table, print_summary, summarize, write_plot, write_results
from bench.sessions import Session, SessionResult
from bench.workers import WorkerKind
from pipeline.kafka.topics import TopicSpec, ensure_topics
from pipeline.settings import PROJECT_ROOT, Settings, load_settings

RESULTS_DIR = PROJECT_ROOT / "bench-results"
RUN_DIR = PROJECT_ROOT / ".run" / "bench"
# Past this p99 a load point counts as beyond saturation and higher loads are skipped.
SATURATED_P99_MS = 2_000.0


@dataclass(frozen=True, slots=True)
class Sizes:
    perf_records: int = 100_000
    saturation_orders: int = 6_000
    repeats: int = 3
    load_seconds: float = 10.0
    loads: tuple[float, ...] = (50, 100, 250, 500, 1000, 1500, 2000)
    list_entries: int = 50_000


QUICK = Sizes(perf_records=20_000, saturation_orders=2_000, repeats=1, load_seconds=5.0, loads=(250, 1000))


def _sample_payloads(mix: OrderMix, path: Path, count: int = 2_000) -> list[int]:
    payloads = [mix.encoded(i, f"perf-{i:07d}") for i in range(count)]
    path.write_bytes(b"\n".join(payloads))
    return [len(p) for p in payloads]


def broker_ceiling(settings: Settings, sizes: Sizes, payload_file: Path) -> dict[str, Any]:
    topic = f"bench-perf-{uuid.uuid4().hex[:6]}"
    ensure_topics(settings, [TopicSpec(topic, settings.order_partitions)])
    produced = producer_ceiling(settings.bootstrap_servers, topic, sizes.perf_records, payload_file)
    consumed = consumer_ceiling(settings.bootstrap_servers, topic, sizes.perf_records)
    return {
        "producer": asdict(produced),
        "consumer": asdict(consumed),
        "partitions": settings.order_partitions,
    }


def _session(
    kind: WorkerKind,
    workers: int,
    *,
    settings: Settings,
    mix: OrderMix,
    sizes: Sizes,
    loads: tuple[float, ...],
    profile_path: Path | None = None,
    worker_env: dict[str, str] | None = None,
) -> SessionResult:
    print(f"-- {kind.value}, {workers} worker(s)", flush=True)
    with Session(kind, workers, settings, RUN_DIR, mix.encoded, worker_env=worker_env) as session:
        for run in session.saturation(sizes.saturation_orders, sizes.repeats):
            print(
                f"   saturation: {run['orders_per_s']:.0f} orders/s working off {run['backlog_orders']}, "
                f"cpu {run['cpu_cores_per_worker']} (whole burst {run['burst_orders_per_s']:.0f}/s)",
                flush=True,
            )
        if profile_path is not None:
            found = session.profiled_saturation(sizes.saturation_orders, profile_path)
            print(f"   profiled run: {found.get('samples', 0)} samples", flush=True)
        for rate in loads:
            point = session.fixed_load(rate, sizes.load_seconds)
            print(
                f"   {rate:.0f}/s offered: {point['decided']}/{point['sent']} decided, {point['latency']}, "
                f"{point['cpu_ms_per_order']} ms CPU per order",
                flush=True,
            )
            if point["decided"] < point["sent"] or point["latency"]["p99_ms"] > SATURATED_P99_MS:
                print("   beyond saturation; higher loads skipped", flush=True)
                break
    return session.result


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for trying the bench out")
    parser.add_argument(
        "--skip-offline", action="store_true", help="leave out bench/engine.py and parties.py"
    )
    parser.add_argument(
        "--worker-env", action="append", default=[], metavar="NAME=VALUE", help="extra worker environment"
    )
    parser.add_argument("--tag", default="", help="suffix for the result files of an experiment")
    args = parser.parse_args(argv)
    # SIGTERM (and SIGINT, which a background job ignores) unwind the sessions so workers are stopped.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    worker_env = dict(item.split("=", 1) for item in args.worker_env)
    suffix = f"-{args.tag}" if args.tag else ""
    sizes = QUICK if args.quick else Sizes()
    started = time.time()
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    base = replace(load_settings(), log_level="WARNING")
    big_list = write_list(RUN_DIR / "party-list-50k.csv", sizes.list_entries)
    pipeline_settings = replace(base, party_list_files=(*base.party_list_files, big_list))
    mix = OrderMix(base.party_list_files[0])
    sizes_bytes = _sample_payloads(mix, RUN_DIR / "payloads.txt")
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "load_average_start": load_average(),
        "sizes": asdict(sizes),
        "worker_env": worker_env,
        "order_bytes": {"median": statistics.median(sizes_bytes), "max": max(sizes_bytes)},
    }
    print("-- broker ceiling (ProducerPerformance, ConsumerPerformance)", flush=True)
    results["broker"] = broker_ceiling(base, sizes, RUN_DIR / "payloads.txt")
    profile = RESULTS_DIR / f"profile-pipeline{suffix}.txt"
    # (layer, workers, settings, fixed loads, profile file). The Quix Streams layers run saturation
    # only: they are the bar the worker's orders per CPU-second are held to, not a latency curve.
    plan: list[tuple[WorkerKind, int, Settings, tuple[float, ...], Path | None]] = [
        (WorkerKind.PASSTHROUGH, 1, base, sizes.loads, None),
        (WorkerKind.PIPELINE, 1, pipeline_settings, sizes.loads, profile),
        (WorkerKind.PASSTHROUGH_DIRECT, 1, base, (1000,), None),
        (WorkerKind.QUIX_SCREENING, 1, pipeline_settings, (), None),
        (WorkerKind.QUIX_PASSTHROUGH, 1, base, (), None),
        (WorkerKind.PIPELINE, 2, pipeline_settings, (1000,), None),
    ]
    sessions = [
        _session(
            kind,
            workers,
            settings=settings,
            mix=mix,
            sizes=sizes,
            loads=loads,
            profile_path=profile_path,
            worker_env=worker_env,
        )
        for kind, workers, settings, loads, profile_path in plan
    ]
    results["sessions"] = [asdict(s) for s in sessions]
    if not args.skip_offline:
        print("-- engine, party screening and the worker's own code offline", flush=True)
        results["offline"] = {name: run_offline(name) for name in ("engine", "parties", "processing")}
    results["load_average_end"] = load_average()
    results["seconds"] = round(time.time() - started, 1)
    results["summary"] = summarize(results)
    write_results(results, RESULTS_DIR / f"results{suffix}.json")
    write_plot(results, RESULTS_DIR / f"latency-vs-load{suffix}.png")
    (RESULTS_DIR / f"summary{suffix}.md").write_text(markdown_table(results), encoding="utf-8")
    print_summary(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
