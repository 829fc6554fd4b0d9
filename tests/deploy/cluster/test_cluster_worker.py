"""The worker and `screening topics create` on the secured cluster: topics made by the operator with
replication 3 and min ISR 2 (one replica refused unless asked for), a worker with exactly its least-
privilege grants and an idempotent producer, and a worker that must not start told so in one line."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from kafka import TopicPartition
from kafka.admin import (
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ConfigResource,
    ConfigResourceType,
    ResourcePatternFilter,
    ResourceType,
)
from pydantic import SecretStr

from pipeline.acls import acl_plan, apply_acls, worker_grants
from pipeline.harness.cluster import user_settings
from pipeline.harness.worker_process import WorkerProcess
from pipeline.kafka import clients
from pipeline.kafka.topics import ensure_topics, topic_specs
from pipeline.settings import PROJECT_ROOT, Settings, settings_env
from pipeline.worker.run import START_REFUSED
from soak.runs import FAST_GROUP_ENV, FaultRun
from tests.deploy.cluster.secured import SecuredCluster
from tests.deploy.cluster.test_cluster import _untrusted_ca

pytestmark = [pytest.mark.cluster, pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(600)]

ORDERS = 150


def fresh(user: str, name: str, **changes: Any) -> Settings:
    """Settings for `user` on topics and a group of their own, granted as the ACL plan says."""
    tag = f"cw-{name}-{uuid.uuid4().hex[:6]}"
    settings = user_settings(user, f"{tag}.", tag, 3, **changes)
    admin = user_settings("admin", f"{tag}.", tag, 3)
    apply_acls(admin, acl_plan(admin))
    return settings


def topics_create(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "topics", "create", *args],
        env={**os.environ, **settings_env(settings)},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=PROJECT_ROOT,
    )


def described(settings: Settings, names: list[str]) -> dict[str, dict[str, Any]]:
    admin = clients.admin(user_settings("admin", settings.topic_prefix, settings.app_id), "test")
    try:
        topics = {t["name"]: t for t in admin.describe_topics(names) if t["error_code"] == 0}
        resources = [ConfigResource(ConfigResourceType.TOPIC, n) for n in topics]
        configs = admin.describe_configs(resources) if resources else {"topic": {}}
    finally:
        admin.close()
    for name, entries in configs["topic"].items():
        topics[name]["configs"] = {key: entry["value"] for key, entry in entries.items()}
    return topics


def test_topics_create_refuses_one_replica_of_the_order_flow_unless_told(tmp_path: Path) -> None:
    single = fresh("operator", "single", replication_factor=1, min_insync_replicas=1)
    names = [spec.name for spec in topic_specs(single)]

    refused = topics_create(single)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert refused.stderr.count("\n") == 1
    order_flow = sum(spec.order_flow for spec in topic_specs(single))
    assert refused.stderr.startswith(f"error: refusing to create {order_flow} order-flow topics")
    assert "on a cluster of 3 brokers" in refused.stderr
    assert described(single, names) == {}, "a refused plan must create nothing"

    allowed = topics_create(single, "--allow-single-replica")
    assert allowed.returncode == 0, allowed.stderr
    orders = described(single, [single.topics.orders])[single.topics.orders]
    assert all(len(p["replica_nodes"]) == 1 for p in orders["partitions"])


def test_topics_create_takes_replication_and_min_isr_from_the_settings() -> None:
    operator = fresh("operator", "replicated")
    assert (operator.replication_factor, operator.min_insync_replicas) == (3, 2)
    made = topics_create(operator)
    assert made.returncode == 0, made.stderr
    names = [spec.name for spec in topic_specs(operator)]
    found = described(operator, names)
    assert sorted(found) == sorted(names)
    for name, topic in found.items():
        assert all(len(p["replica_nodes"]) == 3 for p in topic["partitions"]), name
        assert topic["configs"]["min.insync.replicas"] == "2", name


def test_ensure_topics_needs_no_create_grant_for_topics_that_exist(secured_cluster: SecuredCluster) -> None:
    worker = secured_cluster.settings("worker")
    # The topics the worker uses (it may not even see the reviewers' ones, so cannot tell if they exist).
    used = {g.name for g in worker_grants(worker, "worker") if g.pattern == "literal"}
    own = [
        spec for spec in topic_specs(worker) if spec.name in used or spec.name.startswith(f"{worker.app_id}-")
    ]
    created, existing = ensure_topics(worker, own)
    assert created == []
    assert existing == sorted(spec.name for spec in own)
    names = worker.topics
    reviewers_only = {names.holds_reviews, names.audit, names.claims, names.holds_current}
    assert {spec.name for spec in topic_specs(worker)} - set(existing) == reviewers_only

    # Where a topic is missing, the worker may not make it: the broker's refusal is reported.
    missing = fresh("worker", "nocreate")
    with pytest.raises(RuntimeError, match=r"could not create topics: .*orders: .*[Aa]uthoriz"):
        ensure_topics(missing)


def acls_of(admin: Settings, principal: str) -> set[tuple[str, str, str, str]]:
    """(resource, name, pattern, operation) of every ACL granted to `principal`."""
    client = clients.admin(admin, "acls")
    try:
        wanted = ACLFilter(
            principal=principal,
            host="*",
            operation=ACLOperation.ANY,
            permission_type=ACLPermissionType.ANY,
            resource_pattern=ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY),
        )
        found, _error = client.describe_acls(wanted)
    finally:
        client.close()
    return {
        (
            acl.resource_pattern.resource_type.name.lower(),
            acl.resource_pattern.resource_name,
            acl.resource_pattern.pattern_type.name.lower(),
            acl.operation.name.replace("_", "").lower(),
        )
        for acl in found
    }


def test_the_worker_screens_with_exactly_its_grants_and_an_idempotent_producer(tmp_path: Path) -> None:
    worker = fresh("worker", "least", state_retention_days=36_500)
    admin = user_settings("admin", worker.topic_prefix, worker.app_id, 3, state_retention_days=36_500)
    granted = {
        acl
        for acl in acls_of(admin, "User:worker")
        if acl[1].startswith((worker.topic_prefix, worker.app_id))
    }
    planned = {(g.resource, g.name, g.pattern, g.operation.lower()) for g in worker_grants(worker, "worker")}
    assert granted == planned
    assert not any(operation == "create" for *_, operation in granted)
    assert (worker.topics.decisions, "read") not in {(name, op) for _, name, _, op in granted}

    run = FaultRun(admin, tmp_path, worker_settings=worker)
    try:
        run.start_worker("least")
        run.produce_orders(ORDERS)
        run.assert_conserved(run.settle(timeout_s=180), "worker with least privilege on the cluster")
        assert all(w.alive() for w in run.workers), run.logs()
    finally:
        run.close()

    # Only an idempotent producer is given a producer id the brokers track per partition.
    client = clients.admin(admin, "producers")
    try:
        states = client.describe_producers([TopicPartition(worker.topics.decisions, p) for p in range(3)])
    finally:
        client.close()
    producers = [p for state in states.values() for p in state.active_producers]
    assert producers, "no producer state on screening.decisions: the worker's producer is not idempotent"
    assert all(p.producer_id >= 0 for p in producers)


def refused_start(settings: Settings, tmp_path: Path) -> str:
    """Run a worker that must not start; its exit code checked, its one line returned."""
    worker = WorkerProcess(settings, tmp_path, "refused", FAST_GROUP_ENV).start()
    try:
        code = worker.wait_exit(timeout_s=120)
    finally:
        worker.stop()
    log = worker.log_path.read_text(encoding="utf-8")
    assert code == START_REFUSED, log
    assert "Traceback" not in log
    lines = [line for line in log.splitlines() if line.startswith("screening worker: ")]
    assert len(lines) == 1, log
    return lines[0]


def test_a_worker_with_a_wrong_password_exits_with_one_line(
    secured_cluster: SecuredCluster, tmp_path: Path
) -> None:
    wrong = secured_cluster.settings("worker", sasl_password_file=None, sasl_password=SecretStr("not-it"))
    line = refused_start(wrong, tmp_path)
    assert "SASL login as 'worker' refused by 127.0.0.1:" in line


def test_a_worker_with_an_untrusted_ca_exits_with_one_line(
    secured_cluster: SecuredCluster, tmp_path: Path
) -> None:
    untrusted = secured_cluster.settings("worker", ssl_cafile=_untrusted_ca(tmp_path))
    line = refused_start(untrusted, tmp_path)
    assert "TLS handshake with 127.0.0.1:" in line
    assert "certificate verify failed" in line


def test_a_worker_without_its_grants_exits_naming_them(
    secured_cluster: SecuredCluster, tmp_path: Path
) -> None:
    # The order source's principal, started as a worker: it may not read orders nor write routes.
    producer = secured_cluster.settings("producer")
    line = refused_start(producer, tmp_path)
    assert "the worker's principal lacks" in line
    assert f"producer may not Read topic {producer.topics.orders}" in line
    assert f"producer may not Write topic {producer.topics.release}" in line
