"""Hostile and broken records against a real worker: each ends as a dead letter with its specific reason
or as a decision, the worker keeps running, and the good order produced right after each is screened."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pipeline.audit.conservation import OffsetRef
from pipeline.intake import InvalidReason
from pipeline.settings import Settings
from soak.orders import Order, OrderFactory, encode
from soak.runs import FaultRun, run_settings

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(240)]

DECIDED = "decided"
R = InvalidReason


@dataclass(frozen=True)
class BadInput:
    name: str
    # Builds the record value from a valid order of the mix.
    make: Callable[[Order], bytes]
    # A dead-letter reason, or DECIDED when the record is a valid order that must get a decision.
    expect: str


def changed(change: Callable[[Order], object]) -> Callable[[Order], bytes]:
    def make(order: Order) -> bytes:
        change(order)
        return encode(order)

    return make


def with_lines(count: int) -> Callable[[Order], bytes]:
    def make(order: Order) -> bytes:
        line = order["lines"][0]
        order["lines"] = [{**line, "line_id": f"L{n}"} for n in range(count)]
        return encode(order)

    return make


def set_line(field: str, value: Any) -> Callable[[Order], bytes]:
    return changed(lambda o: o["lines"][0].__setitem__(field, value))


CASES = [
    BadInput("not JSON", lambda _: b"order 42: ship it", R.NOT_JSON),
    BadInput("empty value", lambda _: b"", R.EMPTY),
    BadInput("JSON array", lambda o: json.dumps([o]).encode(), R.NOT_AN_OBJECT),
    BadInput("wrong type: quantity as words", set_line("quantity", "ten"), R.WRONG_TYPE),
    BadInput(
        "wrong type: revision as words", changed(lambda o: o.__setitem__("revision", "two")), R.WRONG_TYPE
    ),
    BadInput(
        "wrong type: party as a list", changed(lambda o: o.__setitem__("exporter", ["ACME"])), R.WRONG_TYPE
    ),
    BadInput("missing consignee", changed(lambda o: o.pop("consignee")), R.MISSING_FIELD),
    BadInput("missing lines", changed(lambda o: o.pop("lines")), R.MISSING_FIELD),
    BadInput(
        "unknown country",
        changed(lambda o: o.__setitem__("destination_country", "XZ")),
        R.UNKNOWN_COUNTRY,
    ),
    BadInput("unknown currency", set_line("currency", "QQQ"), R.UNKNOWN_CURRENCY),
    BadInput("negative quantity", set_line("quantity", -5), R.INVALID_VALUE),
    BadInput("huge quantity", set_line("quantity", 1e20), R.INVALID_VALUE),
    BadInput(
        "NaN quantity",
        lambda o: encode(o).replace(b'"quantity":', b'"quantity":NaN,"q":', 1),
        R.NON_FINITE_NUMBER,
    ),
    BadInput(
        "overflowing quantity",
        lambda o: encode(o).replace(b'"quantity":', b'"quantity":1e999,"q":', 1),
        R.NON_FINITE_NUMBER,
    ),
    BadInput(
        "record over 1 MB",
        set_line("description", "x" * (1024 * 1024 + 10)),
        R.TOO_LARGE,
    ),
    BadInput("deeply nested JSON", lambda _: b"[" * 50_000 + b"]" * 50_000, R.TOO_DEEP),
    BadInput(
        "invalid UTF-8",
        lambda o: encode(o).replace(b'"Hunan', b'"\xc3\x28Hunan', 1),
        R.NOT_UTF8,
    ),
    BadInput(
        "control character in a name",
        changed(lambda o: o["consignee"].__setitem__("name", "Hamburg\x00Feinmetall\x1bGmbH")),
        R.CONTROL_CHARACTER,
    ),
    BadInput(
        "mixed scripts in a name",
        changed(lambda o: o["end_user"].__setitem__("name", "Lockheed 马丁 マーティン Корпорация")),
        DECIDED,
    ),
    BadInput(
        "duplicate line ids",
        changed(lambda o: o["lines"].append(dict(o["lines"][0]))),
        R.DUPLICATE_LINE_ID,
    ),
    BadInput("3000 lines", with_lines(3000), DECIDED),
    BadInput("6000 lines", with_lines(6000), R.TOO_MANY_ITEMS),
]


@dataclass
class Sent:
    case: BadInput
    bad: OffsetRef
    good_order_id: str


@pytest.fixture(scope="module")
def bad_input_run(
    rel_base_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FaultRun]:
    run = FaultRun(run_settings(rel_base_settings, "bad-input"), Path(tmp_path_factory.mktemp("bad-input")))
    try:
        yield run
    finally:
        run.close()


def test_each_bad_record_gets_its_reason_and_the_next_good_order_is_screened(bad_input_run: FaultRun) -> None:
    run = bad_input_run
    worker = run.start_worker("bad-input")
    factory = OrderFactory("GOOD-" + run.settings.app_id, listed=[])
    sent: list[Sent] = []
    for n, case in enumerate(CASES):
        template = run.factory.order(10_000 + n)
        (bad,) = run.produce_raw([(str(template["order_id"]), case.make(template))])
        good = factory.order(n)
        run.produce_raw([(str(good["order_id"]), encode(good))])
        sent.append(Sent(case, bad, str(good["order_id"])))

    report = run.settle(timeout_s=120)
    run.assert_conserved(report, f"bad input ({len(CASES)} kinds, each followed by a good order)")
    assert worker.alive(), worker.log_tail()

    reasons = {letter.source: letter.reason for letter in run.probe.dead_letters}
    decided_orders = {d.order_id for d in run.probe.decisions}
    outcomes = {s.case.name: reasons.get(s.bad, DECIDED) for s in sent}
    assert outcomes == {s.case.name: str(s.case.expect) for s in sent}
    assert all(s.good_order_id in decided_orders for s in sent)
