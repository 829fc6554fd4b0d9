"""The offline per-order bench runs the worker's own code as the orders agent does."""

from __future__ import annotations

from bench.processing import run
from pipeline.settings import Settings


def test_every_order_gets_one_decision_its_route_and_one_table_write() -> None:
    figures = run(Settings(), 300)
    by_topic = figures["published_by_topic"]
    topics = Settings().topics
    assert by_topic[topics.decisions] == 1.0
    routed = sum(by_topic.get(name, 0.0) for name in (topics.hold, topics.license, topics.release))
    assert routed == 1.0
    # The order's state, its current decision inside.
    assert figures["table_writes_per_order"] == 1.0
    assert figures["records_published_per_order"] >= 2.0
    assert figures["us_per_order"] > 0
