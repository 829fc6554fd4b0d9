"""A Kafka broker of its own, driven through deploy/kafka/broker.sh, that a test may stop and start."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pipeline.settings import PROJECT_ROOT

BROKER_SCRIPT = PROJECT_ROOT / "deploy" / "kafka" / "broker.sh"


@dataclass(frozen=True, slots=True)
class DedicatedBroker:
    """Port, controller port and data dir of a broker nobody else uses."""

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
