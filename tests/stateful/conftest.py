"""Fixtures: own topics on the real broker, and real `screening worker` processes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from stateful_support import PARTITIONS, Worker  # type: ignore[import-not-found]

from pipeline.kafka.topics import ensure_topics
from pipeline.settings import Settings

QUIET = {"SCREENING_LOG_LEVEL": "WARNING"}


@pytest.fixture
def flow(isolate: Callable[[str, Path], Settings], tmp_path: Path) -> Settings:
    """Own topics (created) and consumer group on the real broker.

    The fixture orders ship in March 2026; a long retention keeps them open for the tests that
    revise, cancel or re-screen them (test_stateful_retention.py tests the default).
    """
    settings = replace(
        isolate("stateful", tmp_path), order_partitions=PARTITIONS, state_retention_days=36_500
    )
    ensure_topics(settings)
    return settings


@pytest.fixture
def start_workers(tmp_path: Path) -> Iterator[Callable[..., list[Worker]]]:
    """`start(settings, n)`: n workers of one group (own web port and data dir each), ready unless told.

    `data_dir` starts one worker on that directory (a restart on the same disk) instead of a new one.
    """
    started: list[Worker] = []

    def start(
        settings: Settings, count: int, *, ready: bool = True, data_dir: Path | None = None
    ) -> list[Worker]:
        batch = []
        for _ in range(count):
            name = f"w{len(started)}"
            worker = Worker(settings, tmp_path, name, QUIET, data_dir=data_dir or tmp_path / name).start()
            started.append(worker)
            batch.append(worker)
        for worker in batch if ready else ():
            worker.wait_ready()
        return batch

    yield start
    for worker in started:
        worker.stop()
