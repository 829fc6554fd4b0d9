"""TLS, SCRAM and ACLs on the secured cluster, with kafka-python clients built by pipeline.security."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import uuid
from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.errors import KafkaTimeoutError, TopicAuthorizationFailedError
from pydantic import SecretStr

from pipeline.acls import acl_plan, console_grants, producer_grants, worker_grants
from pipeline.connection_check import ConnectionCheckError, check_connection, missing_access
from pipeline.security import kafka_python_config, kafka_python_producer_config
from tests.deploy.cluster.secured import SecuredCluster, read_values

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
    assert f"worker may not Write topic {worker.topics.audit}" in lacking


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
