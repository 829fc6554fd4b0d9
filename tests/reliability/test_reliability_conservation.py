"""The conservation check itself, on hand-built observations (no broker)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from pipeline.audit.conservation import (
    Backlog,
    ConsumedRecord,
    OffsetRef,
    SeenDeadLetter,
    SeenDecision,
    check_conservation,
    with_overdraws,
)
from pipeline.audit.licences import Overdraw
from schemas.decision import Route


def order(partition: int, offset: int, order_id: str, revision: int = 1) -> ConsumedRecord:
    value = json.dumps({"order_id": order_id, "revision": revision}).encode()
    return ConsumedRecord.from_bytes(partition, offset, value)


def garbage(partition: int, offset: int) -> ConsumedRecord:
    return ConsumedRecord.from_bytes(partition, offset, b"\xff not json")


def decision(
    decision_id: str,
    order_id: str,
    revision: int = 1,
    route: Route = Route.HOLD,
    *,
    at: tuple[int, int] | None = None,
    supersedes: str | None = None,
    unsafe: bool = False,
) -> SeenDecision:
    return SeenDecision(
        decision_id=decision_id,
        order_id=order_id,
        revision=revision,
        route=route,
        supersedes=supersedes,
        source=OffsetRef(*at) if at else None,
        unsafe_release=unsafe,
    )


def dead(partition: int, offset: int, reason: str = "not_json") -> SeenDeadLetter:
    return SeenDeadLetter(OffsetRef(partition, offset), reason)


@dataclass
class Case:
    name: str
    consumed: list[ConsumedRecord]
    decisions: list[SeenDecision] = field(default_factory=list)
    dead_letters: list[SeenDeadLetter] = field(default_factory=list)
    baseline: dict[tuple[str, int], Route] | None = None
    expect: dict[str, int] = field(default_factory=dict)
    holds: bool = True


CASES = [
    Case(
        "each order decided once",
        [order(0, 0, "A"), order(1, 0, "B")],
        [decision("d1", "A", at=(0, 0)), decision("d2", "B", route=Route.RELEASE, at=(1, 0))],
        expect={"consumed": 2, "decided": 2, "lost": 0},
    ),
    Case(
        "an order with no outcome is lost",
        [order(0, 0, "A"), order(0, 1, "B")],
        [decision("d1", "A")],
        expect={"decided": 1, "lost": 1},
        holds=False,
    ),
    Case(
        "malformed record accounted for by its dead letter",
        [garbage(0, 0), order(0, 1, "A")],
        [decision("d1", "A")],
        [dead(0, 0)],
        expect={"dead_lettered": 1, "decided": 1, "lost": 0},
    ),
    Case(
        "malformed record without a dead letter is lost",
        [garbage(0, 0)],
        expect={"lost": 1},
        holds=False,
    ),
    Case(
        "a dead letter for another offset does not count",
        [garbage(0, 0)],
        dead_letters=[dead(0, 7)],
        expect={"lost": 1, "dead_lettered": 0},
        holds=False,
    ),
    Case(
        "repeated delivery covered by the one current decision",
        [order(0, 0, "A"), order(0, 1, "A")],
        [decision("d1", "A")],
        expect={"decided": 2, "duplicated": 0},
    ),
    Case(
        "stale revision after a higher one is covered by the higher decision",
        [order(0, 0, "A", 2), order(0, 1, "A", 1)],
        [decision("d2", "A", 2)],
        expect={"decided": 2, "lost": 0},
    ),
    Case(
        "a lower revision's decision does not cover a higher revision",
        [order(0, 0, "A", 1), order(0, 1, "A", 2)],
        [decision("d1", "A", 1)],
        expect={"decided": 1, "lost": 1},
        holds=False,
    ),
    Case(
        "two decisions at the current revision are duplicated",
        [order(0, 0, "A"), order(0, 1, "A")],
        [decision("d1", "A"), decision("d2", "A")],
        expect={"duplicated": 1},
        holds=False,
    ),
    Case(
        "a follow-up decision superseding the first is not a duplicate",
        [order(0, 0, "A")],
        [decision("d1", "A"), decision("d2", "A", route=Route.RELEASE, supersedes="d1")],
        expect={"duplicated": 0, "decided": 1},
    ),
    Case(
        "a republished decision id counts once",
        [order(0, 0, "A")],
        [decision("d1", "A"), decision("d1", "A")],
        [],
        expect={"duplicated": 0, "republished": 1},
    ),
    Case(
        "dead letter and decision for the same offset is double accounting",
        [order(0, 0, "A")],
        [decision("d1", "A", at=(0, 0))],
        [dead(0, 0, "schema")],
        expect={"double_accounted": 1, "dead_lettered": 1, "decided": 0},
        holds=False,
    ),
    Case(
        "release the baseline held is wrongly released",
        [order(0, 0, "A"), order(0, 1, "B")],
        [decision("d1", "A", route=Route.RELEASE), decision("d2", "B", route=Route.RELEASE)],
        baseline={("A", 1): Route.HOLD, ("B", 1): Route.RELEASE},
        expect={"wrongly_released": 1},
        holds=False,
    ),
    Case(
        "licence route where the baseline released is not a wrong release",
        [order(0, 0, "A")],
        [decision("d1", "A", route=Route.LICENSE)],
        baseline={("A", 1): Route.RELEASE},
        expect={"wrongly_released": 0},
    ),
    Case(
        "release carrying a prohibited finding is wrongly released without a baseline",
        [order(0, 0, "A")],
        [decision("d1", "A", route=Route.RELEASE, unsafe=True)],
        expect={"wrongly_released": 1},
        holds=False,
    ),
    Case(
        "a lower revision's decision published after a higher one is stale",
        [order(0, 0, "A", 2), order(0, 1, "A", 1)],
        [decision("d2", "A", 2), decision("d1", "A", 1)],
        expect={"stale_published": 1, "lost": 0, "duplicated": 0},
        holds=False,
    ),
    Case(
        "revisions published in order are not stale",
        [order(0, 0, "A", 1), order(0, 1, "A", 2)],
        [decision("d1", "A", 1), decision("d2", "A", 2)],
        expect={"stale_published": 0, "decided": 2},
    ),
    Case(
        "decisions for orders outside the run are ignored",
        [order(0, 5, "A")],
        [decision("d1", "A"), decision("x1", "OLD"), decision("x2", "OLD")],
        expect={"consumed": 1, "duplicated": 0},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_conservation_counts(case: Case) -> None:
    report = check_conservation(case.consumed, case.decisions, case.dead_letters, case.baseline)
    for counter, expected in case.expect.items():
        assert getattr(report, counter) == expected, (counter, report.summary())
    assert report.decided + report.dead_lettered + report.lost == report.consumed
    assert report.holds is case.holds


# Partition 0 committed up to offset 10; order Q waits on a draw request for its revision 2.
BACKLOG = Backlog(draining=True, committed={0: 10}, queued_draws={"Q": 2}, group_state="Stable")


@pytest.mark.parametrize(
    ("record", "backlog", "outcome"),
    [
        (order(0, 12, "IN-LAG"), BACKLOG, "pending"),
        (order(1, 0, "NEVER-COMMITTED-PARTITION"), BACKLOG, "pending"),
        (order(0, 4, "Q", revision=2), BACKLOG, "pending"),
        (order(0, 3, "Q", revision=1), BACKLOG, "pending"),
        (order(0, 5, "Q", revision=3), BACKLOG, "lost"),
        (order(0, 6, "COMMITTED-PAST"), BACKLOG, "lost"),
        (garbage(0, 7), BACKLOG, "lost"),
        (order(0, 12, "IN-LAG"), Backlog(draining=False, committed={0: 10}), "lost"),
        (order(0, 12, "NO-BACKLOG-READ"), None, "lost"),
    ],
)
def test_a_record_without_outcome_is_pending_only_while_the_workers_owe_it(
    record: ConsumedRecord, backlog: Backlog | None, outcome: str
) -> None:
    report = check_conservation([record, order(0, 20, "OK")], [decision("d", "OK")], [], backlog=backlog)
    assert (report.pending, report.lost) == ((1, 0) if outcome == "pending" else (0, 1))
    assert report.decided + report.dead_lettered + report.pending + report.lost == report.consumed
    assert report.violated is (outcome == "lost")
    assert report.holds is False
    assert report.pending_examples == ((str(record.at),) if outcome == "pending" else ())


def test_over_drawn_licences_are_counted_once_per_licence_and_break_the_check() -> None:
    report = check_conservation([order(0, 0, "A")], [decision("d", "A", route=Route.RELEASE)], [])
    assert report.holds
    overdraws = [
        Overdraw("LIC-1", "1", 120, 100, 10, 10),
        Overdraw("LIC-1", "2", 5, 1, 10, 10),
        Overdraw("LIC-2", "1", 2, 1, 10, 10),
    ]
    counted = with_overdraws(report, overdraws)
    assert counted.overdrawn_licences == 2
    assert counted.overdrawn_examples[0] == "LIC-1 item 1: drew 120 of 100, value 10 of 10"
    assert counted.violated
    assert not counted.holds
    assert "overdrawn_licences=2" in counted.summary()


def test_report_names_what_went_wrong() -> None:
    report = check_conservation(
        [order(3, 9, "LOST"), order(0, 0, "DUP")],
        [decision("d1", "DUP"), decision("d2", "DUP")],
        [],
    )
    assert report.lost_examples == ("3@9",)
    assert report.duplicated_examples == ("DUP",)


@pytest.mark.parametrize(
    ("value", "identity"),
    [
        (b'{"order_id": "A", "revision": 3}', ("A", 3)),
        (b'{"order_id": "A"}', ("A", 1)),
        (b'{"order_id": "A", "revision": true}', (None, None)),
        (b'{"order_id": 5}', (None, None)),
        (b"[1, 2]", (None, None)),
        (b"[" * 100_000 + b"]" * 100_000, (None, None)),
        (b"\xc3\x28", (None, None)),
        (None, (None, None)),
    ],
)
def test_lenient_identity_of_consumed_records(value: bytes | None, identity: tuple[object, object]) -> None:
    record = ConsumedRecord.from_bytes(0, 0, value)
    assert (record.order_id, record.revision) == identity
