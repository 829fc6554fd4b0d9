"""The seam for metrics: the worker reports what happened to each record to an observer.

The metrics stage supplies a real observer; without one the worker uses `NullObserver`.
"""

from __future__ import annotations

from typing import Protocol

from schemas.decision import DecisionRecord


class WorkerObserver(Protocol):
    def decided(self, record: DecisionRecord, seconds: float) -> None:
        """An order was screened; `seconds` is the time from raw bytes to decision."""

    def rejected(self, reason: str) -> None:
        """A record was dead-lettered for `reason` (an intake reason or `processing_error`)."""

    def failed(self, stage: str, error: BaseException) -> None:
        """Something raised while handling a record; the worker carried on."""


class NullObserver:
    def decided(self, record: DecisionRecord, seconds: float) -> None:
        pass

    def rejected(self, reason: str) -> None:
        pass

    def failed(self, stage: str, error: BaseException) -> None:
        pass
