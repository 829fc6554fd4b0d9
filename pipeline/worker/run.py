"""Run the faust worker under our own CLI: we parse arguments, faust runs the event loop."""

from __future__ import annotations

import logging

from pipeline.settings import Settings
from pipeline.worker.observer import WorkerObserver


def run_worker(settings: Settings, observer: WorkerObserver | None = None) -> int:
    """Block until the worker stops (SIGINT/SIGTERM); return its exit code."""
    import faust

    from pipeline.app import create_app

    logging.basicConfig(level=settings.log_level)
    # faust creates only the last level of its data dir; a fresh clone has no .run/worker yet.
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = create_app(settings, observer=observer)
    worker = faust.Worker(app, loglevel=settings.log_level, quiet=True, redirect_stdouts=False)
    try:
        worker.execute_from_commandline()
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 0
