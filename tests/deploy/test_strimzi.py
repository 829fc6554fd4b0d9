"""The Strimzi example (deploy/strimzi): generated from the code's topic list and ACL plan, and as
durable as the local secured cluster."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from pipeline.acls import Grant, acl_plan
from pipeline.kafka.topics import topic_specs
from pipeline.settings import PROJECT_ROOT, Settings

STRIMZI = PROJECT_ROOT / "deploy" / "strimzi"
NODE_TEMPLATE = PROJECT_ROOT / "deploy" / "kafka" / "cluster-node.properties"
DURABILITY = (
    "default.replication.factor",
    "min.insync.replicas",
    "unclean.leader.election.enable",
    "offsets.topic.replication.factor",
    "transaction.state.log.replication.factor",
    "transaction.state.log.min.isr",
    "auto.create.topics.enable",
)


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def test_the_generated_files_are_current() -> None:
    # Default settings: the committed example is for an unprefixed topic set.
    env = {name: value for name, value in os.environ.items() if not name.startswith("SCREENING_")}
    result = subprocess.run(
        [sys.executable, str(STRIMZI / "generate.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stderr


def test_every_topic_has_three_replicas_two_in_sync() -> None:
    topics = {doc["spec"]["topicName"]: doc["spec"] for doc in documents(STRIMZI / "topics.yaml")}
    settings = Settings()
    assert set(topics) == {spec.name for spec in topic_specs(settings)} | {settings.topics.allowlist}
    for name, spec in topics.items():
        assert spec["replicas"] == 3, name
        assert spec["config"]["min.insync.replicas"] == "2", name
    assert topics["orders"]["partitions"] == settings.order_partitions


def test_the_users_grant_exactly_the_acl_plan() -> None:
    granted = {
        Grant(f"User:{doc['metadata']['name']}", acl["resource"]["type"], acl["resource"]["name"],
              acl["resource"]["patternType"], operation)
        for doc in documents(STRIMZI / "users.yaml")
        for acl in doc["spec"]["authorization"]["acls"]
        for operation in acl["operations"]
    }  # fmt: skip
    assert granted == set(acl_plan(Settings()))
    for doc in documents(STRIMZI / "users.yaml"):
        assert doc["spec"]["authentication"]["type"] == "scram-sha-512"


def test_the_strimzi_cluster_is_as_durable_as_the_local_one() -> None:
    (kafka,) = [doc for doc in documents(STRIMZI / "kafka.yaml") if doc["kind"] == "Kafka"]
    (pool,) = [doc for doc in documents(STRIMZI / "kafka.yaml") if doc["kind"] == "KafkaNodePool"]
    local = dict(
        line.split("=", 1)
        for line in NODE_TEMPLATE.read_text().splitlines()
        if "=" in line and line[0] != "#"
    )
    config = kafka["spec"]["kafka"]["config"]
    for key in DURABILITY:
        assert str(config[key]).lower() == local[key], key
    assert pool["spec"]["replicas"] == 3
    (listener,) = kafka["spec"]["kafka"]["listeners"]
    assert listener["tls"] is True
    assert listener["authentication"]["type"] == local["sasl.enabled.mechanisms"].lower()


def test_the_readme_lists_every_topic_and_role() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Deploying to your cluster", 1)[1].split("\n## ", 1)[0]
    settings = Settings()
    for spec in topic_specs(settings):
        short = spec.name.removeprefix(f"{settings.app_id}-{settings.app_id}.")
        assert f"`{spec.name}`" in section or short.split("-changelog")[0] in section, spec.name
    for principal in {g.principal.removeprefix("User:") for g in acl_plan(settings)}:
        assert f"| {principal} |" in section, principal
