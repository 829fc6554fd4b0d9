"""Intake: a record that could be read two ways is a dead letter with its own reason, never an order.

The poison mix of issue 15: duplicate keys, numbers and booleans given as something else, control and
invisible characters in any text field, codes not in their canonical case.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from pipeline.intake import InvalidReason, Rejection, parse_order
from schemas.order import OrderEvent

Build = Callable[..., dict[str, Any]]
R = InvalidReason


def _encode(order: dict[str, Any]) -> bytes:
    return json.dumps(order, ensure_ascii=False).encode()


def _refused(raw: bytes) -> Rejection:
    result = parse_order(raw)
    assert isinstance(result, Rejection), f"accepted: {raw[:200]!r}"
    return result


# --- duplicate keys -----------------------------------------------------------------------------


def test_duplicate_destination_is_refused_not_read_as_the_last_value(make_order: Build) -> None:
    raw = _encode(make_order(destination_country="DE")).replace(
        b'"destination_country": "DE"', b'"destination_country": "RU", "destination_country": "DE"'
    )

    rejection = _refused(raw)

    assert rejection.reason is R.DUPLICATE_KEY
    assert "'destination_country'" in rejection.detail
    assert "'RU'" in rejection.detail
    assert "'DE'" in rejection.detail


@pytest.mark.parametrize(
    ("case", "original", "doubled"),
    [
        ("in a line", b'"quantity": 20', b'"quantity": 20, "quantity": 2000'),
        ("in a party", b'"name": "Rotterdam Metals B.V."', b'"name": "X", "name": "Rotterdam Metals B.V."'),
        ("in the end use", b'"code": "civil-manufacturing"', b'"code": "MIL", "code": "civil-manufacturing"'),
        ("same value twice", b'"revision": 1', b'"revision": 1, "revision": 1'),
        ("unknown field", b'"revision": 1', b'"revision": 1, "note": "a", "note": "b"'),
    ],
)
def test_a_key_given_twice_anywhere_is_refused(
    make_order: Build, case: str, original: bytes, doubled: bytes
) -> None:
    raw = _encode(make_order())
    assert original in raw, case

    assert _refused(raw.replace(original, doubled, 1)).reason is R.DUPLICATE_KEY


def test_equal_keys_in_different_objects_are_not_duplicates(make_order: Build) -> None:
    order = make_order()
    order["lines"].append({**order["lines"][0], "line_id": "2"})

    assert isinstance(parse_order(_encode(order)), OrderEvent)


# --- strict numbers and booleans ----------------------------------------------------------------


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def change(order: dict[str, Any]) -> dict[str, Any]:
        target: Any = order
        *parents, last = path.split(".")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = value
        return order

    return change


STRICT_TYPES = [
    ("quantity as text", "lines.0.quantity", "12"),
    ("quantity as boolean", "lines.0.quantity", True),
    ("value as text", "lines.0.value", "36000"),
    ("value as boolean", "lines.0.value", False),
    ("rare-earth share as text", "lines.0.cn_rare_earth_share", "0.2"),
    ("revision as text", "revision", "2"),
    ("revision as boolean", "revision", True),
    ("revision as a fraction", "revision", 2.5),
    ("revision as a float", "revision", 2.0),
    ("event time as epoch seconds", "event_time", 1_772_442_900),
    ("ship date as epoch seconds", "ship_date", 1_773_100_800),
    ("name as a number", "consignee.name", 12345),
    ("line id as a number", "lines.0.line_id", 1),
]


@pytest.mark.parametrize(("case", "path", "value"), STRICT_TYPES, ids=[c[0] for c in STRICT_TYPES])
def test_numbers_booleans_and_times_are_not_converted(
    make_order: Build, case: str, path: str, value: Any
) -> None:
    rejection = _refused(_encode(_set(path, value)(make_order())))

    assert rejection.reason is R.WRONG_TYPE, case
    assert path.rsplit(".", maxsplit=1)[-1] in rejection.detail


def test_an_integer_quantity_is_a_number(make_order: Build) -> None:
    order = parse_order(_encode(_set("lines.0.quantity", 12)(make_order())))

    assert isinstance(order, OrderEvent)
    assert order.lines[0].quantity == 12.0
    assert order.revision == 1


# --- control and invisible characters -----------------------------------------------------------

TEXT_FIELDS = [
    "order_id",
    "exporter.party_id",
    "exporter.name",
    "consignee.address",
    "end_user.name",
    "end_use.code",
    "end_use.description",
    "lines.0.line_id",
    "lines.0.sku",
    "lines.0.description",
    "lines.0.unit",
]


@pytest.mark.parametrize("path", TEXT_FIELDS)
@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\u202e", "\u200b", "\ufeff"])
def test_control_characters_are_refused_in_every_text_field(
    make_order: Build, path: str, character: str
) -> None:
    rejection = _refused(_encode(_set(path, f"Gallium{character} metal")(make_order())))

    assert rejection.reason is R.CONTROL_CHARACTER
    assert f"U+{ord(character):04X}" in rejection.detail
    assert path.rsplit(".", maxsplit=1)[-1] in rejection.detail


def test_control_characters_are_refused_in_intermediary_roles_and_licence_numbers(make_order: Build) -> None:
    intermediary = {"name": "Forwarder Ltd", "country": "SG", "role": "freight\x00forwarder"}
    for order in (make_order(intermediaries=[intermediary]), make_order(licence_numbers=["L-1\x00"])):
        assert _refused(_encode(order)).reason is R.CONTROL_CHARACTER


def test_a_lone_surrogate_is_refused(make_order: Build) -> None:
    raw = _encode(make_order()).replace(b"Germanium ingot", b"Germanium \\ud800ingot")

    assert _refused(raw).reason is R.CONTROL_CHARACTER


@pytest.mark.parametrize("path", ["consignee.address", "lines.0.description", "end_use.description"])
def test_free_text_keeps_tabs_and_line_breaks(make_order: Build, path: str) -> None:
    order = parse_order(_encode(_set(path, "Kastanjelaan 4\r\nEindhoven\tNL")(make_order())))

    assert isinstance(order, OrderEvent)


@pytest.mark.parametrize("path", ["order_id", "exporter.name", "lines.0.line_id", "end_use.code"])
def test_names_and_identifiers_refuse_line_breaks(make_order: Build, path: str) -> None:
    assert _refused(_encode(_set(path, "ORD\n42")(make_order()))).reason is R.CONTROL_CHARACTER


# --- code case ----------------------------------------------------------------------------------

CODE_CASES = [
    ("destination lower case", "destination_country", "de"),
    ("destination mixed case", "destination_country", "De"),
    ("party country lower case", "end_user.country", "nl"),
    ("origin lower case", "lines.0.origin_country", "cn"),
    ("currency lower case", "lines.0.currency", "usd"),
    ("control code category lower case", "lines.0.control_code", "1c902.a"),
    ("control code sub-paragraph upper case", "lines.0.control_code", "1C902.A"),
    ("tech entry lower case", "lines.0.tech_entry", "053302j"),
]


@pytest.mark.parametrize(("case", "path", "value"), CODE_CASES, ids=[c[0] for c in CODE_CASES])
def test_codes_not_in_canonical_case_are_refused(make_order: Build, case: str, path: str, value: str) -> None:
    rejection = _refused(_encode(_set(path, value)(make_order())))

    assert rejection.reason is R.CODE_CASE, case
    assert repr(value) in rejection.detail


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("destination_country", "DE"),
        ("lines.0.currency", "EUR"),
        ("lines.0.control_code", "1C902.a.1"),
        ("lines.0.tech_entry", "053302J"),
    ],
)
def test_codes_in_canonical_case_pass(make_order: Build, path: str, value: str) -> None:
    assert isinstance(parse_order(_encode(_set(path, value)(make_order()))), OrderEvent)


def test_an_unknown_code_is_still_unknown_not_a_case_error(make_order: Build) -> None:
    assert _refused(_encode(make_order(destination_country="XX"))).reason is R.UNKNOWN_COUNTRY
    assert _refused(_encode(_set("lines.0.control_code", "1X902")(make_order()))).reason is R.INVALID_VALUE
