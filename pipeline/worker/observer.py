"""The seam for metrics: the worker reports what happened to each record to an observer.

The metrics stage supplies a real observer (pipeline/metrics/observer.py); without one the worker
uses `NullObserver`. `WorkerObserver` is what the record processor needs; `PipelineObserver` adds
what the rest of the worker reports (consumed messages, reference data, readiness, licence use,
consumer lag and orders still waiting for their decision).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Protocol

from schemas.decision import DecisionRecord


class WorkerObserver(Protocol):
    def decided(self, record: DecisionRecord, seconds: float, destination: str | None = None) -> None:
        """A decision was published; `seconds` is the time from raw bytes to decision."""

    def rejected(self, reason: str) -> None:
        """A record was dead-lettered for `reason` (an intake reason or `processing_error`)."""

    def failed(self, stage: str, error: BaseException) -> None:
        """Something raised while handling a record; the worker carried on."""


class PipelineObserver(WorkerObserver, Protocol):
    def order_received(self) -> None:
        """A message was consumed from the orders topic, before validation."""

    def rule_pack_loaded(self, version: str, rule_ids: Iterable[str], loaded_at: datetime) -> None:
        """A rule pack became active; `loaded_at` is when it was published."""

    def party_lists_loaded(self, version: str, lists: Iterable[str], loaded_at: datetime) -> None:
        """Party lists became active; `lists` are the program ids they may report."""

    def reference_loaded(self, kind: str, version: str, loaded_at: datetime) -> None:
        """Another reference data set became active; `loaded_at` is when it was published."""

    def ready(self, is_ready: bool) -> None:
        """Whether the worker is ready for traffic."""

    def licence_usage(self, licence_id: str, drawn: float, granted: float) -> None:
        """A licence's balance changed: `drawn` of `granted` is used."""

    def consumer_lag(self, lag: Mapping[tuple[str, int], int] | None) -> None:
        """Records behind per (topic, partition) of the worker's group; None when it could not be read."""

    def orders_undecided(self, count: int, oldest_age_seconds: float) -> None:
        """Orders taken in whose decision is still owed, and how long the oldest has waited."""


class NullObserver:
    def decided(self, record: DecisionRecord, seconds: float, destination: str | None = None) -> None:
        pass

    def rejected(self, reason: str) -> None:
        pass

    def failed(self, stage: str, error: BaseException) -> None:
        pass

    def order_received(self) -> None:
        pass

    def rule_pack_loaded(self, version: str, rule_ids: Iterable[str], loaded_at: datetime) -> None:
        pass

    def party_lists_loaded(self, version: str, lists: Iterable[str], loaded_at: datetime) -> None:
        pass

    def reference_loaded(self, kind: str, version: str, loaded_at: datetime) -> None:
        pass

    def ready(self, is_ready: bool) -> None:
        pass

    def licence_usage(self, licence_id: str, drawn: float, granted: float) -> None:
        pass

    def consumer_lag(self, lag: Mapping[tuple[str, int], int] | None) -> None:
        pass

    def orders_undecided(self, count: int, oldest_age_seconds: float) -> None:
        pass
