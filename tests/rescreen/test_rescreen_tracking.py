"""Order state, licence routing and re-screening without a broker (dicts stand in for the tables)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pipeline.licences.agent import LicenceDesk
from pipeline.reference.publish import envelope_for
from pipeline.reference.store import LiveScreener, ReferenceStore
from pipeline.rescreen.agent import CurrentDecisions, Rescreener
from pipeline.rescreen.tracking import OrderTracker
from pipeline.settings import BUNDLED_DATA, Settings
from pipeline.worker.outputs import Outbound
from schemas.decision import DecisionRecord, Route
from schemas.order import OrderEvent

EXPORTER = {"party_id": "P-CN-EXPORTER", "name": "Ganzhou Example Rare Earth Co., Ltd.", "country": "CN"}
SIEMENS = {"party_id": "P-DE-SIEMENS", "name": "Siemens AG", "country": "DE"}
ZEPHYR = {"name": "Zephyr Precision Optics GmbH", "country": "DE"}


def order(order_id: str, revision: int = 1, kg: float = 10, **fields: Any) -> OrderEvent:
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
        "licence_numbers": ["DU-2026-SGL-000101"],
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


class Flow:
    """The orders agent, the licence agent and the decisions agent, wired through in-memory hops."""

    def __init__(self, settings: Settings, store: ReferenceStore) -> None:
        self.settings = settings
        self.store = store
        self.screener = LiveScreener(store)
        self.states: dict[bytes, bytes] = {}
        self.current_table: dict[bytes, bytes] = {}
        self.ledgers: dict[bytes, bytes] = {}
        self.tracker = OrderTracker(settings, store, self.states, self.current_table, self._address)
        self.desk = LicenceDesk(settings, store, self.ledgers)
        self.current = CurrentDecisions(self.current_table, settings.order_partitions)
        self.rescreener = Rescreener(settings, self.tracker, self.screener, self.states)
        self.published: list[DecisionRecord] = []

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
            elif message.topic == self.settings.topics.decisions:
                self.published.append(DecisionRecord.model_validate_json(message.value))
                self.current.handle(message.value)

    def send(self, event: OrderEvent) -> None:
        from pipeline.worker.outputs import decision_messages

        record = self.screener.screen(event)
        self.deliver(self.tracker.finish(event, record, decision_messages(self.settings, event, record)))

    def route(self, order_id: str) -> Route:
        found = self.current.lookup(order_id)
        assert found is not None
        assert found.decision is not None
        return found.decision.route


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ReferenceStore:
    return ReferenceStore(replace(Settings(), data_dir=tmp_path_factory.mktemp("ref")))


@pytest.fixture
def flow(store: ReferenceStore) -> Flow:
    return Flow(Settings(), store)


def test_licence_orders_draw_and_release_until_the_balance_runs_out(flow: Flow) -> None:
    for n in range(4):
        flow.send(order(f"O{n}", kg=60))
    assert [flow.route(f"O{n}") for n in range(4)] == [Route.RELEASE] * 3 + [Route.LICENSE]


def test_repeated_revision_republishes_the_same_decision_and_older_ones_are_dropped(flow: Flow) -> None:
    flow.send(order("O1", revision=2, kg=10))
    flow.send(order("O1", revision=2, kg=10))  # redelivered: the ledger replays, nothing is drawn twice
    flow.send(order("O1", revision=1, kg=10))
    assert [(r.revision, r.route) for r in flow.published] == [(2, Route.RELEASE)] * 2
    assert len({r.decision_id for r in flow.published}) == 1
    assert flow.tracker.dropped == 1
    assert json.loads(flow.ledgers[b"DU-2026-SGL-000101"])["used"]["2"] == [10, 6000]


def test_cancellation_withdraws_and_returns_the_draw(flow: Flow) -> None:
    flow.send(order("O1", kg=200))
    flow.send(order("O1", revision=2, status="cancelled"))
    found = flow.current.lookup("O1")
    assert found is not None
    assert found.withdrawn
    flow.send(order("O2", kg=200))
    assert flow.route("O2") is Route.RELEASE
    ledger = json.loads(flow.ledgers[b"DU-2026-SGL-000101"])
    assert ledger["orders"]["O1"]["status"] == "cancelled"


def test_rescreen_holds_an_open_order_whose_consignee_is_now_listed(flow: Flow, tmp_path: Path) -> None:
    chair = [
        {
            "line_id": "1",
            "sku": "OFFICE-CHAIR",
            "description": "Chair",
            "quantity": 1,
            "unit": "pcs",
            "value": 10,
            "currency": "USD",
        }
    ]
    flow.send(order("O-OPEN", consignee=ZEPHYR, end_user=ZEPHYR, lines=chair, licence_numbers=[]))
    assert flow.route("O-OPEN") is Route.RELEASE
    lists = tmp_path / "cn-mofcom-party-lists.csv"
    lists.write_text(
        (BUNDLED_DATA / "parties" / "cn-mofcom-party-lists.csv").read_text(encoding="utf-8")
        + "List of Export Controls,Company,Zephyr Precision Optics GmbH,,,Germany,01.03.2026,,t,https://x/,\n",
        encoding="utf-8",
    )
    local = ReferenceStore(replace(Settings(), data_dir=tmp_path))
    local.offer(envelope_for(lists))
    rescreening = Flow(Settings(), local)
    rescreening.states, rescreening.current_table = flow.states, flow.current_table
    rescreening.tracker = OrderTracker(
        rescreening.settings, local, flow.states, flow.current_table, rescreening._address
    )
    rescreening.current = CurrentDecisions(flow.current_table, rescreening.settings.order_partitions)
    rescreening.rescreener = Rescreener(
        rescreening.settings, rescreening.tracker, LiveScreener(local), flow.states
    )
    keys = rescreening.rescreener.open_order_keys()
    assert keys == [b"O-OPEN"]
    rescreening.deliver(rescreening.rescreener.handle("O-OPEN"))
    assert rescreening.route("O-OPEN") is Route.HOLD
    assert rescreening.rescreener.handle("O-OPEN") == []


def test_a_rescreen_waits_while_the_orders_licence_decision_is_on_its_way(flow: Flow) -> None:
    event = order("O-DRAW", kg=10)
    record = flow.screener.screen(event)
    from pipeline.worker.outputs import decision_messages

    draw_requests = flow.tracker.finish(event, record, decision_messages(flow.settings, event, record))
    assert [m.topic for m in draw_requests] == [flow.settings.topics.licence_draws]
    assert flow.rescreener.awaiting_decision("O-DRAW")  # the draw, and so the decision, is pending
    flow.deliver(draw_requests)
    assert not flow.rescreener.awaiting_decision("O-DRAW")
    flow.send(order("O-DRAW", revision=2, kg=5, licence_numbers=[]))
    assert not flow.rescreener.awaiting_decision("O-DRAW")  # decided at once: nothing to wait for
    assert not flow.rescreener.awaiting_decision("O-UNKNOWN")


@pytest.mark.parametrize(
    ("value", "parsed"), [(b"parties#3", ("parties", 3)), (b"rules", ("rules", 0)), (None, ("", 0))]
)
def test_rescreen_requests_carry_their_attempt(value: bytes | None, parsed: tuple[str, int]) -> None:
    from pipeline.rescreen.stateful import parse_rescreen_request, rescreen_request

    assert parse_rescreen_request(value) == parsed
    assert parse_rescreen_request(rescreen_request("parties", 7)) == ("parties", 7)
