"""Percentiles and medians for latency samples and repeated runs."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def percentile(samples: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (`share` in 0..1) of unsorted samples; NaN when there are none."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def latency_summary_ms(latencies_s: Sequence[float]) -> dict[str, float]:
    """p50, p95, p99 and max of latencies given in seconds, reported in milliseconds."""
    return {
        "p50_ms": round(percentile(latencies_s, 0.50) * 1000, 2),
        "p95_ms": round(percentile(latencies_s, 0.95) * 1000, 2),
        "p99_ms": round(percentile(latencies_s, 0.99) * 1000, 2),
        "max_ms": round(max(latencies_s) * 1000, 2) if latencies_s else math.nan,
    }


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan
