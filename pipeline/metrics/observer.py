"""What the worker calls as orders, decisions and reference data go by.

The observer is the only writer of the event metrics in `definitions.py`. It bounds every label
value and keeps the little live state (reference update times, licence use, consumer lag, undecided
orders) the scrape-time gauges are computed from. It satisfies the worker's `PipelineObserver` seam
(pipeline/worker/observer.py); `pipeline/worker/run.py` creates it and serves its registry.
Hold-queue gauges live in `holds.py`: a worker never sees how a review closes a hold.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter

from pipeline.metrics.definitions import (
    OTHER,
    LiveState,
    LiveStateCollector,
    ScreeningMetrics,
    create_metrics,
)
from pipeline.metrics.labels import (
    DEAD_LETTER_REASONS,
    DEFAULT_PARTY_LISTS,
    FAILURE_STAGES,
    MATCH_STRENGTHS,
    REFERENCE_KINDS,
    BoundedLabel,
    destination_label,
)
from schemas.decision import DecisionRecord, Outcome

DEFAULT_LICENCE_TOP_N = 20


class MetricsObserver:
    """Records screening events into Prometheus metrics on one registry."""

    def __init__(
        self,
        registry: CollectorRegistry,
        *,
        clock: Callable[[], float] = time.time,
        dead_letter_reasons: Iterable[str] = DEAD_LETTER_REASONS,
        party_lists: Iterable[str] = DEFAULT_PARTY_LISTS,
        builtin_rule_ids: Iterable[str] = (),
        licence_top_n: int = DEFAULT_LICENCE_TOP_N,
    ) -> None:
        self.metrics: ScreeningMetrics = create_metrics(registry)
        self._clock = clock
        self._licence_top_n = licence_top_n
        self._builtin_rule_ids = frozenset(builtin_rule_ids)
        self._rule_id = BoundedLabel(self._builtin_rule_ids)
        self._party_list = BoundedLabel(party_lists)
        self._default_party_lists = frozenset(party_lists)
        self._strength = BoundedLabel(MATCH_STRENGTHS)
        self._dead_letter_reason = BoundedLabel(dead_letter_reasons)
        self._reference_kind = BoundedLabel(REFERENCE_KINDS)
        self._failure_stage = BoundedLabel(FAILURE_STAGES)
        self._reference_updated_at: dict[str, float] = {}
        # Labelled children by label values: `labels()` validates and locks on every call.
        self._children: dict[tuple[int, tuple[str, ...]], Counter] = {}
        self._licence_utilisation: dict[str, float] = {}
        self._consumer_lag: Mapping[tuple[str, int], int] = {}
        self._undecided = (0, 0.0)
        registry.register(LiveStateCollector(self._live_state))
        self._start_counters_at_zero(self.metrics.dead_letters, [*dead_letter_reasons, OTHER])
        self._start_counters_at_zero(self.metrics.processing_errors, [*FAILURE_STAGES, OTHER])
        self._start_counters_at_zero(self.metrics.blocked_alerts, [*self._builtin_rule_ids, OTHER])

    def order_received(self) -> None:
        """A message was consumed from the orders topic (before validation)."""
        self.metrics.orders_received.inc()

    def decision(self, record: DecisionRecord, received_at: datetime, *, destination: str) -> None:
        """A decision was published for an order consumed at `received_at`."""
        self._record(record, self._clock() - received_at.timestamp(), destination)

    def decided(self, record: DecisionRecord, seconds: float, destination: str | None = None) -> None:
        """`WorkerObserver` seam: an order was screened in `seconds` from raw bytes to decision.

        Without `destination` the decision counts under `other` in the by-destination block rate.
        """
        self._record(record, seconds, destination or OTHER)

    def dead_letter(self, reason: str) -> None:
        """An order went to orders.invalid."""
        self.metrics.dead_letters.labels(self._dead_letter_reason(reason)).inc()

    def rejected(self, reason: str) -> None:
        """`WorkerObserver` seam: a record was dead-lettered."""
        self.dead_letter(reason)

    def failed(self, stage: str, error: BaseException) -> None:  # noqa: ARG002 - the log has the error
        """`WorkerObserver` seam: handling a record raised in `stage`; the worker carried on."""
        self.metrics.processing_errors.labels(self._failure_stage(stage)).inc()

    def _record(self, record: DecisionRecord, processing_seconds: float, destination: str) -> None:
        now = self._clock()
        metrics = self.metrics
        self._child(metrics.decisions, record.route.value, destination_label(destination)).inc()
        # Counted per label first (a plain dict: a Counter costs more to build than the counting): one
        # `inc` per rule and outcome, as a decision repeats them per line.
        findings: dict[tuple[str, Outcome], int] = {}
        for reason in record.reasons:
            key = (self._rule_id(reason.rule_id), reason.outcome)
            findings[key] = findings.get(key, 0) + 1
        for (rule_id, outcome), count in findings.items():
            self._child(metrics.findings, rule_id, outcome.value).inc(count)
            if outcome is Outcome.PROHIBITED:
                self._child(metrics.blocked_alerts, rule_id).inc(count)
        for match in record.party_matches:
            program, strength = self._party_list(match.program), self._strength(match.strength)
            self._child(metrics.party_matches, program, strength).inc()
        if record.event_time is not None:
            metrics.decision_latency.observe(max(0.0, now - record.event_time.timestamp()))
        metrics.processing_duration.observe(max(0.0, processing_seconds))

    def reference_loaded(self, kind: str, version: str, loaded_at: datetime) -> None:
        """A reference data set was (re)loaded; `loaded_at` is when it was published, not when read."""
        label = self._reference_kind(kind)
        self.metrics.reference_data.labels(label).info({"version": version})
        self.metrics.reference_updated.labels(label).set(loaded_at.timestamp())
        self._reference_updated_at[label] = loaded_at.timestamp()

    def rule_pack_loaded(self, version: str, rule_ids: Iterable[str], loaded_at: datetime) -> None:
        """A rule pack became active: its rule ids are the only ones kept apart in findings."""
        allowed = self._builtin_rule_ids | frozenset(rule_ids)
        self._rule_id.allow(allowed)
        self._start_counters_at_zero(self.metrics.blocked_alerts, allowed)
        self.reference_loaded("rules", version, loaded_at)

    def party_lists_loaded(self, version: str, lists: Iterable[str], loaded_at: datetime) -> None:
        """Party lists became active: their program ids are the only ones kept apart in matches."""
        self._party_list.allow(self._default_party_lists | frozenset(lists))
        self.reference_loaded("parties", version, loaded_at)

    def licence_usage(self, licence_id: str, drawn: float, granted: float) -> None:
        """A licence's balance changed; only the most used licences are exported."""
        self._licence_utilisation[licence_id] = drawn / granted if granted > 0 else 1.0

    def consumer_lag(self, lag: Mapping[tuple[str, int], int] | None) -> None:
        """The group's lag as last read; an unreadable lag exports nothing rather than a stale figure."""
        self._consumer_lag = dict(lag or {})

    def orders_undecided(self, count: int, oldest_age_seconds: float) -> None:
        self._undecided = (count, oldest_age_seconds)

    def ready(self, is_ready: bool) -> None:
        self.metrics.ready.set(1 if is_ready else 0)

    def _child(self, counter: Counter, *values: str) -> Counter:
        key = (id(counter), values)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = counter.labels(*values)
        return child

    @staticmethod
    def _start_counters_at_zero(counter: Counter, label_values: Iterable[str]) -> None:
        # Prometheus sees no increase() when a series is first scraped at 1: alerts on these
        # counters need the series to exist at 0 before the first event.
        for value in label_values:
            counter.labels(value)

    def _live_state(self) -> LiveState:
        now = self._clock()
        top = heapq.nsmallest(
            self._licence_top_n, self._licence_utilisation.items(), key=lambda item: (-item[1], item[0])
        )
        return LiveState(
            reference_age_seconds={
                kind: max(0.0, now - updated) for kind, updated in self._reference_updated_at.items()
            },
            licence_utilisation=dict(top),
            consumer_lag=self._consumer_lag,
            orders_undecided=self._undecided[0],
            undecided_oldest_age_seconds=self._undecided[1],
        )
