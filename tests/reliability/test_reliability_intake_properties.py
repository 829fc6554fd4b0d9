"""Property tests of intake: valid orders pass and round-trip, corruption is refused with its reason."""

from __future__ import annotations

import json
import math
from datetime import timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from pipeline.intake.parse import Rejection, parse_order
from pipeline.intake.reasons import InvalidReason
from schemas.order import MAX_QUANTITY, OrderEvent

COUNTRIES = ("CN", "DE", "JP", "US", "FR", "KR", "BR", "IN", "RU", "GB")
CURRENCIES = ("USD", "EUR", "CNY", "JPY")
# Names in Latin, Han, kana and Hangul, mixed, with no control characters (the schema refuses those).
NAME_ALPHABET = st.characters(
    categories=("Lu", "Ll", "Lo", "Nd", "Zs", "Pd", "Po"),
    exclude_characters="\u00a0\u1680\u2028\u2029",
)
# ISO 8601 offsets are whole minutes; historic zones with second offsets are not order timestamps.
OFFSETS = st.sampled_from([timezone(timedelta(minutes=m)) for m in (-300, 0, 330, 480, 540, 765)])
names = st.text(NAME_ALPHABET, min_size=1, max_size=60).filter(lambda s: s.strip() != "")


def parties() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"name": names, "country": st.sampled_from(COUNTRIES)},
        optional={"party_id": st.text("ABC0123456789-", min_size=1, max_size=20)},
    )


lines = st.fixed_dictionaries(
    {
        "description": names,
        "quantity": st.floats(min_value=0.001, max_value=MAX_QUANTITY, allow_nan=False),
        "unit": st.sampled_from(("kg", "pcs", "t", "m2")),
        "value": st.floats(min_value=0, max_value=1e9, allow_nan=False),
        "currency": st.sampled_from(CURRENCIES),
    },
    optional={
        "hs_code": st.from_regex(r"\A[0-9]{8}([0-9]{2})?\Z"),
        "control_code": st.from_regex(r"\A[0-9][A-E][0-9]{3}(\.[a-z])?\Z"),
        "cn_rare_earth_share": st.floats(min_value=0, max_value=1),
    },
)


@st.composite
def orders(draw: st.DrawFn) -> dict[str, Any]:
    order_lines = draw(st.lists(lines, min_size=1, max_size=5))
    for n, line in enumerate(order_lines):
        line["line_id"] = f"L{n}"
    return {
        "order_id": draw(st.text("ABCXYZ0123456789-", min_size=1, max_size=30)),
        "revision": draw(st.integers(min_value=1, max_value=1000)),
        "event_time": draw(st.datetimes(timezones=OFFSETS)).isoformat(),
        "exporter": draw(parties()),
        "consignee": draw(parties()),
        "end_user": draw(parties()),
        "destination_country": draw(st.sampled_from(COUNTRIES)),
        "lines": order_lines,
    }


# Corruptions every valid order must be refused for, each with its specific dead-letter reason.
R = InvalidReason
CORRUPTIONS = st.sampled_from(
    [
        ("drop order_id", lambda o: o.pop("order_id"), R.MISSING_FIELD),
        ("drop lines", lambda o: o.pop("lines"), R.MISSING_FIELD),
        ("no lines", lambda o: o.__setitem__("lines", []), R.INVALID_VALUE),
        ("revision as text", lambda o: o.__setitem__("revision", "two"), R.WRONG_TYPE),
        ("revision zero", lambda o: o.__setitem__("revision", 0), R.INVALID_VALUE),
        ("unknown destination", lambda o: o.__setitem__("destination_country", "XX"), R.UNKNOWN_COUNTRY),
        ("unknown currency", lambda o: o["lines"][0].__setitem__("currency", "XYZ"), R.UNKNOWN_CURRENCY),
        ("negative quantity", lambda o: o["lines"][0].__setitem__("quantity", -1), R.INVALID_VALUE),
        ("NaN quantity", lambda o: o["lines"][0].__setitem__("quantity", math.nan), R.NON_FINITE_NUMBER),
        ("huge quantity", lambda o: o["lines"][0].__setitem__("quantity", 1e300), R.INVALID_VALUE),
        ("duplicate line id", lambda o: o["lines"].append(dict(o["lines"][0])), R.DUPLICATE_LINE_ID),
        ("naive event time", lambda o: o.__setitem__("event_time", "2026-03-01T10:00:00"), R.NAIVE_TIMESTAMP),
        (
            "control character in name",
            lambda o: o["consignee"].__setitem__("name", "ACME\x07 Ltd"),
            R.CONTROL_CHARACTER,
        ),
        ("party is a list", lambda o: o.__setitem__("end_user", ["ACME"]), R.WRONG_TYPE),
    ]
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orders())
def test_valid_orders_pass_and_round_trip(raw: dict[str, Any]) -> None:
    order = OrderEvent.model_validate_json(json.dumps(raw))
    assert OrderEvent.model_validate_json(order.model_dump_json()) == order
    assert order.as_of in (order.ship_date, order.event_time.date())


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orders(), CORRUPTIONS)
def test_corrupted_orders_are_refused_with_a_validation_error(raw: dict[str, Any], corruption: Any) -> None:
    _, corrupt, reason = corruption
    corrupt(raw)
    with pytest.raises(ValidationError):
        OrderEvent.model_validate_json(json.dumps(raw))
    rejection = parse_order(json.dumps(raw).encode())
    assert isinstance(rejection, Rejection)
    assert rejection.reason is reason, rejection.detail


@settings(max_examples=100, deadline=None)
@given(orders())
def test_intake_accepts_what_the_schema_accepts(raw: dict[str, Any]) -> None:
    assert parse_order(json.dumps(raw).encode()) == OrderEvent.model_validate(raw)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=300), JSON_VALUES.map(lambda v: json.dumps(v).encode())))
def test_intake_never_raises_on_arbitrary_input(raw: bytes) -> None:
    outcome = parse_order(raw)
    assert isinstance(outcome, OrderEvent | Rejection)
    if isinstance(outcome, Rejection):
        assert outcome.reason in set(InvalidReason)
        assert outcome.detail


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=33, max_value=150_000), st.sampled_from("[{"))
def test_intake_refuses_deep_nesting_without_recursing(depth: int, opener: str) -> None:
    closer = {"[": "]", "{": "}"}[opener]
    body = '{"a":' * depth + "1" + "}" * depth if opener == "{" else "[" * depth + closer * depth
    outcome = parse_order(body.encode())
    assert isinstance(outcome, Rejection)
    assert outcome.reason is InvalidReason.TOO_DEEP
