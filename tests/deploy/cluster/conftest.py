"""The secured cluster, started for the `cluster` tests and stopped after them if they started it."""

from __future__ import annotations

import gc
import uuid
import warnings
from collections.abc import Iterator

import pytest

from pipeline.acls import acl_plan, apply_acls
from pipeline.kafka.topics import topic_specs
from tests.deploy.cluster.secured import CLUSTER_DIR, SecuredCluster, cluster, running


@pytest.fixture(scope="session")
def secured_cluster() -> Iterator[SecuredCluster]:
    was_running = running()
    # A cluster this session starts begins empty: earlier sessions' topics would slow every start.
    started = cluster("start", fresh=not was_running)
    assert started.returncode == 0, f"cluster.sh start failed:\n{started.stdout}\n{started.stderr}"
    run = uuid.uuid4().hex[:8]
    secured = SecuredCluster(CLUSTER_DIR, prefix=f"cl{run}.", app_id=f"cl{run}")
    settings = secured.settings("admin")
    apply_acls(settings, acl_plan(settings))
    admin = secured.admin()
    try:
        wanted = {
            spec.name: {"num_partitions": spec.partitions, "replication_factor": 3, "configs": spec.configs}
            for spec in topic_specs(settings)
        }
        wanted[settings.topics.allowlist] = {"num_partitions": 1, "replication_factor": 3, "configs": {}}
        admin.create_topics(wanted, raise_errors=True, wait_for_metadata=True)
    finally:
        admin.close()
    yield secured
    if not was_running:
        cluster("stop", timeout=120)


@pytest.fixture(autouse=True)
def collect_refused_sockets() -> Iterator[None]:
    """kafka-python leaves the socket of a refused connection (to a killed node, or after a failed
    bootstrap) to the garbage collector; collected here, not in some later test's module."""
    yield
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "unclosed <(socket.socket|ssl.SSLSocket)", ResourceWarning)
        gc.collect()
