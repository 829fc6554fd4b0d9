"""Who may do what on a secured cluster: the ACLs of each principal, derived from the settings.

Topic names come from `Settings.topics` and `pipeline.topics`, so a prefixed or renamed topic set
needs no second list. Operations use the names of `kafka-acls --operation` and Strimzi's
`KafkaUser` (Read, Write, Create, Describe, DescribeConfigs); Read and Write imply Describe.
`acl_plan` is pure; `apply_acls` is the one function that talks to the cluster.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pipeline.kafka.topics import REFERENCE_KINDS, topic_specs
from pipeline.security import kafka_python_config
from pipeline.settings import Settings

TOPIC = "topic"
GROUP = "group"
TRANSACTIONAL_ID = "transactionalId"
LITERAL = "literal"
PREFIXED = "prefixed"


@dataclass(frozen=True, slots=True, order=True)
class Grant:
    """One allowed operation: `principal` (e.g. User:worker) may `operation` on a resource."""

    principal: str
    resource: str
    name: str
    pattern: str
    operation: str


@dataclass(frozen=True, slots=True)
class Principals:
    """The SCRAM user names of the roles; a platform team may name its users differently."""

    worker: str = "worker"
    console: str = "console"
    producer: str = "producer"
    operator: str = "operator"


def _topics(principal: str, operation: str, names: Iterable[str]) -> list[Grant]:
    return [Grant(f"User:{principal}", TOPIC, name, LITERAL, operation) for name in names]


def worker_grants(settings: Settings, user: str) -> list[Grant]:
    """Reads orders, the reference topics and its own internal flow; writes its outputs only.

    Least privilege: it never reads its own decisions back (licence outcomes and reviewers'
    follow-ups reach it on `decisions.followups`) and creates no topic: `screening topics create`,
    run as the operator, makes every topic it uses, its table changelogs included."""
    names = settings.topics
    internal = (names.licence_draws, names.rescreen, names.decision_followups)
    references = (*(names.reference(kind) for kind in REFERENCE_KINDS), names.allowlist)
    reads = (names.orders, *internal, *references)
    writes = (
        names.hold,
        names.license,
        names.release,
        names.decisions,
        names.alerts_blocked,
        names.orders_invalid,
        names.reference_errors,
        *internal,
    )
    principal = f"User:{user}"
    # faust's own topics (the table changelogs) start with the app id.
    own = f"{settings.app_id}-"
    return [
        *_topics(user, "Read", reads),
        *_topics(user, "Write", writes),
        *(Grant(principal, TOPIC, own, PREFIXED, op) for op in ("Read", "Write")),
        Grant(principal, GROUP, settings.app_id, LITERAL, "Read"),
    ]


def console_grants(settings: Settings, user: str) -> list[Grant]:
    """Reads the open holds, the audit view and the claims; writes reviews, the audit log, claims and
    the allowlist, and, as the review applier (`console --apply-reviews`, `holds apply-reviews`), reads
    orders, decisions and reviews in its group and writes `holds.current` and the follow-up decisions
    on the decision, route and follow-up topics in transactions."""
    names = settings.topics
    reads = (
        names.decisions,
        names.holds_reviews,
        names.orders,
        names.holds_current,
        names.allowlist,
        names.audit,
        names.claims,
    )
    writes = (
        names.holds_reviews,
        names.audit,
        names.allowlist,
        names.claims,
        names.holds_current,
        names.decisions,
        names.decision_followups,
        names.hold,
        names.license,
        names.release,
    )
    principal = f"User:{user}"
    applier = f"{settings.app_id}.review-applier"
    return [
        *_topics(user, "Read", reads),
        *_topics(user, "Write", writes),
        Grant(principal, GROUP, applier, LITERAL, "Read"),
        # Each applier's transactional id is the group's name and a random suffix.
        *(Grant(principal, TRANSACTIONAL_ID, f"{applier}.", PREFIXED, op) for op in ("Write", "Describe")),
    ]


def producer_grants(settings: Settings, user: str) -> list[Grant]:
    """An order source: writes `orders`, nothing else."""
    return _topics(user, "Write", (settings.topics.orders,))


def operator_grants(settings: Settings, user: str) -> list[Grant]:
    """Topic set-up (`screening topics create`) and reference publishing, not order traffic."""
    every = [spec.name for spec in topic_specs(settings)]
    references = [settings.topics.reference(kind) for kind in REFERENCE_KINDS]
    return [
        *_topics(user, "Create", every),
        # Describe: to see which topics exist already and wait for the new ones' leaders.
        *_topics(user, "Describe", every),
        *_topics(user, "DescribeConfigs", every),
        *_topics(user, "Write", references),
    ]


def acl_plan(settings: Settings, principals: Principals | None = None) -> list[Grant]:
    """Every grant of every role, sorted and without duplicates."""
    users = principals or Principals()
    grants = {
        *worker_grants(settings, users.worker),
        *console_grants(settings, users.console),
        *producer_grants(settings, users.producer),
        *operator_grants(settings, users.operator),
    }
    return sorted(grants)


def kafka_acls_command(grant: Grant) -> str:
    """The `kafka-acls.sh` line that creates `grant`, for platform teams without this tool."""
    option = {TOPIC: "--topic", GROUP: "--group", TRANSACTIONAL_ID: "--transactional-id"}[grant.resource]
    return (
        f"kafka-acls.sh --bootstrap-server $BOOTSTRAP --command-config admin.properties --add "
        f"--allow-principal {grant.principal} --operation {grant.operation} {option} '{grant.name}' "
        f"--resource-pattern-type {grant.pattern}"
    )


def to_kafka_python(grant: Grant) -> Any:
    from kafka.admin import (
        ACL,
        ACLOperation,
        ACLPermissionType,
        ACLResourcePatternType,
        ResourcePattern,
        ResourceType,
    )

    operations = {
        "Read": ACLOperation.READ,
        "Write": ACLOperation.WRITE,
        "Create": ACLOperation.CREATE,
        "Describe": ACLOperation.DESCRIBE,
        "DescribeConfigs": ACLOperation.DESCRIBE_CONFIGS,
    }
    resource = {
        TOPIC: ResourceType.TOPIC,
        GROUP: ResourceType.GROUP,
        TRANSACTIONAL_ID: ResourceType.TRANSACTIONAL_ID,
    }[grant.resource]
    pattern = ACLResourcePatternType.PREFIXED if grant.pattern == PREFIXED else ACLResourcePatternType.LITERAL
    return ACL(
        principal=grant.principal,
        host="*",
        operation=operations[grant.operation],
        permission_type=ACLPermissionType.ALLOW,
        resource_pattern=ResourcePattern(resource, grant.name, pattern),
    )


def apply_acls(settings: Settings, grants: Iterable[Grant]) -> int:
    """Create `grants` on the cluster `settings` connect to (as an admin); returns how many were sent.

    Creating an ACL that exists is a no-op in Kafka, so this runs at every cluster start."""
    from kafka import KafkaAdminClient

    wanted = [to_kafka_python(grant) for grant in grants]
    admin = KafkaAdminClient(
        bootstrap_servers=settings.bootstrap_servers,
        client_id=f"{settings.app_id}-acls",
        request_timeout_ms=30_000,
        **kafka_python_config(settings),
    )
    try:
        result = admin.create_acls(wanted)
    finally:
        admin.close()
    if result["failed"]:
        msg = f"could not create {len(result['failed'])} ACLs: {result['failed'][:3]}"
        raise RuntimeError(msg)
    return len(wanted)
