"""Hold-queue metrics, read at scrape time from the authoritative `HoldQueue` projection.

A worker only sees its own decisions: the follow-up decisions of reviews (release, deny, licence)
come from the review applier, so a worker could never tell when a hold closes. The process that
owns the hold queue (the console) registers these gauges and serves them on its own /metrics.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry

from pipeline.holds.queue import HoldQueue
from pipeline.metrics.definitions import HoldQueueCollector, HoldQueueState
from pipeline.metrics.labels import HoldReason, hold_reason

DEFAULT_HOLD_SLA_SECONDS = 4 * 3600.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


def hold_queue_state(queue: HoldQueue, now: datetime, hold_sla_seconds: float) -> HoldQueueState:
    """Open holds by reason (every reason present, at 0 when empty) and the oldest hold's age."""
    rows = queue.open_holds(now)
    reasons: Tally[str] = Tally(dict.fromkeys((reason.value for reason in HoldReason), 0))
    for row in rows:
        entry = queue.get(row.order_id)
        if entry is not None and entry.current is not None:
            reasons[hold_reason(entry.current)] += 1
    return HoldQueueState(
        holds_by_reason=reasons,
        oldest_hold_age_seconds=max((max(0.0, row.age_seconds) for row in rows), default=0.0),
        hold_sla_seconds=hold_sla_seconds,
    )


def register_hold_queue_metrics(
    registry: CollectorRegistry,
    queue: HoldQueue,
    *,
    hold_sla_seconds: float = DEFAULT_HOLD_SLA_SECONDS,
    clock: Callable[[], datetime] = _utc_now,
) -> None:
    """Export `queue`'s open holds on `registry` (settings.hold_sla_seconds gives the SLA)."""
    registry.register(HoldQueueCollector(lambda: hold_queue_state(queue, clock(), hold_sla_seconds)))
