"""Which licence covers which line: validity, holder, destination, parties, item, Watch List."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from pipeline.licences.coverage import LicensableLine, plan_cover
from schemas.licence import Licence
from schemas.order import OrderEvent

ORDER: dict[str, Any] = {
    "order_id": "O1",
    "event_time": "2026-03-02T09:00:00+00:00",
    "exporter": {
        "party_id": "P-CN-EXPORTER",
        "name": "Ganzhou Example Rare Earth Co., Ltd.",
        "country": "CN",
    },
    "consignee": {"name": "SIEMENS AG", "country": "DE"},
    "end_user": {"name": "Siemens  AG", "country": "DE"},
    "destination_country": "DE",
    "licence_numbers": ["L-1"],
    "lines": [
        {"line_id": "a", "description": "magnets", "quantity": 1, "unit": "kg", "value": 1, "currency": "USD"}
    ],
}
MAGNETS = LicensableLine("a", ("1C902.a",), None, 5, "kg", 50, "USD")
GALLIUM = LicensableLine("b", (), "8112929010", 5, "kg", 50, "USD")
AS_OF = date(2026, 3, 10)


def order(**fields: Any) -> OrderEvent:
    return OrderEvent.model_validate({**ORDER, **fields})


def licences(*dicts: dict[str, Any]) -> dict[str, Licence]:
    return {d["number"]: Licence.model_validate(d) for d in dicts}


def test_single_licence_covers_by_control_code_parent_and_customs_prefix(
    make_licence: Callable[..., dict[str, Any]],
) -> None:
    plan = plan_cover(licences(make_licence()), order(), [MAGNETS, GALLIUM], AS_OF, watch_listed=False)
    assert plan.licence_number == "L-1"
    assert plan.items == {"a": "1", "b": "2"}


@pytest.mark.parametrize(
    ("licence_fields", "order_fields", "line", "why"),
    [
        ({"valid_until": "2026-03-01"}, {}, MAGNETS, "not valid on 2026-03-10"),
        ({}, {"destination_country": "NL"}, MAGNETS, "does not cover destination NL"),
        ({}, {"consignee": {"name": "Other GmbH", "country": "DE"}}, MAGNETS, "different consignee"),
        ({"holder": {"name": "Someone Else Ltd", "country": "CN"}}, {}, MAGNETS, "not the exporter"),
        ({}, {"licence_numbers": ["L-404"]}, MAGNETS, "L-404 is not on file"),
        ({}, {}, LicensableLine("a", ("1C902.a",), None, 5, "t", 50, "USD"), "has no item for it"),
        ({}, {}, LicensableLine("a", ("3A001",), None, 5, "kg", 50, "USD"), "has no item for it"),
        ({}, {"licence_numbers": []}, MAGNETS, "the order names no licence"),
    ],
)
def test_uncovered_lines_say_why(
    make_licence: Callable[..., dict[str, Any]],
    licence_fields: dict[str, Any],
    order_fields: dict[str, Any],
    line: LicensableLine,
    why: str,
) -> None:
    plan = plan_cover(
        licences(make_licence(**licence_fields)), order(**order_fields), [line], AS_OF, watch_listed=False
    )
    assert plan.licence_number is None
    assert why in plan.uncovered[0].why


@pytest.mark.parametrize(("licence_type", "covered"), [("general", False), ("single", True)])
def test_watch_list_parties_take_only_single_licences(
    make_licence: Callable[..., dict[str, Any]], licence_type: str, covered: bool
) -> None:
    lic = (
        make_licence(type=licence_type, consignee=None, end_user=None)
        if licence_type == "general"
        else make_licence()
    )
    plan = plan_cover(licences(lic), order(), [MAGNETS], AS_OF, watch_listed=True)
    assert (plan.licence_number is not None) is covered


def test_one_licence_must_cover_the_whole_order(make_licence: Callable[..., dict[str, Any]]) -> None:
    first = make_licence(items=[make_licence()["items"][0]])
    second = make_licence(number="L-2", items=[make_licence()["items"][1]])
    plan = plan_cover(
        licences(first, second),
        order(licence_numbers=["L-1", "L-2"]),
        [MAGNETS, GALLIUM],
        AS_OF,
        watch_listed=False,
    )
    assert plan.licence_number is None
    assert "no single licence covers the whole order" in plan.uncovered[0].why


def test_later_licence_is_used_when_it_alone_covers_everything(
    make_licence: Callable[..., dict[str, Any]],
) -> None:
    partial = make_licence(items=[make_licence()["items"][0]])
    full = make_licence(number="L-2")
    plan = plan_cover(
        licences(partial, full),
        order(licence_numbers=["L-1", "L-2"]),
        [MAGNETS, GALLIUM],
        AS_OF,
        watch_listed=False,
    )
    assert plan.licence_number == "L-2"


@pytest.mark.parametrize(
    "fields",
    [
        {"type": "single", "consignee": None},
        {"valid_until": "2025-01-01"},
        {"items": [{"item_id": "1", "quantity": 1, "unit": "kg", "value": 1, "currency": "USD"}]},
        {"destinations": []},
        {
            "items": [
                {"item_id": "1", "hs_code": "81", "quantity": 1, "unit": "kg", "value": 1, "currency": "USD"}
            ]
        },
    ],
)
def test_malformed_licences_are_refused(
    make_licence: Callable[..., dict[str, Any]], fields: dict[str, Any]
) -> None:
    with pytest.raises(ValueError, match="validation error"):
        Licence.model_validate(make_licence(**fields))
