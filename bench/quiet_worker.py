"""The screening worker with faust's terminal spinner off: the experiment behind a profile finding.

faust's Worker always creates a progress spinner and, when the log level is WARNING or above, sets
the root logger to DEBUG so the spinner sees every record. Every debug call in aiokafka and faust
(one per message sent) then builds a LogRecord. This runner is `pipeline/worker/run.py` with that
one difference, so `make bench` can show the cost side by side (`pipeline-quiet` in the results).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import faust

from pipeline.settings import Settings, load_settings


def run_quietly(app: Any, settings: Settings) -> int:
    worker = faust.Worker(app, loglevel=settings.log_level, quiet=True, redirect_stdouts=False)
    worker.spinner = None  # no spinner handler, so the root logger stays at the configured level
    try:
        worker.execute_from_commandline()
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 0


def main() -> int:
    from pipeline.app import create_app

    settings = load_settings()
    logging.basicConfig(level=settings.log_level)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return run_quietly(create_app(settings), settings)


if __name__ == "__main__":
    sys.exit(main())
