"""`screening topics create` on a replicated cluster: the settings' replication and min ISR, and no
order-flow topic with one copy on three brokers unless told so (pipeline/kafka/topics.py)."""

from __future__ import annotations

from dataclasses import replace

from pipeline.kafka.topics import TopicSpec, _configs, replication_refusal, topic_specs
from pipeline.settings import Settings, load_settings, settings_env

SINGLE = Settings(topic_prefix="t.", app_id="app")
REPLICATED = replace(SINGLE, replication_factor=3, min_insync_replicas=2)


def test_every_topic_that_carries_orders_or_their_state_is_order_flow() -> None:
    specs = {spec.name: spec for spec in topic_specs(SINGLE)}
    names = SINGLE.topics
    for name in (names.orders, names.decisions, names.hold, names.licence_draws, names.audit):
        assert specs[name].order_flow, name
    assert specs["app-app.licence-ledger-changelog"].order_flow
    assert not specs[names.reference("rules")].order_flow


def test_one_replica_of_the_order_flow_is_refused_on_three_brokers() -> None:
    refusal = replication_refusal(SINGLE, topic_specs(SINGLE), brokers=3)
    assert refusal is not None
    assert "order-flow topics (t.orders, ...) with one replica on a cluster of 3 brokers" in refusal
    assert "--allow-single-replica" in refusal
    assert replication_refusal(SINGLE, topic_specs(SINGLE), brokers=3, allow_single_replica=True) is None


def test_one_replica_is_fine_on_a_single_broker_or_for_reference_topics() -> None:
    assert replication_refusal(SINGLE, topic_specs(SINGLE), brokers=1) is None
    reference = [spec for spec in topic_specs(SINGLE) if not spec.order_flow]
    assert replication_refusal(SINGLE, reference, brokers=3) is None
    # Nothing left to create: nothing to refuse.
    assert replication_refusal(SINGLE, [], brokers=5) is None


def test_replication_and_min_isr_that_cannot_work_are_refused() -> None:
    too_strict = replace(REPLICATED, min_insync_replicas=4)
    assert "SCREENING_MIN_INSYNC_REPLICAS=4 is above SCREENING_REPLICATION_FACTOR=3" in str(
        replication_refusal(too_strict, topic_specs(too_strict), brokers=3)
    )
    assert "the cluster has 1 broker(s)" in str(replication_refusal(REPLICATED, topic_specs(REPLICATED), 1))
    assert replication_refusal(REPLICATED, topic_specs(REPLICATED), brokers=3) is None


def test_new_topics_carry_the_settings_min_isr_unless_the_spec_sets_its_own() -> None:
    assert _configs(REPLICATED, TopicSpec("t.x", 3))["min.insync.replicas"] == "2"
    strict = TopicSpec("t.x", 3, {"min.insync.replicas": "3"})
    assert _configs(REPLICATED, strict)["min.insync.replicas"] == "3"


def test_worker_subprocesses_get_replication_min_isr_and_security() -> None:
    secured = replace(
        REPLICATED,
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="worker",
        producer_acks="all",
    )
    loaded = load_settings(settings_env(secured))
    assert (loaded.replication_factor, loaded.min_insync_replicas) == (3, 2)
    assert (loaded.security_protocol, loaded.sasl_mechanism, loaded.sasl_username) == (
        "SASL_SSL",
        "SCRAM-SHA-512",
        "worker",
    )
