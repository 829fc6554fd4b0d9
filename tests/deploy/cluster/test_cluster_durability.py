"""Replication on the secured cluster: three in-sync copies, and acks=all writes through a node's death."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer

from pipeline.security import kafka_python_config, kafka_python_producer_config
from tests.deploy.cluster.secured import SecuredCluster, cluster, read_values

pytestmark = [pytest.mark.cluster, pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(900)]


def partitions(secured: SecuredCluster, topic: str) -> list[dict[str, Any]]:
    admin = secured.admin()
    try:
        (described,) = admin.describe_topics([topic])
    finally:
        admin.close()
    found: list[dict[str, Any]] = described["partitions"]
    return found


def wait_for_isr(
    secured: SecuredCluster, topic: str, size: int, timeout_s: float = 120
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    while True:
        found = partitions(secured, topic)
        if all(len(p["isr_nodes"]) == size for p in found):
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"ISR of {topic} not {size} within {timeout_s}s: {[p['isr_nodes'] for p in found]}")
        time.sleep(1.0)


def test_order_topics_have_three_replicas_all_in_sync(secured_cluster: SecuredCluster) -> None:
    topics = secured_cluster.settings("admin").topics
    for topic in (topics.orders, topics.decisions, topics.hold):
        found = wait_for_isr(secured_cluster, topic, 3)
        assert len(found) == 3
        assert all(sorted(p["replica_nodes"]) == [1, 2, 3] for p in found)


def test_acks_all_writes_continue_when_a_node_is_killed(secured_cluster: SecuredCluster) -> None:
    producer_settings = secured_cluster.settings("producer")
    orders = producer_settings.topics.orders
    # The node leading most of the orders partitions: its death moves the most leaders.
    leaders = Counter(p["leader_id"] for p in wait_for_isr(secured_cluster, orders, 3))
    victim = leaders.most_common(1)[0][0]
    producer = KafkaProducer(
        bootstrap_servers=producer_settings.bootstrap_servers,
        **kafka_python_producer_config(producer_settings),
    )
    sent: list[bytes] = []
    try:
        for n in range(300):
            sent.append(f"durable-{n}".encode())
            producer.send(orders, sent[-1], key=str(n).encode())
        producer.flush(timeout=60)
        killed = cluster("kill", str(victim), timeout=60)
        assert killed.returncode == 0, killed.stderr
        # Every later write still needs two in-sync copies (min.insync.replicas=2) and gets them.
        futures = []
        for n in range(300, 600):
            sent.append(f"durable-{n}".encode())
            futures.append(producer.send(orders, sent[-1], key=str(n).encode()))
        for future in futures:
            metadata = future.get(timeout=120)
            assert metadata.topic == orders
    finally:
        producer.close()

    shrunk = wait_for_isr(secured_cluster, orders, 2)
    assert all(victim not in p["isr_nodes"] and p["leader_id"] != victim for p in shrunk)

    restarted = cluster("start-node", str(victim), timeout=300)
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    wait_for_isr(secured_cluster, orders, 3, timeout_s=180)

    worker = secured_cluster.settings("worker")
    consumer = KafkaConsumer(
        orders,
        bootstrap_servers=worker.bootstrap_servers,
        auto_offset_reset="earliest",
        **kafka_python_config(worker),
    )
    try:
        received = read_values(consumer, b"durable-", len(sent))
        # A duplicate would arrive after the last expected record: give it a moment to show up.
        received += read_values(consumer, b"durable-", 1, timeout_s=3)
    finally:
        consumer.close()
    # Idempotent acks=all writes: every record once, none lost to the dead leader, none doubled.
    assert Counter(received) == Counter(sent)


def test_a_paused_node_is_reported_paused_and_rejoins_when_resumed(secured_cluster: SecuredCluster) -> None:
    paused = cluster("pause", "3", timeout=30)
    assert paused.returncode == 0, paused.stderr
    try:
        assert "node 3: paused" in cluster("status", timeout=30).stdout
    finally:
        resumed = cluster("resume", "3", timeout=30)
    assert resumed.returncode == 0, resumed.stderr
    assert "node 3: running" in cluster("status", timeout=30).stdout
    waited = cluster("wait", timeout=300)
    assert waited.returncode == 0, waited.stdout + waited.stderr


def test_node_commands_refuse_a_node_that_does_not_exist(secured_cluster: SecuredCluster) -> None:
    for command in ("kill", "start-node", "pause", "resume"):
        refused = cluster(command, "4", timeout=30)
        assert refused.returncode == 2, command
        assert "node must be 1, 2 or 3 (got '4')" in refused.stderr
