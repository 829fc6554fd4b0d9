"""Orders whose decision is still owed: counted while their licence draw is on its way, not after."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from pipeline.flow.state import OrderState, StateHead
from pipeline.flow.undecided import UndecidedOrders
from pipeline.reference.store import ReferenceStore
from pipeline.settings import Settings
from tests.order_flow import Flow, chair_line, gallium_order


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ReferenceStore:
    return ReferenceStore(replace(Settings(), data_dir=tmp_path_factory.mktemp("ref")))


def head(revision: int, decided: int | None) -> StateHead:
    return StateHead(
        revision, 0, date(2026, 6, 1), "license", "L-1", decided, None if decided is None else "d"
    )


def test_an_order_behind_its_licence_draw_is_undecided_until_its_decision_arrives(
    store: ReferenceStore,
) -> None:
    flow = Flow(store)
    held_back = flow.finish(gallium_order("G1", kg=10))  # the draw request, not yet applied
    assert flow.tracker.undecided_orders().count == 1
    flow.deliver(held_back)  # the licence desk decides; the decision comes back as a follow-up
    assert flow.route("G1").value == "release"
    assert flow.tracker.undecided_orders().count == 0


def test_orders_decided_at_once_are_never_undecided(store: ReferenceStore) -> None:
    flow = Flow(store)
    flow.send(gallium_order("C1", lines=chair_line(), licence_numbers=[]))
    assert flow.tracker.state("C1") is not None
    assert flow.tracker.undecided_orders().count == 0


def test_a_cancelled_order_owes_no_decision(store: ReferenceStore) -> None:
    flow = Flow(store)
    flow.finish(gallium_order("G2", kg=10))
    flow.send(gallium_order("G2", revision=2, status="cancelled"))
    assert flow.tracker.state("G2") is None
    assert flow.tracker.undecided_orders().count == 0


def test_a_new_revision_owes_its_decision_from_when_the_first_was_owed() -> None:
    clock = Clock()
    undecided = UndecidedOrders(clock)
    undecided.note(b"A", head(1, None))
    clock.now += 30
    undecided.note(b"B", head(1, None))
    clock.now += 10
    undecided.note(b"A", head(2, 1))  # revision 2 arrived while revision 1's decision was owed
    snapshot = undecided.snapshot()
    assert (snapshot.count, snapshot.oldest_age_seconds) == (2, 40.0)
    undecided.note(b"A", head(2, 2))
    assert (undecided.snapshot().count, undecided.snapshot().oldest_age_seconds) == (1, 10.0)
    undecided.discard(b"B")
    assert (undecided.snapshot().count, undecided.snapshot().oldest_age_seconds) == (0, 0.0)


def test_a_rebuild_after_a_rebalance_keeps_known_ages_and_drops_partitions_given_away() -> None:
    clock = Clock()
    undecided = UndecidedOrders(clock)
    undecided.note(b"kept", head(1, None))
    undecided.note(b"given-away", head(1, None))
    clock.now += 100
    table = {
        b"kept": OrderState(head(1, None), b"{}").encode(),
        b"taken-over": OrderState(head(3, 2), b"{}").encode(),
        b"decided": OrderState(head(1, 1), b"{}").encode(),
    }
    undecided.stale = True
    undecided.rebuild(table.items())
    assert not undecided.stale
    assert (undecided.snapshot().count, undecided.snapshot().oldest_age_seconds) == (2, 100.0)
    clock.now += 5
    undecided.discard(b"kept")
    assert undecided.snapshot().oldest_age_seconds == 5.0
