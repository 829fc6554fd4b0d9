"""Shared fixtures: a valid order to start from and, for `kafka` tests, the real local broker."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

OrderDict = dict[str, Any]

_BASE_ORDER: OrderDict = {
    "order_id": "ORD-TEST-0001",
    "revision": 1,
    "event_time": "2026-03-02T09:15:00+00:00",
    "ship_date": "2026-03-10",
    "exporter": {"party_id": "EXP-1", "name": "Hunan Minmetals Trading Co., Ltd.", "country": "CN"},
    "consignee": {"name": "Rotterdam Metals B.V.", "country": "NL"},
    "end_user": {"name": "Eindhoven Optics B.V.", "country": "NL", "address": "Kastanjelaan 4, Eindhoven"},
    "destination_country": "NL",
    "end_use": {"code": "civil-manufacturing", "description": "Infrared lens blanks"},
    "lines": [
        {
            "line_id": "1",
            "sku": "GE-INGOT-5N",
            "description": "Germanium ingot, 99.999 %",
            "hs_code": "81129290",
            "quantity": 20,
            "unit": "kg",
            "value": 36000,
            "currency": "USD",
            "origin_country": "CN",
        }
    ],
}


@pytest.fixture
def make_order() -> Callable[..., OrderDict]:
    """A fresh valid order dict; keyword arguments replace top-level fields."""

    def build(**fields: Any) -> OrderDict:
        order = copy.deepcopy(_BASE_ORDER)
        order.update(fields)
        return order

    return build
