"""Decision and alert JSON written by orjson (`model_json`) equals pydantic's, byte for byte.

The topics' consumers read these bytes with the `schemas/` models and the JSON Schema: the fast
writer must give the same fields, values and formatting as `model_dump_json()` for every decision the
screener makes (eval sets, hold-out set, bench mix) and for generated records covering every field.
"""

from __future__ import annotations

import json
from datetime import timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.decisions.encoding import model_json
from pipeline.flow.outputs import blocked_alerts
from pipeline.settings import Settings
from schemas.decision import Citation, DecisionRecord, Outcome, PartyMatch, Reason, Route
from schemas.order import OrderEvent

# The session fixture `screened` (conftest.py): every eval, hold-out and bench order and its decision.
Screened = tuple[tuple[OrderEvent, DecisionRecord], ...]


def test_screened_decisions_encode_as_pydantic_does(screened: Screened) -> None:
    decisions = screened
    assert len(decisions) > 800
    routes = {record.route for _, record in decisions}
    assert routes == set(Route)
    assert any(record.party_matches for _, record in decisions)
    for _, record in decisions:
        published = record.model_copy(
            update={"decision_id": "d-1", "source": {"topic": "orders", "partition": 3, "offset": 77}}
        )
        for candidate in (record, published):
            assert model_json(candidate) == candidate.model_dump_json().encode()


def test_blocked_alerts_encode_as_pydantic_does(screened: Screened) -> None:
    alerts = [alert for order, record in screened for alert in blocked_alerts(Settings(), order, record)]
    assert len(alerts) > 50
    for alert in alerts:
        assert model_json(alert) == alert.model_dump_json().encode()


def test_every_field_of_the_record_is_written(screened: Screened) -> None:
    _, record = screened[0]
    assert list(json.loads(model_json(record))) == list(DecisionRecord.model_fields)


_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
_OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
_TIMES = st.datetimes(timezones=st.none() | _OFFSETS)
_CITATIONS = st.builds(Citation, authority=_TEXT, instrument=_TEXT, date=st.dates(), url=_TEXT)
_REASONS = st.builds(
    Reason,
    rule_id=_TEXT,
    title=_TEXT,
    outcome=st.sampled_from(Outcome),
    citation=st.none() | _CITATIONS,
    line_id=st.none() | _TEXT,
    party_role=st.none() | _TEXT,
    explanation=_TEXT,
    evidence=st.dictionaries(_TEXT, _TEXT, max_size=3),
    confidence=st.none() | _TEXT,
)
_MATCHES = st.builds(
    PartyMatch,
    role=_TEXT,
    name_sent=_TEXT,
    list=_TEXT,
    program=_TEXT,
    entry_id=_TEXT,
    listed_name=_TEXT,
    score=st.floats(min_value=0, max_value=1),
    strength=_TEXT,
    matched=_TEXT,
    status=_TEXT,
    via_owner=st.none() | _TEXT,
    party_key=st.none() | _TEXT,
    entry_hash=st.none() | _TEXT,
)
_RECORDS = st.builds(
    DecisionRecord,
    decision_id=_TEXT,
    order_id=_TEXT,
    revision=st.integers(min_value=1, max_value=1_000_000),
    route=st.sampled_from(Route),
    as_of=st.dates(),
    evaluated_at=_TIMES,
    event_time=st.none() | _TIMES,
    reasons=st.lists(_REASONS, max_size=4),
    party_matches=st.lists(_MATCHES, max_size=2),
    versions=st.dictionaries(_TEXT, _TEXT, max_size=3),
    fail_closed=st.booleans(),
    supersedes=st.none() | _TEXT,
    review=st.none() | st.dictionaries(_TEXT, _TEXT, max_size=2),
    source=st.none() | st.dictionaries(_TEXT, st.integers(0, 2**40) | _TEXT, max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(_RECORDS)
def test_any_decision_record_encodes_as_pydantic_does(record: DecisionRecord) -> None:
    assert model_json(record) == record.model_dump_json().encode()
