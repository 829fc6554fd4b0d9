"""Percentiles and summaries the bench reports."""

from __future__ import annotations

import math

import pytest

from bench.stats import latency_summary_ms, median, percentile

HUNDRED = [float(n) for n in range(1, 101)]


@pytest.mark.parametrize(
    ("samples", "share", "expected"),
    [
        (HUNDRED, 0.50, 50.0),
        (HUNDRED, 0.95, 95.0),
        (HUNDRED, 0.99, 99.0),
        (HUNDRED, 1.00, 100.0),
        ([7.0], 0.99, 7.0),
        ([3.0, 1.0, 2.0], 0.50, 2.0),
    ],
)
def test_percentile_is_nearest_rank(samples: list[float], share: float, expected: float) -> None:
    assert percentile(samples, share) == expected


def test_no_samples_give_nan_not_an_error() -> None:
    assert math.isnan(percentile([], 0.5))
    assert math.isnan(median([]))


def test_latency_summary_converts_seconds_to_milliseconds() -> None:
    summary = latency_summary_ms([n / 1000 for n in HUNDRED])
    assert summary == {"p50_ms": 50.0, "p95_ms": 95.0, "p99_ms": 99.0, "max_ms": 100.0}
