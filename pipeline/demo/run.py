"""`screening run`: topics, a worker, the bundled sample, a table of routes, then keep serving.

The worker runs as a child process (`screening worker`), exactly as in production; this module
only orchestrates and reads the outcomes back.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.table import Table

from pipeline.harness.ports import preferred_or_free
from pipeline.harness.worker_process import WorkerProcess
from pipeline.kafka.groups import remove_run, run_app_id, start_group_at
from pipeline.kafka.orders import produce, read_records
from pipeline.kafka.outcomes import OffsetRange, RunOutcome, collect, end_offsets, mark_outputs
from pipeline.kafka.topics import ensure_topics
from pipeline.settings import BUNDLED_DATA, Settings

SAMPLE_ORDERS = BUNDLED_DATA / "samples" / "orders.jsonl"
READY_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 30.0
ROUTE_ORDER = ("hold", "license", "release")


def routes_table(outcome: RunOutcome, produced: int) -> Table:
    table = Table(title=f"Screening outcomes for {produced} orders")
    table.add_column("Route")
    table.add_column("Orders", justify="right")
    for route in ROUTE_ORDER:
        table.add_row(route, str(outcome.routes.get(route, 0)))
    table.add_row("invalid", str(sum(outcome.invalid_reasons.values())))
    table.add_section()
    table.add_row("total", str(outcome.total))
    return table


def reasons_table(outcome: RunOutcome) -> Table:
    table = Table(title="Invalid records by reason")
    table.add_column("Reason")
    table.add_column("Records", justify="right")
    for reason, count in sorted(outcome.invalid_reasons.items()):
        table.add_row(reason, str(count))
    return table


def run_demo(settings: Settings, *, once: bool, sample: Path = SAMPLE_ORDERS) -> int:
    console = Console()
    ensure_topics(settings)
    group = run_app_id(settings)
    start_group_at(settings, group, settings.topics.orders, end_offsets(settings, settings.topics.orders))
    worker = WorkerProcess(
        replace(settings, app_id=group),
        settings.data_dir,
        "run-worker",
        data_dir=settings.data_dir,
        web_port=preferred_or_free(settings.web_host, settings.web_port),
    )
    console.print(f"Starting worker {group} (log: {worker.log_path}, {worker.url('/ready')})")
    worker.start()
    try:
        worker.wait_ready(READY_TIMEOUT_S)
        return _screen_sample(console, settings, worker, sample, once=once)
    finally:
        worker.stop(STOP_TIMEOUT_S)
        remove_run(settings, group)


def _screen_sample(
    console: Console, settings: Settings, worker: WorkerProcess, sample: Path, *, once: bool
) -> int:
    records = read_records(sample)
    outputs = mark_outputs(settings)
    before = end_offsets(settings, settings.topics.orders)
    produce(settings, records)
    produced = OffsetRange(before, end_offsets(settings, settings.topics.orders))
    outcome = collect(settings, outputs, produced)
    console.print(routes_table(outcome, len(records)))
    if outcome.invalid_reasons:
        console.print(reasons_table(outcome))
    if outcome.total < produced.size:
        console.print(f"[red]Only {outcome.total} of {produced.size} orders have an outcome[/red]")
        return 1
    if once:
        return 0
    console.print("Worker keeps serving; press Ctrl-C to stop.")
    with contextlib.suppress(KeyboardInterrupt):
        worker.wait()
    return 0
