"""The secured three-node cluster (deploy/kafka/cluster.sh) as the `cluster` tests see it.

Each test session uses its own topic prefix and app id, grants their ACLs as the admin user and
creates their topics with replication 3, so runs never see each other's data.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from kafka import KafkaAdminClient, KafkaConsumer

from pipeline.harness.cluster import CLUSTER_DIR, USERS, cluster, env_file, running
from pipeline.security import kafka_python_config
from pipeline.settings import Settings, load_settings

__all__ = ["CLUSTER_DIR", "USERS", "SecuredCluster", "cluster", "read_values", "running"]


@dataclasses.dataclass(frozen=True)
class SecuredCluster:
    directory: Path
    prefix: str
    app_id: str

    def settings(self, user: str, **changes: object) -> Settings:
        """Settings that connect as `user`, loaded from the env file cluster.sh wrote for it."""
        env = env_file(self.directory / f"{user}.env")
        env |= {"SCREENING_TOPIC_PREFIX": self.prefix, "SCREENING_APP_ID": self.app_id}
        env["SCREENING_ORDER_PARTITIONS"] = "3"
        return dataclasses.replace(load_settings(env), **changes)  # type: ignore[arg-type]

    def admin(self, user: str = "admin") -> KafkaAdminClient:
        settings = self.settings(user)
        return KafkaAdminClient(
            bootstrap_servers=settings.bootstrap_servers,
            request_timeout_ms=30_000,
            **kafka_python_config(settings),
        )


def read_values(consumer: KafkaConsumer, prefix: bytes, count: int, timeout_s: float = 60) -> list[bytes]:
    """The values starting with `prefix`, read until `count` arrived (or the timeout, to show what did)."""
    found: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    while len(found) < count and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=1000).values():
            found.extend(r.value for r in records if r.value is not None and r.value.startswith(prefix))
    return found
