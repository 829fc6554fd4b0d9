"""The ACL plan (pipeline/acls.py): every topic has its writer, and each role only what it needs."""

from __future__ import annotations

from pipeline.acls import PREFIXED, TOPIC, Grant, acl_plan, kafka_acls_command
from pipeline.kafka.topics import topic_specs
from pipeline.settings import Settings


def topics_of(grants: list[Grant], principal: str, operation: str) -> set[str]:
    return {
        g.name
        for g in grants
        if g.principal == principal and g.operation == operation and g.resource == TOPIC
    }


def test_every_topic_has_a_writer_and_a_creator() -> None:
    settings = Settings(topic_prefix="t.", app_id="app")
    plan = acl_plan(settings)
    every = {spec.name for spec in topic_specs(settings)} | {settings.topics.allowlist}
    prefixes = {g.name for g in plan if g.pattern == PREFIXED and g.operation == "Write"}
    writers = {g.name for g in plan if g.operation == "Write" and g.principal != "User:operator"}
    for topic in every:
        covered = topic in writers or any(topic.startswith(prefix) for prefix in prefixes)
        covered = covered or topic.startswith("t.reference.")  # written by the operator's publishing
        assert covered, f"no role writes {topic}"
    assert topics_of(plan, "User:operator", "Create") == every


def test_the_producer_writes_orders_and_nothing_else() -> None:
    settings = Settings(topic_prefix="t.")
    plan = [g for g in acl_plan(settings) if g.principal == "User:producer"]
    assert plan == [Grant("User:producer", TOPIC, "t.orders", "literal", "Write")]


def test_the_worker_reads_orders_but_never_writes_them_or_the_reviewers_topics() -> None:
    settings = Settings(app_id="app")
    plan = acl_plan(settings)
    names = settings.topics
    assert names.orders in topics_of(plan, "User:worker", "Read")
    written = topics_of(plan, "User:worker", "Write")
    assert not written & {names.orders, names.holds_reviews, names.audit, names.allowlist}
    assert {names.hold, names.license, names.release, names.decisions} <= written
    # Its own group and faust's internal topics (the changelogs), by the app id.
    assert Grant("User:worker", "group", "app", "literal", "Read") in plan
    assert Grant("User:worker", TOPIC, "app-", PREFIXED, "Read") in plan


def test_the_worker_holds_least_privilege_no_create_and_no_reading_back_its_decisions() -> None:
    settings = Settings(app_id="app")
    names = settings.topics
    worker = [g for g in acl_plan(settings) if g.principal == "User:worker"]
    assert {g.operation for g in worker} == {"Read", "Write"}
    assert names.decisions not in topics_of(worker, "User:worker", "Read")
    assert topics_of(worker, "User:worker", "Read") == {
        names.orders,
        names.licence_draws,
        names.rescreen,
        names.decision_followups,
        *(names.reference(kind) for kind in ("rules", "parties", "party-master", "products", "licences")),
        names.allowlist,  # reviewers' clearances, followed as reference data
        "app-",
    }


def test_the_console_writes_reviews_and_the_allowlist_but_not_orders() -> None:
    settings = Settings()
    plan = acl_plan(settings)
    names = settings.topics
    written = topics_of(plan, "User:console", "Write")
    assert {names.holds_reviews, names.audit, names.allowlist} <= written
    assert names.orders not in written
    assert names.orders_invalid not in written


def test_grants_print_as_kafka_acls_lines() -> None:
    grant = Grant("User:worker", TOPIC, "app-", PREFIXED, "DescribeConfigs")
    assert kafka_acls_command(grant) == (
        "kafka-acls.sh --bootstrap-server $BOOTSTRAP --command-config admin.properties --add "
        "--allow-principal User:worker --operation DescribeConfigs --topic 'app-' "
        "--resource-pattern-type prefixed"
    )
