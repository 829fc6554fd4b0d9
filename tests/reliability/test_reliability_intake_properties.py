"""Property tests of order validation: valid orders pass and round-trip, any corruption is refused cleanly."""

from __future__ import annotations

import json
import math
from datetime import timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

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


# Corruptions every valid order must be refused for, as a ValidationError and nothing else.
CORRUPTIONS = st.sampled_from(
    [
        ("drop order_id", lambda o: o.pop("order_id")),
        ("drop lines", lambda o: o.pop("lines")),
        ("no lines", lambda o: o.__setitem__("lines", [])),
        ("revision as text", lambda o: o.__setitem__("revision", "two")),
        ("revision zero", lambda o: o.__setitem__("revision", 0)),
        ("unknown destination", lambda o: o.__setitem__("destination_country", "XX")),
        ("unknown currency", lambda o: o["lines"][0].__setitem__("currency", "XYZ")),
        ("negative quantity", lambda o: o["lines"][0].__setitem__("quantity", -1)),
        ("NaN quantity", lambda o: o["lines"][0].__setitem__("quantity", math.nan)),
        ("huge quantity", lambda o: o["lines"][0].__setitem__("quantity", 1e300)),
        ("duplicate line id", lambda o: o["lines"].append(dict(o["lines"][0]))),
        ("naive event time", lambda o: o.__setitem__("event_time", "2026-03-01T10:00:00")),
        ("control character in name", lambda o: o["consignee"].__setitem__("name", "ACME\x07 Ltd")),
        ("party is a list", lambda o: o.__setitem__("end_user", ["ACME"])),
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
    _, corrupt = corruption
    corrupt(raw)
    with pytest.raises(ValidationError):
        OrderEvent.model_validate_json(json.dumps(raw))
