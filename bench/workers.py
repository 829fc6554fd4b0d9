"""Worker subprocesses for a measurement: the screening worker, the faust pass-through agents, and the
Quix Streams pass-through and screening apps (bench/quix.py).

All read `SCREENING_*` settings, serve `/ready`, and are measured from the outside through /proc
so that the measurement costs them nothing.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path

from pipeline.harness.worker_process import WORKER_COMMAND, WorkerProcess
from pipeline.settings import Settings


class WorkerKind(StrEnum):
    PASSTHROUGH = "passthrough"
    PIPELINE = "pipeline"
    PASSTHROUGH_DIRECT = "passthrough-direct"
    QUIX_PASSTHROUGH = "quix-passthrough"
    QUIX_SCREENING = "quix-screening"


_COMMANDS = {
    WorkerKind.PASSTHROUGH: ["-m", "bench.passthrough"],
    WorkerKind.PIPELINE: list(WORKER_COMMAND),
    WorkerKind.PASSTHROUGH_DIRECT: ["-m", "bench.passthrough", "--direct"],
    WorkerKind.QUIX_PASSTHROUGH: ["-m", "bench.quix"],
    WorkerKind.QUIX_SCREENING: ["-m", "bench.quix", "--screen"],
}


def bench_worker(
    kind: WorkerKind,
    settings: Settings,
    run_dir: Path,
    name: str,
    extra_env: dict[str, str] | None = None,
) -> WorkerProcess:
    """A worker of `kind`: its party lists travel in the environment, `extra_env` carries experiments
    (faust's PRODUCER_LINGER, say)."""
    env = {"SCREENING_PARTY_LIST_FILES": os.pathsep.join(str(p) for p in settings.party_list_files)}
    return WorkerProcess(settings, run_dir, name, {**env, **(extra_env or {})}, command=_COMMANDS[kind])
