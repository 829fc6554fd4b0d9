"""Decisions made after the orders agent (licence draws, re-screens) are counted on the same registry.

Broker-free: dicts stand in for the faust tables, the licence hop is a direct call.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from pipeline.licences.agent import LicenceDesk
from pipeline.licences.outcome import DRAWN_RULE, EXHAUSTED_RULE
from pipeline.metrics import MetricsObserver
from pipeline.metrics.web import render_metrics
from pipeline.reference.publish import envelope_for
from pipeline.reference.store import LiveScreener, ReferenceStore
from pipeline.rescreen.agent import Rescreener
from pipeline.rescreen.tracking import OrderTracker
from pipeline.settings import BUNDLED_DATA, Settings
from pipeline.worker.outputs import Outbound, decision_messages
from pipeline.worker.reference_metrics import PIPELINE_RULE_IDS, ReferenceReporter
from schemas.order import OrderEvent

LICENCE = "DU-2026-SGL-000101"
SIEMENS = {"party_id": "P-DE-SIEMENS", "name": "Siemens AG", "country": "DE"}
ZEPHYR = {"name": "Zephyr Precision Optics GmbH", "country": "DE"}


def order(order_id: str, kg: float, **fields: Any) -> OrderEvent:
    body: dict[str, Any] = {
        "order_id": order_id,
        "event_time": "2026-03-02T09:00:00+00:00",
        "ship_date": "2026-03-10",
        "exporter": {
            "party_id": "P-CN-EXPORTER",
            "name": "Ganzhou Example Rare Earth Co., Ltd.",
            "country": "CN",
        },
        "consignee": SIEMENS,
        "end_user": SIEMENS,
        "destination_country": "DE",
        "end_use": {"code": "civil-manufacturing", "description": "industrial motors"},
        "licence_numbers": [LICENCE],
        "lines": [
            {
                "line_id": "1",
                "sku": "GA-METAL-6N",
                "description": "Gallium",
                "quantity": kg,
                "unit": "kg",
                "value": kg * 600,
                "currency": "USD",
            }
        ],
    }
    body.update(fields)
    return OrderEvent.model_validate(body)


class Worker:
    """The stateful agents of one worker on dict tables, all reporting to one observer."""

    def __init__(self, store: ReferenceStore, states: dict[bytes, bytes], observer: MetricsObserver) -> None:
        self.settings = Settings()
        self.store = store
        self.tracker = OrderTracker(self.settings, store, states, {}, self._address)
        self.desk = LicenceDesk(self.settings, store, {}, observer)
        self.rescreener = Rescreener(self.settings, self.tracker, LiveScreener(store), states, observer)
        ReferenceReporter(self.settings, observer).sync(store.current)

    def _address(self, request: Any) -> Outbound:
        return Outbound(
            self.settings.topics.licence_draws,
            request.licence_number.encode(),
            request.model_dump_json().encode(),
        )

    def deliver(self, messages: list[Outbound]) -> None:
        for message in messages:
            if message.topic == self.settings.topics.licence_draws:
                self.deliver(self.desk.handle(message.value))

    def send(self, event: OrderEvent) -> None:
        record = LiveScreener(self.store).screen(event)
        self.deliver(self.tracker.finish(event, record, decision_messages(self.settings, event, record)))


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
    worker = Worker(ReferenceStore(replace(Settings(), data_dir=tmp_path / "a")), states, observer)
    for n, kg in enumerate((120, 60, 60)):  # 200 kg on file: the third draw finds 20 kg left
        worker.send(order(f"L{n}", kg))
    chair = [
        {
            "line_id": "1",
            "sku": "OFFICE-CHAIR",
            "description": "Office chair",
            "quantity": 1,
            "unit": "pcs",
            "value": 10,
            "currency": "USD",
        }
    ]
    worker.send(order("OPEN", 1, consignee=ZEPHYR, end_user=ZEPHYR, lines=chair, licence_numbers=[]))

    lists = tmp_path / "cn-mofcom-party-lists.csv"
    lists.write_text(
        (BUNDLED_DATA / "parties" / "cn-mofcom-party-lists.csv").read_text(encoding="utf-8")
        + "List of Export Controls,Company,Zephyr Precision Optics GmbH,,,Germany,01.03.2026,,t,https://x/,\n",
        encoding="utf-8",
    )
    listed = ReferenceStore(replace(Settings(), data_dir=tmp_path / "b"))
    listed.offer(envelope_for(lists))
    rescreening = Worker(listed, states, observer)
    rescreening.deliver(rescreening.rescreener.handle("OPEN"))
    metrics = scraped(registry)

    def value(name: str, **labels: str) -> float:
        return metrics.get((name, frozenset(labels.items())), 0.0)

    # The orders agent (not part of this test) counts the first decisions; these come after it.
    assert value("screening_decisions_total", route="release", destination="DE") == 2
    assert value("screening_decisions_total", route="license", destination="DE") == 1
    assert value("screening_decisions_total", route="hold", destination="DE") == 1
    # Zephyr is both consignee and end user: one match per party.
    assert value("screening_party_matches_total", list="CN-ECL", strength="strong") == 2
    assert value("screening_findings_total", rule_id=DRAWN_RULE, outcome="licensed") == 2
    assert value("screening_findings_total", rule_id=EXHAUSTED_RULE, outcome="licence_required") == 1
    assert value("screening_licence_utilisation_ratio", licence=LICENCE) == 180 / 200
    assert value("screening_processing_duration_seconds_count") == 4
    assert (
        value("screening_reference_data_info", kind="parties", version=listed.current.versions["parties"])
        == 1
    )
