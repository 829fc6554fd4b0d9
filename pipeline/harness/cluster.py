"""The secured three-node cluster of deploy/kafka/cluster.sh, for the cluster tests and fault runs:
its commands, the settings that connect as each of its users, and the state of a topic's replicas."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

from kafka.errors import KafkaError

from pipeline.kafka import clients
from pipeline.settings import PROJECT_ROOT, Settings, load_settings

CLUSTER_SCRIPT = PROJECT_ROOT / "deploy" / "kafka" / "cluster.sh"
# cluster.sh keeps its users' env files and certificates here (KAFKA_CLUSTER_DIR, as the script reads it).
CLUSTER_DIR = Path(os.environ.get("KAFKA_CLUSTER_DIR") or PROJECT_ROOT / ".run" / "cluster").resolve()
USERS = ("admin", "operator", "worker", "console", "producer")


def cluster(*args: str, timeout: float = 600, fresh: bool = False) -> subprocess.CompletedProcess[str]:
    """Run `cluster.sh ARGS`; the environment's KAFKA_CLUSTER_* ports apply."""
    env = {**os.environ, "KAFKA_CLUSTER_FRESH": "1"} if fresh else None
    return subprocess.run(
        ["bash", str(CLUSTER_SCRIPT), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env=env,
    )


def cluster_ok(*args: str, timeout: float = 600) -> str:
    """`cluster(ARGS)`, raising with its output when it fails; its stdout."""
    done = cluster(*args, timeout=timeout)
    if done.returncode != 0:
        msg = f"cluster.sh {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        raise RuntimeError(msg)
    return done.stdout


def running() -> bool:
    return cluster("status", timeout=30).stdout.count(": running") == 3


def env_file(path: Path) -> dict[str, str]:
    """The `export NAME=value` lines cluster.sh writes for a user, as a mapping."""
    pairs = (
        line.removeprefix("export ").split("=", 1) for line in path.read_text().splitlines() if "=" in line
    )
    return dict(pairs)


def user_settings(user: str, prefix: str, app_id: str, partitions: int = 3, **changes: Any) -> Settings:
    """Settings that connect as `user` (from the env file cluster.sh wrote), on `prefix` topics."""
    env = env_file(CLUSTER_DIR / f"{user}.env")
    env |= {
        "SCREENING_TOPIC_PREFIX": prefix,
        "SCREENING_APP_ID": app_id,
        "SCREENING_ORDER_PARTITIONS": str(partitions),
    }
    return dataclasses.replace(load_settings(env), **changes)


def partitions(admin_settings: Settings, topic: str) -> list[dict[str, Any]]:
    """kafka-python's description of each partition of `topic` (leader, replicas, ISR)."""
    admin = clients.admin(admin_settings, "replicas", request_timeout_ms=30_000)
    try:
        (described,) = admin.describe_topics([topic])
    finally:
        admin.close()
    found: list[dict[str, Any]] = described["partitions"]
    return found


def busiest_leader(admin_settings: Settings, topic: str) -> int:
    """The node leading most partitions of `topic`: losing it moves the most leaders."""
    leaders = Counter(p["leader_id"] for p in partitions(admin_settings, topic))
    node: int = leaders.most_common(1)[0][0]
    return node


def wait_for_isr(admin_settings: Settings, topic: str, size: int, timeout_s: float = 180) -> float:
    """Wait until every partition of `topic` has `size` in-sync replicas; the seconds it took."""
    started = time.monotonic()
    last: list[list[int]] = []
    while time.monotonic() - started < timeout_s:
        try:
            found = partitions(admin_settings, topic)
        except (KafkaError, OSError):  # a node coming back may refuse a request or two: ask again
            time.sleep(1.0)
            continue
        last = [p["isr_nodes"] for p in found]
        if all(len(isr) == size for isr in last):
            return time.monotonic() - started
        time.sleep(1.0)
    msg = f"ISR of {topic} not {size} within {timeout_s:.0f}s: {last}"
    raise TimeoutError(msg)
