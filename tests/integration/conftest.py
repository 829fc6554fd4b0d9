"""A real `screening worker` subprocess per test module, on its own topics of the real broker."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipeline.settings import Settings, settings_env
from pipeline.topics import ensure_topics
from tests.worker_process import WorkerProcess, spawn_worker

# The integration tests' name for a worker subprocess.
RunningWorker = WorkerProcess


def worker_env(settings: Settings) -> dict[str, str]:
    """The environment that makes a `screening worker` subprocess use `settings`."""
    return {**os.environ, **settings_env(settings)}


def start_worker(settings: Settings) -> RunningWorker:
    """A worker on `settings`, ready for orders."""
    worker = spawn_worker(settings, worker_env(settings))
    try:
        worker.wait_ready()
    except BaseException:
        worker.stop()
        raise
    return worker


@pytest.fixture(scope="module")
def running_worker(
    isolate: Callable[[str, Path], Settings], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningWorker]:
    """One worker for the whole module, on topics only this module uses."""
    settings = isolate("it", tmp_path_factory.mktemp("worker"))
    ensure_topics(settings)
    worker = start_worker(settings)
    try:
        yield worker
    finally:
        worker.stop()
