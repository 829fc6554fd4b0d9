"""A real `screening worker` subprocess for tests: started, asked over HTTP, waited for, stopped."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pipeline.settings import PROJECT_ROOT, Settings

READY_TIMEOUT_S = 90


@dataclass
class WorkerProcess:
    settings: Settings
    process: subprocess.Popen[bytes]
    log_path: Path

    def url(self, path: str) -> str:
        return f"http://{self.settings.web_host}:{self.settings.web_port}{path}"

    def get(self, path: str) -> tuple[int, dict[str, Any]]:
        """Status and JSON body of `path` on the worker's web port (error statuses included)."""
        try:
            with urllib.request.urlopen(self.url(path), timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def log_tail(self) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-40:])

    def wait_ready(self) -> None:
        self.wait_status("/ready", 200)

    def wait_status(self, path: str, status: int) -> dict[str, Any]:
        """Wait until `path` answers with `status` (the web server may still be starting)."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"worker exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                code, body = self.get(path)
                if code == status:
                    return body
            except (urllib.error.URLError, OSError, ValueError):
                pass
            time.sleep(0.3)
        pytest.fail(f"{path} never answered {status} within {READY_TIMEOUT_S}s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def spawn_worker(settings: Settings, env: Mapping[str, str]) -> WorkerProcess:
    """Start `screening worker` with `env`, its output in `worker.log` of its data dir; not waited for."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    log_path = settings.data_dir / "worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "worker"],
            cwd=PROJECT_ROOT,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return WorkerProcess(settings, process, log_path)
