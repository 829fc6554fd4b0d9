"""A histogram without labels, counted in plain numbers and exported as prometheus-client's own.

prometheus-client's `Histogram.observe` takes a lock for the sum and another for the bucket and walks
the bounds in Python; the worker observes two histograms per order. Here an observation is a bisect
and two additions; the collector builds the same samples (`_bucket` per bound and `+Inf`, `_count`,
`_sum`, `_created`) at scrape time. The worker's metrics page is served on the worker's event loop
(pipeline/metrics/web.py), the thread that observes, so a scrape never sees half an observation.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_left
from collections.abc import Iterable, Sequence

from prometheus_client import CollectorRegistry
from prometheus_client.core import HistogramMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.utils import floatToGoString


class PlainHistogram:
    def __init__(
        self, name: str, documentation: str, buckets: Sequence[float], registry: CollectorRegistry
    ) -> None:
        bounds = sorted(float(bound) for bound in buckets)
        if not bounds or bounds[-1] != math.inf:
            bounds.append(math.inf)
        self._name = name
        self._documentation = documentation
        self._bounds = tuple(bounds)
        # The `le` labels as prometheus-client writes them (`0.001`, `1.0`, `+Inf`).
        self._labels = tuple(floatToGoString(bound) for bound in bounds)  # type: ignore[no-untyped-call]
        self._counts = [0] * len(bounds)
        self._sum = 0.0
        self._created = time.time()
        registry.register(self)

    def observe(self, amount: float) -> None:
        # The first bound >= amount: Prometheus buckets are "less than or equal to".
        self._counts[bisect_left(self._bounds, amount)] += 1
        self._sum += amount

    def describe(self) -> Iterable[Metric]:
        return [HistogramMetricFamily(self._name, self._documentation)]

    def collect(self) -> Iterable[Metric]:
        cumulative: list[tuple[str, float]] = []
        total = 0
        for label, count in zip(self._labels, self._counts, strict=True):
            total += count
            cumulative.append((label, float(total)))
        family = HistogramMetricFamily(self._name, self._documentation)
        family.add_metric([], cumulative, self._sum)
        family.add_sample(f"{self._name}_created", {}, self._created)
        return [family]
