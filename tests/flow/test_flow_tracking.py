"""Order state, licence routing and re-screening without a broker (dicts stand in for the tables)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.flow.rescreen import parse_rescreen_request, rescreen_request
from pipeline.flow.state import OrderState
from pipeline.reference.store import ReferenceStore
from pipeline.settings import Settings
from schemas.decision import Route
from tests.order_flow import (
    GALLIUM_LICENCE,
    ZEPHYR,
    Flow,
    chair_line,
    gallium_order,
    store_listing_zephyr,
)


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
    assert flow.desk.balance(GALLIUM_LICENCE).used["2"] == [10, 6000]


def test_the_orders_own_decision_is_kept_in_its_state_and_not_sent_back_to_it(flow: Flow) -> None:
    out = flow.finish(gallium_order("O-CHAIR", lines=chair_line(), licence_numbers=[]))
    decisions = [m for m in out if m.topic == flow.settings.topics.decisions]
    assert len(decisions) == 1
    assert flow.settings.topics.decision_followups not in {m.topic for m in out}
    state = flow.tracker.state("O-CHAIR")
    assert state is not None
    assert state.decision_json == decisions[0].value  # serialized once, kept as published
    assert state.head.decided == 1


def test_cancellation_closes_the_order_and_returns_the_draw(flow: Flow) -> None:
    flow.send(gallium_order("O1", kg=200))
    assert flow.route("O1") is Route.RELEASE
    flow.send(gallium_order("O1", revision=2, status="cancelled"))
    assert flow.current.lookup("O1") is None
    assert b"O1" not in flow.states
    assert flow.desk.draw(GALLIUM_LICENCE, "O1") is None  # the draw record went with the return
    flow.send(gallium_order("O2", kg=200))
    assert flow.route("O2") is Route.RELEASE


def test_shipping_closes_the_order_and_keeps_its_draw_drawn(flow: Flow) -> None:
    flow.send(gallium_order("O1", kg=150))
    assert flow.desk.draw(GALLIUM_LICENCE, "O1") is not None
    flow.send(gallium_order("O1", revision=2, status="shipped"))
    assert flow.states == {}
    assert flow.desk.draw(GALLIUM_LICENCE, "O1") is None
    assert flow.desk.balance(GALLIUM_LICENCE).used["2"] == [150, 90000]
    flow.send(gallium_order("O2", kg=100))
    assert flow.route("O2") is Route.LICENSE  # 50 kg left: the shipped order's draw still counts


def test_a_reviewers_denial_closes_the_order(flow: Flow) -> None:
    flow.send(
        gallium_order("O-REVIEWED", consignee=ZEPHYR, end_user=ZEPHYR, lines=chair_line(), licence_numbers=[])
    )
    state = flow.tracker.state("O-REVIEWED")
    assert state is not None
    held = state.decision()
    assert held is not None
    denial = held.model_copy(
        update={"decision_id": "deny-1", "supersedes": held.decision_id, "review": {"action": "deny"}}
    )
    flow.current.handle(denial.model_dump_json().encode())
    assert flow.states == {}
    assert flow.tracker.closed == 1


def test_a_revision_of_a_removed_order_is_handled_as_a_new_order(flow: Flow) -> None:
    flow.send(gallium_order("O1", kg=10, lines=chair_line(), licence_numbers=[]))
    flow.send(gallium_order("O1", revision=2, status="cancelled"))
    flow.send(gallium_order("O1", revision=1, kg=10, lines=chair_line(), licence_numbers=[]))
    assert [r.revision for r in flow.published] == [1, 1]
    assert flow.route("O1") is Route.RELEASE
    assert flow.tracker.dropped == 0


def test_open_orders_expire_after_their_ship_date_and_leave_the_tables(store: ReferenceStore) -> None:
    today = [gallium_order("x").as_of]
    flow = Flow(store, today=lambda: today[0])
    retention = flow.settings.state_retention_days
    flow.send(gallium_order("O-LATE", kg=10, ship_date="2026-06-01"))
    flow.send(gallium_order("O-SOON", kg=20))  # ships 2026-03-10
    assert set(flow.states) == {b"O-LATE", b"O-SOON"}
    soon = OrderState.decode_head(flow.states[b"O-SOON"])
    assert soon is not None
    assert soon.expires.isoformat() == "2026-06-08"  # 90 days after it ships

    from datetime import timedelta

    today[0] = soon.expires + timedelta(days=1)
    partition = soon.partition
    out = flow.tracker.sweep(partition)
    assert b"O-SOON" not in flow.states
    assert flow.tracker.expired == 1
    # Its draw stays drawn; the licence desk is told to forget the order's draw record.
    flow.deliver(out)
    assert flow.desk.draw(GALLIUM_LICENCE, "O-SOON") is None
    assert flow.desk.balance(GALLIUM_LICENCE).used["2"] == [30, 18000]
    late = OrderState.decode_head(flow.states[b"O-LATE"])
    assert late is not None
    assert (late.expires - soon.expires).days == 83
    assert retention == 90


def test_the_state_table_holds_open_orders_only(flow: Flow) -> None:
    for n in range(300):
        order_id = f"O{n}"
        flow.send(gallium_order(order_id, lines=chair_line(), licence_numbers=[]))
        if n % 3 == 0:
            flow.send(gallium_order(order_id, revision=2, status="shipped"))
        elif n % 3 == 1:
            flow.send(gallium_order(order_id, revision=2, status="cancelled"))
    assert len(flow.states) == 100
    assert len(flow.tracker.expiry) == 100


def test_rescreen_holds_an_open_order_whose_consignee_is_now_listed(flow: Flow, tmp_path: Path) -> None:
    flow.send(
        gallium_order("O-OPEN", consignee=ZEPHYR, end_user=ZEPHYR, lines=chair_line(), licence_numbers=[])
    )
    assert flow.route("O-OPEN") is Route.RELEASE
    # A worker on the new list, with the same tables.
    rescreening = Flow(store_listing_zephyr(tmp_path), states=flow.states)
    keys = rescreening.rescreener.open_order_keys()
    assert keys == [b"O-OPEN"]
    out = rescreening.rescreener.handle("O-OPEN")
    rescreening.deliver(out)
    assert rescreening.route("O-OPEN") is Route.HOLD
    (follow_up,) = rescreening.published
    assert follow_up.supersedes == flow.published[0].decision_id
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
    assert parse_rescreen_request(value) == parsed
    assert parse_rescreen_request(rescreen_request("parties", 7)) == ("parties", 7)
