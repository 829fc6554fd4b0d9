"""`screening run`: topics, a worker, the bundled sample, a table of routes, then keep serving.

The worker runs as a child process (`screening worker`), exactly as in production; this module
only orchestrates and reads the outcomes back.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from rich.console import Console
from rich.table import Table

from pipeline.demo.collect import OffsetRange, RunOutcome, collect, end_offsets, mark_outputs
from pipeline.demo.group import remove_run, run_app_id, start_group_at
from pipeline.demo.produce import produce, read_records
from pipeline.settings import BUNDLED_DATA, Settings
from pipeline.topics import ensure_topics

SAMPLE_ORDERS = BUNDLED_DATA / "samples" / "orders.jsonl"
READY_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 30.0
ROUTE_ORDER = ("hold", "license", "release")


def free_port(host: str, preferred: int) -> int:
    """`preferred` when nothing listens there, else a port the OS picks."""
    with socket.socket() as probe:
        if probe.connect_ex((host, preferred)) != 0:
            return preferred
    with socket.socket() as spare:
        spare.bind((host, 0))
        return int(spare.getsockname()[1])


def start_worker(app_id: str, web_port: int, log_path: Path) -> subprocess.Popen[bytes]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "worker", "--web-port", str(web_port), "--app-id", app_id],
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def wait_ready(worker: subprocess.Popen[bytes], host: str, port: int, log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    url = f"http://{host}:{port}/ready"
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            msg = f"the worker exited with code {worker.returncode}; see {log_path}"
            raise RuntimeError(msg)
        with (
            contextlib.suppress(urllib.error.URLError, OSError),
            urllib.request.urlopen(url, timeout=2) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.5)
    msg = f"the worker was not ready within {READY_TIMEOUT_S:.0f}s; see {log_path}"
    raise RuntimeError(msg)


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is not None:
        return
    worker.terminate()
    try:
        worker.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


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
    web_port = free_port(settings.web_host, settings.web_port)
    log_path = settings.data_dir / "run-worker.log"
    console.print(f"Starting worker {group} (log: {log_path}, http://{settings.web_host}:{web_port}/ready)")
    worker = start_worker(group, web_port, log_path)
    try:
        wait_ready(worker, settings.web_host, web_port, log_path)
        return _screen_sample(console, settings, worker, sample, once=once)
    finally:
        stop_worker(worker)
        remove_run(settings, group)


def _screen_sample(
    console: Console, settings: Settings, worker: subprocess.Popen[bytes], sample: Path, *, once: bool
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
