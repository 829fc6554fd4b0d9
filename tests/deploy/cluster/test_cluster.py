"""The secured cluster (deploy/kafka/cluster.sh) with kafka-python clients built by pipeline.security:
TLS, SCRAM and ACLs first, then replication (three in-sync copies, acks=all writes through a node's
death, a paused node). The cluster runs while the session's cluster tests do (conftest.py)."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.errors import KafkaTimeoutError, TopicAuthorizationFailedError
from pydantic import SecretStr

from pipeline.acls import acl_plan, console_grants, producer_grants, worker_grants
from pipeline.connection_check import ConnectionCheckError, check_connection, missing_access
from pipeline.security import kafka_python_config, kafka_python_producer_config
from tests.deploy.cluster.secured import USERS, SecuredCluster, cluster, read_values

pytestmark = [pytest.mark.cluster, pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(900)]


def producer_for(secured: SecuredCluster, user: str) -> KafkaProducer:
    settings = secured.settings(user)
    return KafkaProducer(
        bootstrap_servers=settings.bootstrap_servers, **kafka_python_producer_config(settings)
    )


def test_the_producer_writes_orders_and_the_worker_reads_them(secured_cluster: SecuredCluster) -> None:
    orders = secured_cluster.settings("producer").topics.orders
    sent = [f"order-{n}".encode() for n in range(5)]
    producer = producer_for(secured_cluster, "producer")
    try:
        for value in sent:
            metadata = producer.send(orders, value, key=value).get(timeout=60)
            assert metadata.topic == orders
    finally:
        producer.close()

    worker = secured_cluster.settings("worker")
    consumer = KafkaConsumer(
        orders,
        bootstrap_servers=worker.bootstrap_servers,
        group_id=worker.app_id,  # the worker's ACLs allow its own consumer group only
        auto_offset_reset="earliest",
        **kafka_python_config(worker),
    )
    try:
        # Other tests write to the same topic; these are this test's records.
        received = read_values(consumer, b"order-", len(sent))
    finally:
        consumer.close()
    assert sorted(received) == sorted(sent)


def test_the_producer_may_not_write_decisions(secured_cluster: SecuredCluster) -> None:
    decisions = secured_cluster.settings("producer").topics.decisions
    producer = producer_for(secured_cluster, "producer")
    try:
        with pytest.raises(TopicAuthorizationFailedError, match=decisions.replace(".", r"\.")):
            producer.send(decisions, b"{}").get(timeout=60)
    finally:
        producer.close()


def test_each_principal_holds_its_roles_grants_and_no_other(secured_cluster: SecuredCluster) -> None:
    worker = secured_cluster.settings("worker")
    console = secured_cluster.settings("console")
    producer = secured_cluster.settings("producer")
    assert missing_access(worker, worker_grants(worker, "worker")) == []
    assert missing_access(console, console_grants(console, "console")) == []
    assert missing_access(producer, producer_grants(producer, "producer")) == []

    # The producer asked to act as a worker: one line per operation it lacks, naming the topic.
    lacking = missing_access(producer, worker_grants(producer, "worker"))
    assert f"producer may not Write topic {producer.topics.hold}" in lacking
    assert f"producer may not Read topic {producer.topics.reference('rules')}" in lacking
    # The worker may read orders but never write them, nor touch the reviewers' topics.
    lacking = missing_access(worker, console_grants(worker, "console"))
    assert f"worker may not Read/Write topic {worker.topics.holds_reviews}" in lacking
    assert f"worker may not Read/Write topic {worker.topics.audit}" in lacking
    assert f"worker may not Read/Write topic {worker.topics.claims}" in lacking


def test_a_principal_lacking_a_grant_is_told_which(secured_cluster: SecuredCluster) -> None:
    # operator may create and describe but not read orders: asking for Read names what is missing.
    operator = secured_cluster.settings("operator")
    worker_needs = worker_grants(operator, "worker")
    assert f"operator may not Read topic {operator.topics.orders}" in missing_access(operator, worker_needs)
    assert {g.principal for g in acl_plan(operator)} == {
        "User:worker",
        "User:console",
        "User:producer",
        "User:operator",
    }


def test_a_wrong_password_is_refused_with_one_clear_line(secured_cluster: SecuredCluster) -> None:
    wrong = secured_cluster.settings("producer", sasl_password_file=None, sasl_password=SecretStr("not-it"))
    with pytest.raises(ConnectionCheckError) as refused:
        asyncio.run(check_connection(wrong))
    line = str(refused.value)
    assert "\n" not in line
    assert "SASL login as 'producer' refused by 127.0.0.1:" in line
    assert "invalid credentials" in line

    with pytest.raises(KafkaTimeoutError, match="Unable to bootstrap"):
        KafkaAdminClient(
            bootstrap_servers=wrong.bootstrap_servers, bootstrap_timeout_ms=5000, **kafka_python_config(wrong)
        )


def _untrusted_ca(directory: Path) -> Path:
    """A CA of our own that never signed the brokers' certificate."""
    store = directory / "other-ca.p12"
    keystore = ["-keystore", str(store), "-storetype", "PKCS12", "-storepass", "changeit"]
    make = ["-genkeypair", "-alias", "ca", "-keyalg", "RSA", "-dname", "CN=other-ca", "-ext", "bc:c"]
    subprocess.run(["keytool", *make, *keystore], check=True, capture_output=True, timeout=120)
    pem = subprocess.run(
        ["keytool", "-exportcert", "-rfc", "-alias", "ca", *keystore],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    path = directory / "other-ca.pem"
    path.write_text(pem.stdout)
    return path


def test_an_untrusted_ca_fails_the_tls_handshake(secured_cluster: SecuredCluster, tmp_path: Path) -> None:
    untrusted = secured_cluster.settings("producer", ssl_cafile=_untrusted_ca(tmp_path))
    with pytest.raises(ConnectionCheckError) as refused:
        asyncio.run(check_connection(untrusted))
    line = str(refused.value)
    assert "TLS handshake with 127.0.0.1:" in line
    assert "certificate verify failed" in line
    assert str(untrusted.ssl_cafile) in line

    with pytest.raises(KafkaTimeoutError, match="Unable to bootstrap"):
        KafkaAdminClient(
            bootstrap_servers=untrusted.bootstrap_servers,
            bootstrap_timeout_ms=5000,
            **kafka_python_config(untrusted),
        )


def test_the_right_credentials_connect(secured_cluster: SecuredCluster) -> None:
    worker = secured_cluster.settings("worker")
    assert asyncio.run(check_connection(worker)).startswith("connected to 127.0.0.1:")


def test_plaintext_is_not_offered(secured_cluster: SecuredCluster) -> None:
    plain = dataclasses.replace(
        secured_cluster.settings("worker"),
        security_protocol="PLAINTEXT",
        sasl_mechanism="",
        sasl_username="",
        sasl_password_file=None,
        ssl_cafile=None,
    )
    with pytest.raises(ConnectionCheckError, match=r"127\.0\.0\.1:\d+"):
        asyncio.run(check_connection(plain, timeout_s=5))


def test_topics_cannot_be_created_by_a_typo(secured_cluster: SecuredCluster) -> None:
    worker = secured_cluster.settings("worker")
    typo = f"{worker.topics.prefix}ordrs-{uuid.uuid4().hex[:6]}"
    producer = producer_for(secured_cluster, "worker")
    try:
        with pytest.raises((TopicAuthorizationFailedError, KafkaTimeoutError)):
            producer.send(typo, b"x").get(timeout=10)
    finally:
        producer.close()
    admin = secured_cluster.admin()
    try:
        assert typo not in admin.list_topics()
    finally:
        admin.close()


def test_each_user_gets_connection_lines_with_its_password_in_a_private_file(
    secured_cluster: SecuredCluster,
) -> None:
    for user in USERS:
        shown = cluster("env", user, timeout=30)
        assert shown.returncode == 0, shown.stderr
        env = dict(line.removeprefix("export ").split("=", 1) for line in shown.stdout.splitlines())
        assert env["SCREENING_SASL_USERNAME"] == user
        assert env["SCREENING_SECURITY_PROTOCOL"] == "SASL_SSL"
        password = Path(env["SCREENING_SASL_PASSWORD_FILE"])
        assert password.stat().st_mode & 0o077 == 0, f"{password.name} is readable by others"
        assert password.read_text() not in shown.stdout
    refused = cluster("env", "nobody", timeout=30)
    assert refused.returncode == 2
    assert "user must be one of: admin operator worker console producer" in refused.stderr


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
    for command in ("kill", "start-node", "restart", "pause", "resume"):
        refused = cluster(command, "4", timeout=30)
        assert refused.returncode == 2, command
        assert "node must be 1, 2 or 3 (got '4')" in refused.stderr


def test_the_products_own_clients_connect_with_the_settings_security(secured_cluster: SecuredCluster) -> None:
    """pipeline/kafka/clients.py builds every client the product uses: TLS, SCRAM and acks from settings."""
    from pipeline.kafka import clients

    producer_settings = secured_cluster.settings("producer")
    worker_settings = secured_cluster.settings("worker")
    orders = producer_settings.topics.orders
    sent = [f"via-clients-{n}".encode() for n in range(3)]
    producer = clients.producer(producer_settings, "test")
    try:
        for value in sent:
            producer.send(orders, value, key=value).get(timeout=60)
    finally:
        producer.close()

    consumer = clients.consumer(
        worker_settings, "test", orders, group_id=worker_settings.app_id, auto_offset_reset="earliest"
    )
    try:
        received = read_values(consumer, b"via-clients-", len(sent))
    finally:
        consumer.close()
    assert sorted(received) == sorted(sent)

    async def read_async() -> list[bytes]:
        reader = clients.async_consumer(
            worker_settings, "test", orders, group_id=worker_settings.app_id, auto_offset_reset="earliest"
        )
        await reader.start()
        found: list[bytes] = []
        try:
            deadline = time.monotonic() + 60
            while len(found) < len(sent) and time.monotonic() < deadline:
                batches = await reader.getmany(timeout_ms=1000)
                found.extend(
                    r.value
                    for records in batches.values()
                    for r in records
                    if r.value.startswith(b"via-clients-")
                )
        finally:
            await reader.stop()
        return found

    assert sorted(asyncio.run(read_async())) == sorted(sent)
