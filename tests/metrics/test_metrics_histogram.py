"""The plain histogram exports exactly the samples prometheus-client's `Histogram` exports."""

from __future__ import annotations

import re
import time

import pytest
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

from pipeline.metrics.definitions import LATENCY_BUCKETS_SECONDS
from pipeline.metrics.histogram import PlainHistogram

NAME = "screening_processing_duration_seconds"
HELP = "Time from consuming the order to its decision."
# On, between and beyond the bounds, zero, and past the last finite bound.
AMOUNTS = [0.0, 0.001, 0.0010001, 0.003, 0.0025, 0.04, 0.1, 0.7, 2.5, 9.99, 10.0, 10.5, 3600.0]


def _without_created_time(exposition: bytes) -> str:
    return re.sub(r"(_created(?:\{\})?) \S+", r"\1 T", exposition.decode())


@pytest.mark.parametrize("render", [generate_latest, generate_openmetrics])
@pytest.mark.parametrize("amounts", [[], AMOUNTS, AMOUNTS[3:7] * 50])
def test_exposition_equals_prometheus_client_histogram(render: object, amounts: list[float]) -> None:
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    plain = PlainHistogram(NAME, HELP, LATENCY_BUCKETS_SECONDS, ours)
    reference = Histogram(NAME, HELP, buckets=LATENCY_BUCKETS_SECONDS, registry=theirs)
    for amount in amounts:
        plain.observe(amount)
        reference.observe(amount)
    assert callable(render)
    assert _without_created_time(render(ours)) == _without_created_time(render(theirs))
    assert ours.get_sample_value(f"{NAME}_count") == len(amounts)
    assert ours.get_sample_value(f"{NAME}_bucket", {"le": "0.0025"}) == sum(a <= 0.0025 for a in amounts)


def test_created_is_when_the_histogram_was_made() -> None:
    registry = CollectorRegistry()
    before = time.time()
    PlainHistogram(NAME, HELP, LATENCY_BUCKETS_SECONDS, registry)
    created = registry.get_sample_value(f"{NAME}_created")
    assert created is not None
    assert before <= created <= time.time()


def test_name_is_registered_once_per_registry() -> None:
    registry = CollectorRegistry()
    PlainHistogram(NAME, HELP, LATENCY_BUCKETS_SECONDS, registry)
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        Histogram(NAME, HELP, registry=registry)
