"""Licences and orders for the licence tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from schemas.licence import Licence

EXPORTER = {"party_id": "P-CN-EXPORTER", "name": "Ganzhou Example Rare Earth Co., Ltd.", "country": "CN"}
SIEMENS = {"party_id": "P-DE-SIEMENS", "name": "Siemens AG", "country": "DE"}


def licence_dict(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "number": "L-1",
        "type": "single",
        "holder": EXPORTER,
        "destinations": ["DE"],
        "consignee": SIEMENS,
        "end_user": SIEMENS,
        "valid_from": "2026-01-01",
        "valid_until": "2026-12-31",
        "items": [
            {
                "item_id": "1",
                "control_code": "1C902",
                "quantity": 100,
                "unit": "kg",
                "value": 1000,
                "currency": "USD",
            },
            {
                "item_id": "2",
                "hs_code": "81129290",
                "quantity": 10,
                "unit": "kg",
                "value": 500,
                "currency": "USD",
            },
        ],
    }
    base.update(fields)
    return base


@pytest.fixture
def make_licence() -> Callable[..., dict[str, Any]]:
    """A licence dict with `fields` replaced."""
    return licence_dict


@pytest.fixture
def licence() -> Licence:
    return Licence.model_validate(licence_dict())
