"""Worker subprocesses for a measurement: the screening worker or the pass-through agent.

Both read `SCREENING_*` settings, serve `/ready`, and are measured from the outside through /proc
so that the measurement costs them nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import IO

from pipeline.settings import PROJECT_ROOT, Settings
from pipeline.worker.ready_probe import wait_until_ready
from soak.harness import free_port, settings_env


class WorkerKind(StrEnum):
    PASSTHROUGH = "passthrough"
    PIPELINE = "pipeline"
    PASSTHROUGH_DIRECT = "passthrough-direct"


_COMMANDS = {
    WorkerKind.PASSTHROUGH: ["-m", "bench.passthrough"],
    WorkerKind.PIPELINE: ["-m", "pipeline.cli", "worker"],
    WorkerKind.PASSTHROUGH_DIRECT: ["-m", "bench.passthrough", "--direct"],
}


class BenchWorker:
    """One worker subprocess with its own web port, data dir and log file."""

    def __init__(
        self,
        kind: WorkerKind,
        settings: Settings,
        run_dir: Path,
        name: str,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.kind = kind
        self.extra_env = dict(extra_env or {})
        self.name = name
        self.settings = replace(settings, web_port=free_port(), data_dir=run_dir / f"{name}-data")
        self.log_path = run_dir / f"{name}.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None, "worker not started"
        return self._process.pid

    def start(self) -> BenchWorker:
        env = {**os.environ, **settings_env(self.settings)}
        env["SCREENING_PARTY_LIST_FILES"] = os.pathsep.join(str(p) for p in self.settings.party_list_files)
        env.update(self.extra_env)  # experiments, e.g. faust's PRODUCER_LINGER
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            [sys.executable, *_COMMANDS[self.kind]],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def wait_ready(self, timeout_s: float = 120.0) -> None:
        wait_until_ready(
            self.settings.web_port,
            name=self.name,
            alive=self.alive,
            log_tail=self.log_tail,
            timeout_s=timeout_s,
        )

    def stop(self, timeout_s: float = 20.0) -> None:
        if self._process is not None and self.alive():
            os.killpg(self.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self._process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
