"""Consumer lag and undecided orders on the worker's registry: exact samples, names in Prometheus style."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from pipeline.kafka.lag import GroupPosition
from pipeline.metrics.observer import MetricsObserver


def samples(registry: CollectorRegistry, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    text = generate_latest(registry).decode()
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    }


def test_consumer_lag_is_one_gauge_per_topic_and_partition() -> None:
    registry = CollectorRegistry()
    observer = MetricsObserver(registry)
    assert samples(registry, "screening_consumer_lag") == {}
    observer.consumer_lag({("orders", 0): 7, ("orders", 1): 0, ("licence.draws", 3): 2})
    assert samples(registry, "screening_consumer_lag") == {
        (("partition", "0"), ("topic", "orders")): 7.0,
        (("partition", "1"), ("topic", "orders")): 0.0,
        (("partition", "3"), ("topic", "licence.draws")): 2.0,
    }


def test_an_unreadable_lag_exports_nothing_rather_than_a_stale_figure() -> None:
    registry = CollectorRegistry()
    observer = MetricsObserver(registry)
    observer.consumer_lag({("orders", 0): 7})
    observer.consumer_lag(None)
    assert samples(registry, "screening_consumer_lag") == {}


def test_undecided_orders_and_the_oldest_age_are_gauges_at_zero_before_any_order() -> None:
    registry = CollectorRegistry()
    observer = MetricsObserver(registry)
    assert samples(registry, "screening_orders_undecided") == {(): 0.0}
    assert samples(registry, "screening_orders_undecided_oldest_age_seconds") == {(): 0.0}
    observer.orders_undecided(3559, 612.5)
    assert samples(registry, "screening_orders_undecided") == {(): 3559.0}
    assert samples(registry, "screening_orders_undecided_oldest_age_seconds") == {(): 612.5}


def test_lag_is_the_high_watermark_minus_the_committed_offset_of_committed_partitions_only() -> None:
    position = GroupPosition(
        state="Stable",
        members=2,
        committed={("orders", 0): 90, ("orders", 1): 40, ("gone", 0): 5},
        ends={("orders", 0): 100, ("orders", 1): 40, ("orders", 2): 12},
    )
    assert position.lag == {("orders", 0): 10, ("orders", 1): 0}
    assert position.draining
    assert not GroupPosition(state="Empty", members=0).draining
