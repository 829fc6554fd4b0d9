"""A real `screening worker` subprocess per test module, on its own topics of the real broker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipeline.harness.worker_process import WorkerProcess
from pipeline.kafka.topics import ensure_topics
from pipeline.settings import Settings

# The integration tests' name for a worker subprocess.
RunningWorker = WorkerProcess


def start_worker(settings: Settings) -> RunningWorker:
    """A worker on `settings` (its data dir holding the log), ready for orders."""
    worker = WorkerProcess(settings, settings.data_dir, "worker").start()
    try:
        worker.wait_ready()
    except BaseException:
        worker.stop()
        raise
    return worker


def module_worker(
    isolate: Callable[[str, Path], Settings], tmp_path_factory: pytest.TempPathFactory, label: str
) -> Iterator[RunningWorker]:
    """The body of a module-scoped fixture: a ready worker on topics only that module uses."""
    settings = isolate(label, tmp_path_factory.mktemp(label))
    ensure_topics(settings)
    worker = start_worker(settings)
    try:
        yield worker
    finally:
        worker.stop()


@pytest.fixture(scope="module")
def running_worker(
    isolate: Callable[[str, Path], Settings], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningWorker]:
    """One worker for the whole module, on topics only this module uses."""
    yield from module_worker(isolate, tmp_path_factory, "it")
