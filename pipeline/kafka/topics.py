"""Topics as code: every topic the pipeline uses, its partitions and configuration.

`ensure_topics` creates the missing ones with kafka-python's admin client and leaves existing ones
alone, so `screening topics create` can run at every start.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
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


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    partitions: int
    configs: dict[str, str] = field(default_factory=dict)

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
        TopicSpec(names.audit, flow, {"retention.ms": KEEP_FOREVER, "retention.bytes": KEEP_FOREVER}),
        # Who works each hold: only the latest claim per order matters.
        TopicSpec(names.claims, flow, dict(compacted)),
    ]
    # Reference data is read whole by every worker: one partition, latest value per key.
    specs.extend(TopicSpec(names.reference(kind), 1, dict(compacted)) for kind in REFERENCE_KINDS)
    specs.append(TopicSpec(names.reference_errors, 1))
    # Reviewers' clearances: reference data too, one record per cleared (list entry, name sent).
    specs.append(TopicSpec(names.allowlist, 1, dict(compacted)))
    # Internal stateful flow: draws re-keyed by licence number; re-screens and follow-up decisions
    # keyed by order id.
    # A draw request carries its order and provisional decision: as large as an order's dead letter.
    specs.append(TopicSpec(names.licence_draws, flow, {"max.message.bytes": str(INVALID_MAX_MESSAGE_BYTES)}))
    specs.append(TopicSpec(names.rescreen, flow))
    specs.append(TopicSpec(names.decision_followups, flow))
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
        )
    )
    # Tables are keyed like the orders, so their changelogs have as many partitions.
    specs.extend(
        TopicSpec(changelog_topic(settings, table), flow, {"cleanup.policy": "compact"}) for table in TABLES
    )
    return specs


TOPIC_READY_TIMEOUT_MS = 60_000


def _admin(settings: Settings) -> Any:
    return clients.admin(settings, "topics", request_timeout_ms=30_000)


def ensure_topics(
    settings: Settings, specs: Iterable[TopicSpec] | None = None
) -> tuple[list[str], list[str]]:
    """Create missing topics; return (created, already existing). Other errors raise."""
    wanted = list(topic_specs(settings) if specs is None else specs)
    admin = _admin(settings)
    try:
        request = {
            spec.name: {
                "num_partitions": spec.partitions,
                "replication_factor": settings.replication_factor,
                "configs": spec.configs,
            }
            for spec in wanted
        }
        response = admin.create_topics(request, raise_errors=False)
        # kafka-python waits 10 s for new topics' leaders by default; a loaded broker creating many
        # partitions takes longer, and a topic used before its leaders exist fails its first sends.
        admin.wait_for_topics(list(request), timeout_ms=TOPIC_READY_TIMEOUT_MS)
    finally:
        admin.close()
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
    if failures:
        msg = "could not create topics: " + "; ".join(failures)
        raise RuntimeError(msg)
    log.info("topics created=%d existing=%d", len(created), len(existing))
    return sorted(created), sorted(existing)


def list_topics(settings: Settings) -> dict[str, int]:
    """Topic name -> partition count for the topics under the settings' prefix."""
    admin = _admin(settings)
    try:
        names = [n for n in admin.list_topics() if n.startswith(settings.topic_prefix)]
        described = admin.describe_topics(names) if names else []
    finally:
        admin.close()
    return {t["name"]: len(t["partitions"]) for t in described}
