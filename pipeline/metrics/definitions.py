"""Every Prometheus metric the screening processes export, registered on an injected registry.

Names follow `screening_<thing>_<unit>` / `_total`. Every label takes its values from a bounded set;
the observer (pipeline/metrics/observer.py) maps anything outside that set to `other`.
Gauges that describe live state (reference ages, licence use, the hold queue) are computed at
scrape time by the collectors below, so they are never stale between events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

# Screening takes milliseconds; anything slower than 10 s is an incident, not a bucket.
LATENCY_BUCKETS_SECONDS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)

OTHER = "other"

HOLDS_OPEN = "screening_holds_open"
HOLD_OLDEST_AGE = "screening_hold_oldest_age_seconds"
HOLD_SLA = "screening_hold_sla_seconds"
REFERENCE_AGE = "screening_reference_data_age_seconds"
LICENCE_UTILISATION = "screening_licence_utilisation_ratio"
CONSUMER_LAG = "screening_consumer_lag"
ORDERS_UNDECIDED = "screening_orders_undecided"
UNDECIDED_OLDEST_AGE = "screening_orders_undecided_oldest_age_seconds"


@dataclass(frozen=True, slots=True)
class LiveState:
    """What the worker's live gauges show at one scrape."""

    reference_age_seconds: Mapping[str, float]
    licence_utilisation: Mapping[str, float] = field(default_factory=dict)
    # Records behind per (topic, partition) of the worker's consumer group, as last read.
    consumer_lag: Mapping[tuple[str, int], int] = field(default_factory=dict)
    orders_undecided: int = 0
    undecided_oldest_age_seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class HoldQueueState:
    """What the hold-queue gauges show at one scrape (exported by the process owning the queue)."""

    holds_by_reason: Mapping[str, int]
    oldest_hold_age_seconds: float
    hold_sla_seconds: float


class LiveStateCollector:
    """Builds the worker's live-state gauge families from a snapshot taken at scrape time."""

    def __init__(self, snapshot: Callable[[], LiveState]) -> None:
        self._snapshot = snapshot

    def describe(self) -> Iterable[Metric]:
        return live_state_families(LiveState({}))

    def collect(self) -> Iterable[Metric]:
        return live_state_families(self._snapshot())


class HoldQueueCollector:
    """Builds the hold-queue gauge families from a snapshot taken at scrape time."""

    def __init__(self, snapshot: Callable[[], HoldQueueState]) -> None:
        self._snapshot = snapshot

    def describe(self) -> Iterable[Metric]:
        return hold_queue_families(HoldQueueState({}, 0.0, 0.0))

    def collect(self) -> Iterable[Metric]:
        return hold_queue_families(self._snapshot())


def live_state_families(state: LiveState) -> list[Metric]:
    ages = GaugeMetricFamily(
        REFERENCE_AGE, "Seconds since each reference data set was last updated.", labels=["kind"]
    )
    for kind, age in sorted(state.reference_age_seconds.items()):
        ages.add_metric([kind], age)
    utilisation = GaugeMetricFamily(
        LICENCE_UTILISATION,
        "Share of each licence's granted quantity drawn down (the most used licences only).",
        labels=["licence"],
    )
    for licence, ratio in sorted(state.licence_utilisation.items()):
        utilisation.add_metric([licence], ratio)
    return [ages, utilisation, *flow_families(state)]


def flow_families(state: LiveState) -> list[Metric]:
    lag = GaugeMetricFamily(
        CONSUMER_LAG,
        "Records the worker's consumer group has not committed yet, per topic and partition "
        "(high watermark minus committed offset; every worker reports the whole group).",
        labels=["topic", "partition"],
    )
    for (topic, partition), behind in sorted(state.consumer_lag.items()):
        lag.add_metric([topic, str(partition)], behind)
    undecided = GaugeMetricFamily(
        ORDERS_UNDECIDED,
        "Orders this worker took in whose decision is still owed (a licence draw being applied).",
        value=state.orders_undecided,
    )
    oldest = GaugeMetricFamily(
        UNDECIDED_OLDEST_AGE,
        "How long the oldest undecided order has waited for its decision (0 when none waits).",
        value=state.undecided_oldest_age_seconds,
    )
    return [lag, undecided, oldest]


def hold_queue_families(state: HoldQueueState) -> list[Metric]:
    holds = GaugeMetricFamily(HOLDS_OPEN, "Orders currently on hold, by hold reason.", labels=["reason"])
    for reason, count in sorted(state.holds_by_reason.items()):
        holds.add_metric([reason], count)
    oldest = GaugeMetricFamily(
        HOLD_OLDEST_AGE,
        "Age of the oldest open hold (0 when none is open).",
        value=state.oldest_hold_age_seconds,
    )
    sla = GaugeMetricFamily(
        HOLD_SLA,
        "How long a hold may stay open before it breaches the review SLA.",
        value=state.hold_sla_seconds,
    )
    return [holds, oldest, sla]


@dataclass(frozen=True, slots=True)
class ScreeningMetrics:
    """The event-driven metrics; the observer is the only writer."""

    registry: CollectorRegistry
    orders_received: Counter
    decisions: Counter
    findings: Counter
    blocked_alerts: Counter
    dead_letters: Counter
    party_matches: Counter
    processing_errors: Counter
    decision_latency: Histogram
    processing_duration: Histogram
    reference_data: Info
    reference_updated: Gauge
    ready: Gauge


def create_metrics(registry: CollectorRegistry) -> ScreeningMetrics:
    """Register every event-driven metric on `registry` (one registry per worker, fresh per test)."""
    return ScreeningMetrics(
        registry=registry,
        orders_received=Counter(
            "screening_orders_received",
            "Messages consumed from the orders topic, valid or not.",
            registry=registry,
        ),
        decisions=Counter(
            "screening_decisions",
            "Decisions made, by route and ISO 3166-1 alpha-2 destination country.",
            ["route", "destination"],
            registry=registry,
        ),
        findings=Counter(
            "screening_findings",
            "Findings in decisions, by rule id of the loaded pack and outcome.",
            ["rule_id", "outcome"],
            registry=registry,
        ),
        blocked_alerts=Counter(
            "screening_blocked_alerts",
            "Prohibited findings, each announced on alerts.blocked.",
            ["rule_id"],
            registry=registry,
        ),
        dead_letters=Counter(
            "screening_dead_letters",
            "Orders refused to orders.invalid, by dead-letter reason.",
            ["reason"],
            registry=registry,
        ),
        party_matches=Counter(
            "screening_party_matches",
            "Party-list matches in decisions, by list and match strength.",
            ["list", "strength"],
            registry=registry,
        ),
        processing_errors=Counter(
            "screening_processing_errors",
            "Exceptions the worker caught while handling an order, by stage.",
            ["stage"],
            registry=registry,
        ),
        decision_latency=Histogram(
            "screening_decision_latency_seconds",
            "Time from the order's event time to its decision.",
            buckets=LATENCY_BUCKETS_SECONDS,
            registry=registry,
        ),
        processing_duration=Histogram(
            "screening_processing_duration_seconds",
            "Time from consuming the order to its decision.",
            buckets=LATENCY_BUCKETS_SECONDS,
            registry=registry,
        ),
        reference_data=Info(
            "screening_reference_data",
            "Version of each reference data set in use.",
            ["kind"],
            registry=registry,
        ),
        reference_updated=Gauge(
            "screening_reference_data_updated_timestamp_seconds",
            "When each reference data set was last updated (Unix time).",
            ["kind"],
            registry=registry,
        ),
        ready=Gauge(
            "screening_ready",
            "1 when the worker has its reference data and partitions and is screening, else 0.",
            registry=registry,
        ),
    )
