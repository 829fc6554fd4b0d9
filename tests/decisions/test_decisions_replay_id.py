"""The replay decision id hashes the order's canonical JSON, now written by orjson: the bytes must stay
pydantic's, or a record redelivered across an upgrade would get a second decision id."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from pipeline.decisions.encoding import model_json
from pipeline.decisions.ids import url_uuid
from pipeline.flow.processing import replay_decision_id
from schemas.decision import DecisionRecord
from schemas.order import MAX_QUANTITY, MAX_VALUE, OrderEvent
from tests.conftest import OrderDict

Screened = tuple[tuple[OrderEvent, DecisionRecord], ...]


def id_as_before(order: OrderEvent, record: DecisionRecord) -> str:
    """The formula as it was written before orjson: pydantic's JSON of the order, hashed."""
    versions = ",".join(f"{kind}={version}" for kind, version in sorted(record.versions.items()))
    content = hashlib.sha256(order.model_dump_json().encode("utf-8")).hexdigest()
    return url_uuid(f"decision:{order.order_id}:{order.revision}:{versions}:{content}")


def test_replay_ids_of_screened_orders_are_what_they_were(screened: Screened) -> None:
    ids = set()
    for order, record in screened:
        assert model_json(order) == order.model_dump_json().encode()
        ids.add(replay_decision_id(order, record))
        assert replay_decision_id(order, record) == id_as_before(order, record)
    assert len(ids) == len({(order.order_id, order.revision) for order, _ in screened})


# Names and descriptions the schema accepts: something besides white space (it strips them).
_TEXT = st.text(
    st.characters(exclude_categories=["Cs", "Cc", "Zl", "Zp", "Cf"]), min_size=1, max_size=30
).filter(str.strip)
_OFFSETS = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
# Hypothesis takes naive bounds and attaches the offsets itself.
_MOMENTS = st.datetimes(
    min_value=datetime(1970, 1, 2, tzinfo=UTC).replace(tzinfo=None),
    max_value=datetime(2200, 1, 1, tzinfo=UTC).replace(tzinfo=None),
    timezones=_OFFSETS,
)
_CHANGES = st.fixed_dictionaries(
    {
        "quantity": st.floats(min_value=1e-9, max_value=MAX_QUANTITY),
        "value": st.floats(min_value=0, max_value=MAX_VALUE),
        "cn_rare_earth_share": st.none() | st.floats(min_value=0, max_value=1),
        "description": _TEXT,
    }
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line=_CHANGES, moment=_MOMENTS, name=_TEXT)
def test_any_order_writes_pydantic_s_bytes(
    make_order: Callable[..., OrderDict], line: dict[str, Any], moment: datetime, name: str
) -> None:
    body: dict[str, Any] = make_order(event_time=moment.isoformat())
    body["consignee"]["name"] = name
    body["lines"][0].update(line)
    order = OrderEvent.model_validate(body)
    assert model_json(order) == order.model_dump_json().encode()


class _Amount(BaseModel):
    amount: float
    note: str


@pytest.mark.parametrize("amount", [1e16, 1.2345678901234567e20, 12.5])
def test_floats_from_1e16_up_are_written_as_pydantic_writes_them(amount: float) -> None:
    model = _Amount(amount=amount, note="grade e+ model")
    assert model_json(model) == model.model_dump_json().encode()


def test_a_utc_event_time_is_written_with_z(make_order: Callable[..., OrderDict]) -> None:
    order = OrderEvent.model_validate(make_order(event_time=datetime(2026, 3, 2, 9, tzinfo=UTC).isoformat()))
    assert b'"event_time":"2026-03-02T09:00:00Z"' in model_json(order)
