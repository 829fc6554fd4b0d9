"""Topics as code: every topic the pipeline uses, its partitions and configuration.

`ensure_topics` creates the missing ones with kafka-python's admin client and leaves existing ones
alone, so `screening topics create` can run at every start. It asks for the existing topics first
and sends no create request when none is missing: a principal without Create (a worker on a
cluster whose platform team makes the topics) can run it too. New topics get the settings'
replication factor and min ISR; `replication_refusal` keeps an order-flow topic from being made
with one copy on a cluster that has three brokers or more.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from pipeline.kafka import clients
from pipeline.settings import Settings

log = logging.getLogger(__name__)

REFERENCE_KINDS: tuple[str, ...] = ("rules", "parties", "party-master", "products", "licences")
TOPIC_ALREADY_EXISTS = 36

# Orders may be up to 2 MiB on the wire so that oversized ones reach intake and are dead-lettered
# with a reason; their dead letters carry the original bytes base64-encoded, hence the larger cap.
ORDERS_MAX_MESSAGE_BYTES = 2 * 1024 * 1024
INVALID_MAX_MESSAGE_BYTES = 4 * 1024 * 1024
KEEP_FOREVER = "-1"
CURRENT_HOLD_MAX_MESSAGE_BYTES = 4 * 1024 * 1024

# The app's faust tables (pipeline/worker/agents.py). Their
# changelogs are declared here because a fresh worker on a busy host can look them up before faust
# creates them, keep the stale metadata and refuse every order with PartitionsMismatch.
TABLES: tuple[str, ...] = ("order-state", "licence-ledger")


# Replication 1 on a cluster this big is a mistake unless someone says otherwise.
REPLICATED_CLUSTER_BROKERS = 3


class TopicPlanError(RuntimeError):
    """Topics that must not be created as asked; the message says why and what to set."""


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    partitions: int
    configs: dict[str, str] = field(default_factory=dict)
    # Orders, their decisions and the state behind them: lost with one copy when its broker dies.
    order_flow: bool = False

    @property
    def compacted(self) -> bool:
        return self.configs.get("cleanup.policy") == "compact"


def table_name(settings: Settings, table: str) -> str:
    return f"{settings.app_id}.{table}"


def changelog_topic(settings: Settings, table: str) -> str:
    """The name faust gives a table's changelog: `{app id}-{table name}-changelog`."""
    return f"{settings.app_id}-{table_name(settings, table)}-changelog"


def topic_specs(settings: Settings) -> list[TopicSpec]:
    """The pipeline's topics. The order flow is partitioned alike so keyed state co-partitions."""
    names = settings.topics
    flow = settings.order_partitions
    compacted = {"cleanup.policy": "compact", "min.compaction.lag.ms": "0"}
    specs = [
        TopicSpec(names.orders, flow, {"max.message.bytes": str(ORDERS_MAX_MESSAGE_BYTES)}),
        TopicSpec(names.orders_invalid, flow, {"max.message.bytes": str(INVALID_MAX_MESSAGE_BYTES)}),
        TopicSpec(names.hold, flow),
        TopicSpec(names.license, flow),
        TopicSpec(names.release, flow),
        TopicSpec(names.decisions, flow),
        TopicSpec(names.alerts_blocked, flow),
        TopicSpec(names.holds_reviews, flow),
        # Reviewers' actions are evidence: an append-only log, never compacted or expired.
        TopicSpec(names.audit, flow, dict.fromkeys(("retention.ms", "retention.bytes"), KEEP_FOREVER)),
        # Who works each hold: only the latest claim per order matters.
        TopicSpec(names.claims, flow, dict(compacted)),
    ]
    specs = [replace(spec, order_flow=True) for spec in specs]
    # Reference data is read whole by every worker: one partition, latest value per key.
    specs.extend(TopicSpec(names.reference(kind), 1, dict(compacted)) for kind in REFERENCE_KINDS)
    specs.append(TopicSpec(names.reference_errors, 1))
    # Reviewers' clearances: reference data too, one record per cleared (list entry, name sent).
    specs.append(TopicSpec(names.allowlist, 1, dict(compacted)))
    # Internal stateful flow: draws re-keyed by licence number; re-screens and follow-up decisions
    # keyed by order id.
    # A draw request carries its order and provisional decision: as large as an order's dead letter.
    draw_configs = {"max.message.bytes": str(INVALID_MAX_MESSAGE_BYTES)}
    specs.append(TopicSpec(names.licence_draws, flow, draw_configs, order_flow=True))
    specs.append(TopicSpec(names.rescreen, flow, order_flow=True))
    specs.append(TopicSpec(names.decision_followups, flow, order_flow=True))
    # Open holds, written by the review applier and tombstoned when they close: keyed and partitioned
    # like the order flow; short segments and an eager cleaner keep it close to what is open now.
    specs.append(
        TopicSpec(
            names.holds_current,
            flow,
            {
                **compacted,
                "segment.ms": str(3_600_000),
                "min.cleanable.dirty.ratio": "0.1",
                # A hold carries its decision and its order event (when under 512 KiB).
                "max.message.bytes": str(CURRENT_HOLD_MAX_MESSAGE_BYTES),
            },
            order_flow=True,
        )
    )
    # Tables are keyed like the orders, so their changelogs have as many partitions.
    specs.extend(
        TopicSpec(changelog_topic(settings, table), flow, {"cleanup.policy": "compact"}, order_flow=True)
        for table in TABLES
    )
    return specs


def replication_refusal(
    settings: Settings, missing: Iterable[TopicSpec], brokers: int, *, allow_single_replica: bool = False
) -> str | None:
    """Why the `missing` topics must not be created with the settings' replication, or None.

    Refused: a min ISR above the replication (no acks=all write could ever succeed), a replication
    above the broker count, and an order-flow topic with one copy on a cluster of three brokers or
    more (one broker's loss would lose orders or decisions) unless `allow_single_replica`."""
    replication, min_isr = settings.replication_factor, settings.min_insync_replicas
    if replication < 1 or min_isr < 1:
        return (
            f"SCREENING_REPLICATION_FACTOR={replication} and SCREENING_MIN_INSYNC_REPLICAS={min_isr} "
            "must be 1 or more"
        )
    if min_isr > replication:
        return (
            f"SCREENING_MIN_INSYNC_REPLICAS={min_isr} is above SCREENING_REPLICATION_FACTOR={replication}: "
            "no write with acks=all could succeed"
        )
    wanted = list(missing)
    if wanted and replication > brokers:
        return f"SCREENING_REPLICATION_FACTOR={replication} but the cluster has {brokers} broker(s)"
    single = [spec.name for spec in wanted if spec.order_flow]
    if replication == 1 and brokers >= REPLICATED_CLUSTER_BROKERS and single and not allow_single_replica:
        return (
            f"refusing to create {len(single)} order-flow topics ({single[0]}, ...) with one replica on a "
            f"cluster of {brokers} brokers: set SCREENING_REPLICATION_FACTOR=3 and "
            "SCREENING_MIN_INSYNC_REPLICAS=2, or pass --allow-single-replica"
        )
    return None


TOPIC_READY_TIMEOUT_MS = 60_000


def _admin(settings: Settings) -> Any:
    return clients.admin(settings, "topics", request_timeout_ms=30_000)


def _configs(settings: Settings, spec: TopicSpec) -> dict[str, str]:
    return {"min.insync.replicas": str(settings.min_insync_replicas), **spec.configs}


def ensure_topics(
    settings: Settings, specs: Iterable[TopicSpec] | None = None, *, allow_single_replica: bool = False
) -> tuple[list[str], list[str]]:
    """Create missing topics; return (created, already existing). Other errors raise; a replication
    the cluster should not get (`replication_refusal`) raises `TopicPlanError` before any is made."""
    wanted = list(topic_specs(settings) if specs is None else specs)
    admin = _admin(settings)
    try:
        present = set(admin.list_topics())
        missing = [spec for spec in wanted if spec.name not in present]
        existing = sorted(spec.name for spec in wanted if spec.name in present)
        if not missing:
            log.info("topics created=0 existing=%d", len(existing))
            return [], existing
        brokers = len(admin.describe_cluster()["brokers"])
        refusal = replication_refusal(settings, missing, brokers, allow_single_replica=allow_single_replica)
        if refusal is not None:
            raise TopicPlanError(refusal)
        request = {
            spec.name: {
                "num_partitions": spec.partitions,
                "replication_factor": settings.replication_factor,
                "configs": _configs(settings, spec),
            }
            for spec in missing
        }
        response = admin.create_topics(request, raise_errors=False)
        created, already, failures = _outcomes(response)
        # kafka-python waits 10 s for new topics' leaders by default; a loaded broker creating many
        # partitions takes longer, and a topic used before its leaders exist fails its first sends.
        if created:
            admin.wait_for_topics(created, timeout_ms=TOPIC_READY_TIMEOUT_MS)
    finally:
        admin.close()
    if failures:
        msg = "could not create topics: " + "; ".join(failures)
        raise RuntimeError(msg)
    existing = sorted([*existing, *already])
    log.info("topics created=%d existing=%d", len(created), len(existing))
    return created, existing


def _outcomes(response: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """(created, already existing, failure lines) from a CreateTopics response."""
    created: list[str] = []
    existing: list[str] = []
    failures: list[str] = []
    for result in response["topics"]:
        code = result["error_code"]
        if code == 0:
            created.append(result["name"])
        elif code == TOPIC_ALREADY_EXISTS:
            existing.append(result["name"])
        else:
            failures.append(f"{result['name']}: {result['error_message'] or code}")
    return sorted(created), sorted(existing), failures


def list_topics(settings: Settings) -> dict[str, int]:
    """Topic name -> partition count for the topics under the settings' prefix."""
    admin = _admin(settings)
    try:
        names = [n for n in admin.list_topics() if n.startswith(settings.topic_prefix)]
        described = admin.describe_topics(names) if names else []
    finally:
        admin.close()
    return {t["name"]: len(t["partitions"]) for t in described}
