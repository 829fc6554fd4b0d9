"""Processes and Kafka plumbing shared by the fault-injection tests and the soak.

Workers run as real `screening worker` subprocesses so a fault can be a real `kill -9`; a dedicated
broker is driven through deploy/kafka/broker.sh so it can be restarted mid-stream.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from kafka import KafkaProducer

from pipeline.audit.conservation import OffsetRef
from pipeline.settings import PROJECT_ROOT, Settings, settings_env
from pipeline.worker.ready_probe import wait_until_ready

BROKER_SCRIPT = PROJECT_ROOT / "deploy" / "kafka" / "broker.sh"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def free_port_pair(first: int = 19600, last: int = 19700) -> tuple[int, int]:
    """Two adjacent free ports below the ephemeral range, where no outgoing connection can take them
    between this check and a broker binding them."""
    for port in range(first, last, 2):
        try:
            for candidate in (port, port + 1):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        return port, port + 1
    msg = f"no two adjacent free ports between {first} and {last}"
    raise RuntimeError(msg)


# `python -m ...` arguments of the screening worker; the bench also runs its pass-through agents.
WORKER_COMMAND = ("-m", "pipeline.cli", "worker")


class WorkerProcess:
    """One `screening worker` subprocess (or `command`) with its own web port, data dir and log file."""

    def __init__(
        self,
        settings: Settings,
        log_dir: Path,
        name: str,
        extra_env: Mapping[str, str] | None = None,
        *,
        command: Sequence[str] = WORKER_COMMAND,
    ) -> None:
        self.name = name
        self._command = list(command)
        self.settings = replace(settings, web_port=free_port(), data_dir=log_dir / f"{name}-data")
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

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        wait_until_ready(
            self.settings.web_port,
            name=f"worker {self.name}",
            alive=self.alive,
            log_tail=self.log_tail,
            timeout_s=timeout_s,
        )

    def kill9(self) -> None:
        """The crash a worker cannot clean up after: SIGKILL to its whole process group."""
        if self.alive():
            os.killpg(self.pid, signal.SIGKILL)
            assert self._process is not None
            self._process.wait(timeout=10)
        self._close_log()

    def stop(self, timeout_s: float = 15.0) -> None:
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


@dataclass(frozen=True, slots=True)
class DedicatedBroker:
    """A broker of its own (port, controller port, data dir) that a test may stop and start."""

    port: int
    controller_port: int
    data_dir: Path

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _run(self, action: str) -> None:
        env = {
            **os.environ,
            "KAFKA_PORT": str(self.port),
            "KAFKA_CONTROLLER_PORT": str(self.controller_port),
            "KAFKA_DATA_DIR": str(self.data_dir),
        }
        done = subprocess.run(["bash", str(BROKER_SCRIPT), action], env=env, capture_output=True, check=False)
        if done.returncode != 0:
            output = (done.stdout + done.stderr).decode("utf-8", errors="replace")[-3000:]
            msg = f"broker.sh {action} on port {self.port} failed ({done.returncode}):\n{output}"
            raise RuntimeError(msg)

    def start(self) -> None:
        self._run("start")

    def stop(self) -> None:
        self._run("stop")


def producer(settings: Settings) -> KafkaProducer:
    return KafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        acks="all",
        linger_ms=5,
        retries=20,
        max_request_size=4 * 1024 * 1024,
        request_timeout_ms=30_000,
    )


def produce(
    settings: Settings, records: Iterable[tuple[str, bytes]], *, topic: str | None = None
) -> list[OffsetRef]:
    """Produce (key, value) records to the orders topic, wait for every ack, return where each landed."""
    sender = producer(settings)
    try:
        futures = [
            sender.send(topic or settings.topics.orders, key=key.encode("utf-8"), value=value)
            for key, value in records
        ]
        sender.flush(timeout=60)
        landed = [future.get(timeout=30) for future in futures]
        return [OffsetRef(meta.partition, meta.offset) for meta in landed]
    finally:
        sender.close()
