"""Bounded label values: anything outside the known set is counted under `other`.

An unbounded label (a rule id from a typo'd pack, a free-text reason) would create a new time
series per value and eventually exhaust Prometheus; bucketing keeps the count visible but cheap.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from functools import lru_cache

from pipeline.intake.reasons import InvalidReason
from pipeline.metrics.definitions import OTHER
from schemas.codes import check_country
from schemas.decision import DecisionRecord, Outcome

REFERENCE_KINDS = frozenset({"rules", "parties", "party-master", "products", "licences"})
MATCH_STRENGTHS = frozenset({"strong", "potential"})
# Program ids of China's lists as the party screening reports them; operators may add their own.
DEFAULT_PARTY_LISTS = frozenset({"CN-ECL", "CN-ECWL", "CN-UEL", "CN-CML"})
DEAD_LETTER_REASONS = frozenset(reason.value for reason in InvalidReason)
# Where the worker reports failures (pipeline/flow/processing.py).
FAILURE_STAGES = frozenset({"process", "screen", "publish"})


class HoldReason(StrEnum):
    """Why an order is on hold, most serious first."""

    PROHIBITED = "prohibited"
    FAIL_CLOSED = "fail_closed"
    PARTY_MATCH = "party_match"
    REVIEW = "review"


class BoundedLabel:
    """Passes through values from an allowed set, which can be replaced when reference data reloads."""

    __slots__ = ("_allowed",)

    def __init__(self, allowed: Iterable[str] = ()) -> None:
        self._allowed = frozenset(allowed)

    def allow(self, values: Iterable[str]) -> None:
        self._allowed = frozenset(values)

    def __call__(self, value: str) -> str:
        return value if value in self._allowed else OTHER


@lru_cache(maxsize=1024)
def destination_label(country: str) -> str:
    """ISO 3166-1 alpha-2 codes are a bounded set of about 250; anything else is `other`.

    Remembered: every decision asks, and orders name the same few destinations."""
    try:
        return check_country(country)
    except ValueError:
        return OTHER


def hold_reason(record: DecisionRecord) -> HoldReason:
    """The most serious reason a held decision gives."""
    if any(reason.outcome is Outcome.PROHIBITED for reason in record.reasons):
        return HoldReason.PROHIBITED
    if record.fail_closed:
        return HoldReason.FAIL_CLOSED
    if record.party_matches:
        return HoldReason.PARTY_MATCH
    return HoldReason.REVIEW
