"""A real `screening worker` subprocess (or another `python -m` command that serves `/ready`): started
with its own settings, asked over HTTP, waited for, crashed or stopped.

Workers run as their own process group so a fault can be a real `kill -9` of the worker and anything
it started.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from pipeline.harness.ports import free_port
from pipeline.settings import PROJECT_ROOT, Settings, settings_env

# `python -m ...` arguments of the screening worker; the bench also runs its pass-through agents.
WORKER_COMMAND = ("-m", "pipeline.cli", "worker")
READY_TIMEOUT_S = 90.0


class WorkerProcess:
    """One worker subprocess with its own web port, data dir (`<log_dir>/<name>-data` unless given)
    and log file (`<log_dir>/<name>.log`); the rest of its settings travel in its environment."""

    def __init__(
        self,
        settings: Settings,
        log_dir: Path,
        name: str,
        extra_env: Mapping[str, str] | None = None,
        *,
        command: Sequence[str] = WORKER_COMMAND,
        data_dir: Path | None = None,
        web_port: int | None = None,
    ) -> None:
        self.name = name
        self._command = list(command)
        self.settings = replace(
            settings, web_port=web_port or free_port(), data_dir=data_dir or log_dir / f"{name}-data"
        )
        self.log_path = log_dir / f"{name}.log"
        self._extra_env = dict(extra_env or {})
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None, "worker not started"
        return self._process.pid

    def start(self) -> WorkerProcess:
        env = {**os.environ, **settings_env(self.settings), **self._extra_env}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            [sys.executable, *self._command],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def url(self, path: str) -> str:
        return f"http://{self.settings.web_host}:{self.settings.web_port}{path}"

    def get(self, path: str) -> tuple[int, dict[str, Any]]:
        """Status and JSON body of `path` on the worker's web port (error statuses included)."""
        try:
            url = f"http://{self.settings.web_host}:{self.settings.web_port}{path}"
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def wait_status(self, path: str, status: int, timeout_s: float = READY_TIMEOUT_S) -> dict[str, Any]:
        """Wait until `path` answers with `status` (the web server may still be starting); fails early,
        with the log tail, if the process died."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.alive():
                msg = f"worker {self.name} exited during start-up; log tail:\n{self.log_tail()}"
                raise RuntimeError(msg)
            try:
                code, body = self.get(path)
                if code == status:
                    return body
            except (OSError, ValueError):
                pass
            time.sleep(0.3)
        msg = f"worker {self.name}: {path} never answered {status} within {timeout_s:.0f}s; log tail:\n"
        raise TimeoutError(msg + self.log_tail())

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        self.wait_status("/ready", 200, timeout_s)

    def wait(self) -> int:
        """Block until the worker exits; its exit code."""
        assert self._process is not None, "worker not started"
        return self._process.wait()

    def wait_exit(self, timeout_s: float) -> int | None:
        """The exit code once the worker exits within `timeout_s`, else None (it is still running)."""
        assert self._process is not None, "worker not started"
        try:
            return self._process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None

    def kill9(self) -> None:
        """The crash a worker cannot clean up after: SIGKILL to its whole process group."""
        if self.alive():
            os.killpg(self.pid, signal.SIGKILL)
            assert self._process is not None
            self._process.wait(timeout=10)
        self._close_log()

    def stop(self, timeout_s: float = 30.0) -> None:
        if self._process is None:
            return
        if self.alive():
            os.killpg(self.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.kill9()
        self._close_log()

    def rss_bytes(self) -> int:
        """Resident memory of the worker process, from /proc."""
        for line in Path(f"/proc/{self.pid}/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None
