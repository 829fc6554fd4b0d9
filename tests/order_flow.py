"""Gallium orders on the bundled licence, and one worker's stateful agents without a broker.

`Flow` is the worker's `OrderFlow` (pipeline/flow/) on dict tables, delivering what it publishes to
itself as the worker's agents would: draw requests to the licence desk, decisions to the tracking.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from pipeline.flow.outputs import Outbound, SourceRecord
from pipeline.flow.partitioner import key_partition
from pipeline.flow.wiring import OrderFlow
from pipeline.reference.envelope import envelope_for
from pipeline.reference.store import ReferenceStore
from pipeline.settings import BUNDLED_DATA, Settings
from pipeline.worker.observer import PipelineObserver
from schemas.decision import DecisionRecord, Route
from schemas.order import OrderEvent

EXPORTER = {"party_id": "P-CN-EXPORTER", "name": "Ganzhou Example Rare Earth Co., Ltd.", "country": "CN"}
SIEMENS = {"party_id": "P-DE-SIEMENS", "name": "Siemens AG", "country": "DE"}
ZEPHYR = {"name": "Zephyr Precision Optics GmbH", "country": "DE"}
GALLIUM_LICENCE = "DU-2026-SGL-000101"  # bundled licences.yaml: gallium item, 200 kg / 120,000 USD
# The day the gallium orders are sent: their state is kept until 90 days after they ship (2026-03-10).
ORDER_DAY = date(2026, 3, 2)


def gallium_order_body(
    order_id: str, *, revision: int = 1, kg: float = 10.0, **fields: Any
) -> dict[str, Any]:
    """An order from the bundled exporter to Siemens: `kg` of gallium on the single licence."""
    body: dict[str, Any] = {
        "order_id": order_id,
        "revision": revision,
        "event_time": "2026-03-02T09:00:00+00:00",
        "ship_date": "2026-03-10",
        "exporter": EXPORTER,
        "consignee": SIEMENS,
        "end_user": SIEMENS,
        "destination_country": "DE",
        "end_use": {"code": "civil-manufacturing", "description": "industrial motors"},
        "licence_numbers": [GALLIUM_LICENCE],
        "lines": [
            {
                "line_id": "1",
                "sku": "GA-METAL-6N",
                "description": "Gallium metal",
                "quantity": kg,
                "unit": "kg",
                "value": kg * 600,
                "currency": "USD",
            }
        ],
    }
    body.update(fields)
    return body


def gallium_order(order_id: str, *, revision: int = 1, kg: float = 10.0, **fields: Any) -> OrderEvent:
    return OrderEvent.model_validate(gallium_order_body(order_id, revision=revision, kg=kg, **fields))


def chair_line() -> list[dict[str, Any]]:
    """One uncontrolled line: nothing on it needs a licence."""
    return [
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


def store_listing_zephyr(data_dir: Path) -> ReferenceStore:
    """A reference store whose party list is the bundled one plus Zephyr (consignee of open orders)."""
    lists = data_dir / "cn-mofcom-party-lists.csv"
    lists.parent.mkdir(parents=True, exist_ok=True)
    lists.write_text(
        (BUNDLED_DATA / "parties" / "cn-mofcom-party-lists.csv").read_text(encoding="utf-8")
        + "List of Export Controls,Company,Zephyr Precision Optics GmbH,,,Germany,01.03.2026,,t,https://x/,\n",
        encoding="utf-8",
    )
    store = ReferenceStore(Settings(data_dir=data_dir))
    store.offer(envelope_for(lists))
    return store


class Flow(OrderFlow):
    """One worker's stateful flow on dict tables, the licence hop as a direct call; pass `states` to
    share the order states between two flows (two reference snapshots, one worker's tables)."""

    def __init__(
        self,
        store: ReferenceStore,
        *,
        states: dict[bytes, bytes] | None = None,
        observer: PipelineObserver | None = None,
        today: Callable[[], date] = lambda: ORDER_DAY,
    ) -> None:
        self.states: dict[bytes, bytes] = {} if states is None else states
        self.ledgers: dict[bytes, bytes] = {}
        super().__init__(Settings(), store, self.states, self.ledgers, observer=observer, today=today)
        self.published: list[DecisionRecord] = []
        self.offset = 0

    def deliver(self, messages: list[Outbound]) -> None:
        for message in messages:
            if message.topic == self.settings.topics.licence_draws:
                self.deliver(self.desk.handle(message.value))
            elif message.topic == self.settings.topics.decisions:
                self.published.append(DecisionRecord.model_validate_json(message.value))
            elif message.topic == self.settings.topics.decision_followups:
                self.current.handle(message.value)

    def finish(self, event: OrderEvent) -> list[Outbound]:
        """What the orders agent publishes for `event`, before any licence hop."""
        self.offset += 1
        raw = event.model_dump_json().encode()
        source = SourceRecord(
            self.settings.topics.orders,
            key_partition(event.order_id.encode(), self.settings.order_partitions),
            self.offset,
            event.order_id.encode(),
            raw,
        )
        return self.on_order(source)

    def send(self, event: OrderEvent) -> None:
        self.deliver(self.finish(event))

    def route(self, order_id: str) -> Route:
        found = self.current.lookup(order_id)
        assert found is not None
        assert found.decision is not None
        return found.decision.route
