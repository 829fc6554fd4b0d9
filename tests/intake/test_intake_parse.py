"""Intake: every malformed record gets a specific reason; valid ones become orders."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from pipeline.intake import MAX_ORDER_BYTES, InvalidReason, Rejection, parse_order
from pipeline.intake.parse import MAX_NESTING_DEPTH, nesting_depth_exceeds
from schemas.order import OrderEvent

Build = Callable[..., dict[str, Any]]


def _encode(order: dict[str, Any]) -> bytes:
    return json.dumps(order).encode()


def _without(order: dict[str, Any], field: str) -> dict[str, Any]:
    order.pop(field)
    return order


def _line(order: dict[str, Any], **changes: Any) -> dict[str, Any]:
    order["lines"][0].update(changes)
    return order


# (case id, function of a valid order dict -> raw bytes, expected reason, fragment of the detail)
MALFORMED: list[tuple[str, Callable[[dict[str, Any]], bytes | None], InvalidReason, str]] = [
    ("none", lambda _: None, InvalidReason.EMPTY, "no value"),
    ("empty", lambda _: b"", InvalidReason.EMPTY, "no value"),
    ("huge", lambda _: b" " * (MAX_ORDER_BYTES + 1), InvalidReason.TOO_LARGE, "limit"),
    ("latin1", lambda _: "Société Générale".encode("latin-1"), InvalidReason.NOT_UTF8, "byte 4"),
    ("truncated", lambda o: _encode(o)[:-1], InvalidReason.NOT_JSON, "starts"),
    ("plain text", lambda _: b"hello", InvalidReason.NOT_JSON, "hello"),
    ("deep", lambda _: b"[" * 10_000 + b"]" * 10_000, InvalidReason.TOO_DEEP, "deeper"),
    (
        "nan",
        lambda o: _encode(o).replace(b'"value": 36000', b'"value": NaN'),
        InvalidReason.NON_FINITE_NUMBER,
        "NaN",
    ),
    (
        "infinity",
        lambda o: _encode(o).replace(b"36000", b"-Infinity"),
        InvalidReason.NON_FINITE_NUMBER,
        "Infinity",
    ),
    ("overflow", lambda o: _encode(o).replace(b"36000", b"1e999"), InvalidReason.NON_FINITE_NUMBER, "1e999"),
    ("array", lambda _: b"[1, 2]", InvalidReason.NOT_AN_OBJECT, "list"),
    ("string", lambda _: b'"order"', InvalidReason.NOT_AN_OBJECT, "str"),
    ("no order id", lambda o: _encode(_without(o, "order_id")), InvalidReason.MISSING_FIELD, "order_id"),
    ("no lines", lambda o: _encode(_without(o, "lines")), InvalidReason.MISSING_FIELD, "lines"),
    ("lines not a list", lambda o: _encode({**o, "lines": "x"}), InvalidReason.WRONG_TYPE, "lines"),
    ("quantity text", lambda o: _encode(_line(o, quantity="many")), InvalidReason.WRONG_TYPE, "quantity"),
    ("negative quantity", lambda o: _encode(_line(o, quantity=-1)), InvalidReason.INVALID_VALUE, "quantity"),
    ("bad hs code", lambda o: _encode(_line(o, hs_code="8112")), InvalidReason.INVALID_VALUE, "hs_code"),
    ("country", lambda o: _encode({**o, "destination_country": "XX"}), InvalidReason.UNKNOWN_COUNTRY, "XX"),
    ("currency", lambda o: _encode(_line(o, currency="ABC")), InvalidReason.UNKNOWN_CURRENCY, "ABC"),
    (
        "duplicate line ids",
        lambda o: _encode({**o, "lines": [o["lines"][0], o["lines"][0]]}),
        InvalidReason.DUPLICATE_LINE_ID,
        "duplicate",
    ),
    (
        "naive time",
        lambda o: _encode({**o, "event_time": "2026-03-02T09:15:00"}),
        InvalidReason.NAIVE_TIMESTAMP,
        "UTC",
    ),
    ("bad date", lambda o: _encode({**o, "ship_date": "tomorrow"}), InvalidReason.INVALID_VALUE, "ship_date"),
    (
        "too many",
        lambda o: _encode({**o, "licence_numbers": ["L"] * 51}),
        InvalidReason.TOO_MANY_ITEMS,
        "licence",
    ),
]


@pytest.mark.parametrize(("case", "corrupt", "reason", "detail"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_records_are_rejected_with_a_specific_reason(
    make_order: Build,
    case: str,
    corrupt: Callable[[dict[str, Any]], bytes | None],
    reason: InvalidReason,
    detail: str,
) -> None:
    result = parse_order(corrupt(make_order()))

    assert isinstance(result, Rejection), case
    assert result.reason is reason
    assert detail in result.detail


def test_a_valid_order_is_parsed(make_order: Build) -> None:
    result = parse_order(_encode(make_order(order_id="ORD-42")))

    assert isinstance(result, OrderEvent)
    assert result.order_id == "ORD-42"
    assert [line.line_id for line in result.lines] == ["1"]


def test_brackets_inside_strings_do_not_count_as_nesting(make_order: Build) -> None:
    order = make_order()
    order["lines"][0]["description"] = "[" * (MAX_NESTING_DEPTH * 4)

    assert isinstance(parse_order(_encode(order)), OrderEvent)


def test_all_errors_are_described_but_the_first_decides_the_reason(make_order: Build) -> None:
    order = make_order()
    del order["order_id"]
    order["destination_country"] = "ZZ"

    result = parse_order(_encode(order))

    assert isinstance(result, Rejection)
    assert result.reason is InvalidReason.MISSING_FIELD
    assert "order_id" in result.detail
    assert "destination_country" in result.detail


@pytest.mark.parametrize(
    ("text", "limit", "exceeds"),
    [
        ("{}", 1, False),
        ("[[]]", 1, True),
        ('{"a": "[[[[["}', 1, False),
        ('{"a": "\\"[[["}', 1, False),
        ("[" * 33 + "]" * 33, 32, True),
        ("[]" * 100, 1, False),
    ],
)
def test_nesting_depth(text: str, limit: int, exceeds: bool) -> None:
    assert nesting_depth_exceeds(text, limit) is exceeds
