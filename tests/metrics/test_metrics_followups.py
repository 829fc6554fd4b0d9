"""Decisions made after the orders agent (licence draws, re-screens) are counted on the same registry.

Broker-free: dicts stand in for the faust tables, the licence hop is a direct call.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from pipeline.licences.outcome import DRAWN_RULE, EXHAUSTED_RULE
from pipeline.metrics import MetricsObserver
from pipeline.metrics.web import render_metrics
from pipeline.reference.store import ReferenceStore
from pipeline.settings import Settings
from pipeline.worker.reference_metrics import PIPELINE_RULE_IDS, ReferenceReporter
from tests.order_flow import GALLIUM_LICENCE, ZEPHYR, Flow, chair_line, gallium_order, store_listing_zephyr


def worker(store: ReferenceStore, states: dict[bytes, bytes], observer: MetricsObserver) -> Flow:
    """The stateful agents of one worker on dict tables, all reporting to `observer`."""
    ReferenceReporter(Settings(), observer).sync(store.current)
    return Flow(store, states=states, observer=observer)


def scraped(registry: CollectorRegistry) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    body, _ = render_metrics(registry, "text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }


def test_licence_draws_and_rescreens_are_counted(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    observer = MetricsObserver(registry, builtin_rule_ids=PIPELINE_RULE_IDS)
    states: dict[bytes, bytes] = {}
    first = worker(ReferenceStore(replace(Settings(), data_dir=tmp_path / "a")), states, observer)
    for n, kg in enumerate((120, 60, 60)):  # 200 kg on file: the third draw finds 20 kg left
        first.send(gallium_order(f"L{n}", kg=kg))
    first.send(
        gallium_order("OPEN", kg=1, consignee=ZEPHYR, end_user=ZEPHYR, lines=chair_line(), licence_numbers=[])
    )

    listed = store_listing_zephyr(tmp_path / "b")
    rescreening = worker(listed, states, observer)
    rescreening.deliver(rescreening.rescreener.handle("OPEN"))
    metrics = scraped(registry)

    def value(name: str, **labels: str) -> float:
        return metrics.get((name, frozenset(labels.items())), 0.0)

    # Licence orders are counted by the licence desk (two released, one not covered), the open order
    # by the orders agent (released), then by the re-screen (held).
    assert value("screening_decisions_total", route="release", destination="DE") == 3
    assert value("screening_decisions_total", route="license", destination="DE") == 1
    assert value("screening_decisions_total", route="hold", destination="DE") == 1
    # Zephyr is both consignee and end user: one match per party.
    assert value("screening_party_matches_total", list="CN-ECL", strength="strong") == 2
    assert value("screening_findings_total", rule_id=DRAWN_RULE, outcome="licensed") == 2
    assert value("screening_findings_total", rule_id=EXHAUSTED_RULE, outcome="licence_required") == 1
    assert value("screening_licence_utilisation_ratio", licence=GALLIUM_LICENCE) == 180 / 200
    assert value("screening_processing_duration_seconds_count") == 5
    assert (
        value("screening_reference_data_info", kind="parties", version=listed.current.versions["parties"])
        == 1
    )
