"""Order state, licence routing and re-screening without a broker (dicts stand in for the tables)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.reference.store import ReferenceStore
from pipeline.settings import Settings
from schemas.decision import Route
from tests.order_flow import ZEPHYR, Flow, chair_line, gallium_order, store_listing_zephyr


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ReferenceStore:
    return ReferenceStore(replace(Settings(), data_dir=tmp_path_factory.mktemp("ref")))


@pytest.fixture
def flow(store: ReferenceStore) -> Flow:
    return Flow(store)


def test_licence_orders_draw_and_release_until_the_balance_runs_out(flow: Flow) -> None:
    for n in range(4):
        flow.send(gallium_order(f"O{n}", kg=60))
    assert [flow.route(f"O{n}") for n in range(4)] == [Route.RELEASE] * 3 + [Route.LICENSE]


def test_repeated_revision_republishes_the_same_decision_and_older_ones_are_dropped(flow: Flow) -> None:
    flow.send(gallium_order("O1", revision=2, kg=10))
    # Redelivered: the ledger replays, nothing is drawn twice.
    flow.send(gallium_order("O1", revision=2, kg=10))
    flow.send(gallium_order("O1", revision=1, kg=10))
    assert [(r.revision, r.route) for r in flow.published] == [(2, Route.RELEASE)] * 2
    assert len({r.decision_id for r in flow.published}) == 1
    assert flow.tracker.dropped == 1
    assert json.loads(flow.ledgers[b"DU-2026-SGL-000101"])["used"]["2"] == [10, 6000]


def test_cancellation_withdraws_and_returns_the_draw(flow: Flow) -> None:
    flow.send(gallium_order("O1", kg=200))
    flow.send(gallium_order("O1", revision=2, status="cancelled"))
    found = flow.current.lookup("O1")
    assert found is not None
    assert found.withdrawn
    flow.send(gallium_order("O2", kg=200))
    assert flow.route("O2") is Route.RELEASE
    ledger = json.loads(flow.ledgers[b"DU-2026-SGL-000101"])
    assert ledger["orders"]["O1"]["status"] == "cancelled"


def test_rescreen_holds_an_open_order_whose_consignee_is_now_listed(flow: Flow, tmp_path: Path) -> None:
    flow.send(
        gallium_order("O-OPEN", consignee=ZEPHYR, end_user=ZEPHYR, lines=chair_line(), licence_numbers=[])
    )
    assert flow.route("O-OPEN") is Route.RELEASE
    # A worker on the new list, with the same tables.
    rescreening = Flow(store_listing_zephyr(tmp_path), states=flow.states, current_table=flow.current_table)
    keys = rescreening.rescreener.open_order_keys()
    assert keys == [b"O-OPEN"]
    rescreening.deliver(rescreening.rescreener.handle("O-OPEN"))
    assert rescreening.route("O-OPEN") is Route.HOLD
    assert rescreening.rescreener.handle("O-OPEN") == []


def test_a_rescreen_waits_while_the_orders_licence_decision_is_on_its_way(flow: Flow) -> None:
    draw_requests = flow.finish(gallium_order("O-DRAW", kg=10))
    assert [m.topic for m in draw_requests] == [flow.settings.topics.licence_draws]
    assert flow.rescreener.awaiting_decision("O-DRAW")  # the draw, and so the decision, is pending
    flow.deliver(draw_requests)
    assert not flow.rescreener.awaiting_decision("O-DRAW")
    flow.send(gallium_order("O-DRAW", revision=2, kg=5, licence_numbers=[]))
    assert not flow.rescreener.awaiting_decision("O-DRAW")  # decided at once: nothing to wait for
    assert not flow.rescreener.awaiting_decision("O-UNKNOWN")


@pytest.mark.parametrize(
    ("value", "parsed"), [(b"parties#3", ("parties", 3)), (b"rules", ("rules", 0)), (None, ("", 0))]
)
def test_rescreen_requests_carry_their_attempt(value: bytes | None, parsed: tuple[str, int]) -> None:
    from pipeline.rescreen.stateful import parse_rescreen_request, rescreen_request

    assert parse_rescreen_request(value) == parsed
    assert parse_rescreen_request(rescreen_request("parties", 7)) == ("parties", 7)
