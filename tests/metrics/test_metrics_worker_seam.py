"""Raw records through the worker's RecordProcessor land as exact counts in the rendered /metrics text.

Broker-free; test_metrics_worker_kafka.py scrapes a real worker on the real broker.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from pipeline.flow.outputs import SourceRecord
from pipeline.flow.processing import SCREENING_FAILED_RULE, RecordProcessor
from pipeline.metrics import MetricsObserver
from pipeline.metrics.web import render_metrics
from pipeline.settings import Settings
from schemas.decision import DecisionRecord, Outcome, Reason, Route
from schemas.order import OrderEvent

PROHIBITED_RULE = "cn.jp.military-end-use"


class DestinationScreener:
    """Holds Japanese military end uses, releases the rest, and raises for order ids starting `crash`."""

    def screen(self, order: OrderEvent, *, as_of: date | None = None) -> DecisionRecord:
        if order.order_id.startswith("crash"):
            msg = "screener bug"
            raise RuntimeError(msg)
        held = order.destination_country == "JP"
        reasons = (
            [
                Reason(
                    rule_id=PROHIBITED_RULE, title="JP military", outcome=Outcome.PROHIBITED, explanation="x"
                )
            ]
            if held
            else []
        )
        return DecisionRecord(
            decision_id=str(uuid.uuid4()),
            order_id=order.order_id,
            revision=order.revision,
            route=Route.HOLD if held else Route.RELEASE,
            as_of=as_of or order.as_of,
            evaluated_at=datetime.now(UTC),
            event_time=order.event_time,
            reasons=reasons,
        )


def order_bytes(order_id: str, destination: str) -> bytes:
    party = {"name": "Acme Trading", "country": destination}
    order = {
        "order_id": order_id,
        "event_time": datetime.now(UTC).isoformat(),
        "exporter": {"name": "Shenzhen Exporter", "country": "CN"},
        "consignee": party,
        "end_user": party,
        "destination_country": destination,
        "lines": [
            {
                "line_id": "1",
                "description": "bolts",
                "quantity": 1,
                "unit": "pcs",
                "value": 10,
                "currency": "USD",
            }
        ],
    }
    return json.dumps(order).encode()


def scraped(registry: CollectorRegistry) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    body, _ = render_metrics(registry, "text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }


def test_records_through_the_processor_are_counted_exactly() -> None:
    registry = CollectorRegistry()
    observer = MetricsObserver(registry, builtin_rule_ids=[SCREENING_FAILED_RULE])
    observer.rule_pack_loaded("test-pack", [PROHIBITED_RULE], datetime.now(UTC))
    processor = RecordProcessor(Settings(), DestinationScreener(), observer)
    values = [
        order_bytes("o-1", "DE"),
        order_bytes("o-2", "DE"),
        order_bytes("o-3", "JP"),
        order_bytes("crash-4", "US"),
        b"{not json",
        b"",
    ]
    for offset, raw in enumerate(values):
        observer.order_received()
        processor.process(SourceRecord("orders", 0, offset, None, raw))

    metrics = scraped(registry)

    def value(name: str, **labels: str) -> float:
        return metrics[(name, frozenset(labels.items()))]

    assert value("screening_orders_received_total") == 6
    assert value("screening_decisions_total", route="release", destination="DE") == 2
    assert value("screening_decisions_total", route="hold", destination="JP") == 1
    assert value("screening_decisions_total", route="hold", destination="US") == 1
    assert value("screening_findings_total", rule_id=PROHIBITED_RULE, outcome="prohibited") == 1
    assert value("screening_findings_total", rule_id=SCREENING_FAILED_RULE, outcome="review") == 1
    assert value("screening_blocked_alerts_total", rule_id=PROHIBITED_RULE) == 1
    assert value("screening_dead_letters_total", reason="not_json") == 1
    assert value("screening_dead_letters_total", reason="empty") == 1
    assert value("screening_processing_errors_total", stage="screen") == 1
    assert value("screening_processing_duration_seconds_count") == 4
