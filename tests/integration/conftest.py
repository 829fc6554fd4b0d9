"""A real `screening worker` subprocess per test module, on its own topics of the real broker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.settings import PROJECT_ROOT, Settings, settings_env
from pipeline.topics import ensure_topics

READY_TIMEOUT_S = 90


def worker_env(settings: Settings) -> dict[str, str]:
    """The environment that makes a `screening worker` subprocess use `settings`."""
    return {**os.environ, **settings_env(settings)}


@dataclass
class RunningWorker:
    settings: Settings
    process: subprocess.Popen[bytes]
    log_path: Path

    def url(self, path: str) -> str:
        return f"http://{self.settings.web_host}:{self.settings.web_port}{path}"

    def log_tail(self) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-30:])

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"worker exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url("/ready"), timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        pytest.fail(f"worker not ready within {READY_TIMEOUT_S}s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_worker(settings: Settings) -> RunningWorker:
    log_path = settings.data_dir / "worker.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "worker"],
            cwd=PROJECT_ROOT,
            env=worker_env(settings),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    worker = RunningWorker(settings, process, log_path)
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
