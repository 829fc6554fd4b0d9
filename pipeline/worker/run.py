"""Run the faust worker under our own CLI: we parse arguments, faust runs the event loop."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import TYPE_CHECKING

from pipeline.settings import Settings
from pipeline.worker.observer import PipelineObserver

if TYPE_CHECKING:
    import faust

# Exit code of a worker that must not start: its login, certificate or grants were refused.
START_REFUSED = 2


def quiet_worker(app: faust.App, settings: Settings) -> faust.Worker:
    """A faust Worker without its terminal spinner.

    With the spinner faust sets the root logger to DEBUG so the spinner sees every record, and each
    debug call of aiokafka per message then builds a LogRecord nobody prints (5.6 % of worker time).
    Without it the root logger keeps `settings.log_level`.
    """
    import faust

    worker = faust.Worker(app, loglevel=settings.log_level, quiet=True, redirect_stdouts=False)
    worker.spinner = None
    return worker


def use_event_loop(settings: Settings) -> None:
    """Make every event loop created from now on `settings.event_loop`: the worker's and the one faust
    runs its Kafka consumer thread on (faust's own `FAUST_LOOP=uvloop` does the same, at import)."""
    if settings.event_loop == "uvloop":
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    else:
        asyncio.set_event_loop_policy(asyncio.DefaultEventLoopPolicy())


def wait_for_cluster(settings: Settings) -> str | None:
    """Run the preflight (pipeline/worker/preflight.py) on the loop faust will then use; the reason
    the worker must not start, or None."""
    from pipeline.worker.preflight import StartRefusedError, preflight

    use_event_loop(settings)
    # Not asyncio.run: it leaves no current loop behind, and faust takes the current one.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(preflight(settings))
    except StartRefusedError as refused:
        return str(refused)
    return None


def run_worker(settings: Settings, observer: PipelineObserver | None = None) -> int:
    """Block until the worker stops (SIGINT/SIGTERM); return its exit code.

    Without an `observer` the worker exports its Prometheus metrics on `/metrics` of its web port.
    """
    from prometheus_client import CollectorRegistry

    from pipeline.app import create_app
    from pipeline.metrics import MetricsObserver, serve_metrics
    from pipeline.worker.reference_metrics import PIPELINE_RULE_IDS

    logging.basicConfig(level=settings.log_level)
    # faust creates only the last level of its data dir; a fresh clone has no .run/worker yet.
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    refused = wait_for_cluster(settings)
    if refused is not None:
        print(f"screening worker: {refused}", file=sys.stderr)
        return START_REFUSED
    registry: CollectorRegistry | None = None
    if observer is None:
        registry = CollectorRegistry()
        observer = MetricsObserver(registry, builtin_rule_ids=PIPELINE_RULE_IDS)
    app = create_app(settings, observer=observer)
    if registry is not None:
        serve_metrics(app, registry)
    worker = quiet_worker(app, settings)
    try:
        worker.execute_from_commandline()
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 0
