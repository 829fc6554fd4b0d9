"""Decisions assembled from the engine's values without validation equal validated ones, type for type.

`build_decision` no longer validates what the engine built; if a finding, hit or order value ever had
another type than the schema's (a str for an enum, an int for a float), these comparisons fail.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from pydantic import BaseModel

from pipeline.decisions.assemble import plain_model
from pipeline.decisions.record import build_decision
from pipeline.enrichment.enriched import ClearanceNote, EnrichedOrder, PartyHit
from pipeline.flow.outputs import blocked_alerts
from pipeline.rules.findings import Finding
from pipeline.settings import Settings
from schemas.alert import BlockedAlert
from schemas.decision import DecisionRecord, Outcome
from schemas.order import OrderEvent
from tests.conftest import OrderDict

Screened = tuple[tuple[OrderEvent, DecisionRecord], ...]


def validated(record: DecisionRecord) -> DecisionRecord:
    """What pydantic makes of the same fields (only those the builder set, as it validated them)."""
    return DecisionRecord.model_validate(record.model_dump(exclude_unset=True))


def assert_same(assembled: BaseModel, reference: BaseModel) -> None:
    # repr tells an enum from its value and 1 from 1.0, which == does not.
    assert repr(assembled) == repr(reference)
    assert assembled == reference
    assert assembled.model_fields_set == reference.model_fields_set
    assert assembled.model_dump_json() == reference.model_dump_json()


def test_screened_decisions_equal_their_validated_twins(screened: Screened) -> None:
    assert any(record.party_matches for _, record in screened)
    assert any(record.fail_closed for _, record in screened)
    for _, record in screened:
        reference = validated(record)
        assert_same(record, reference)
        for mine, theirs in zip(record.reasons, reference.reasons, strict=True):
            assert_same(mine, theirs)
            assert mine.outcome is theirs.outcome
        for mine_match, their_match in zip(record.party_matches, reference.party_matches, strict=True):
            assert_same(mine_match, their_match)
        assert record.route is reference.route


def test_a_cleared_hit_is_cited_as_validation_would_build_it(make_order: Callable[..., OrderDict]) -> None:
    order = OrderEvent.model_validate(make_order())
    note = ClearanceNote(
        "CLR-1",
        "reviewer@example.com",
        datetime(2026, 3, 1, 8, tzinfo=UTC),
        "not the same firm",
        datetime(2026, 9, 1, tzinfo=UTC),
    )
    hit = PartyHit(
        "consignee",
        "Rotterdam Metals B.V.",
        "NL",
        "MOFCOM",
        "CN-UEL",
        "UEL-7",
        "Rotterdam Metal",
        0.93,
        "potential",
        "name ~ listed name",
        "listed",
        party_key="k",
        entry_hash="h",
        clearance=note,
    )
    finding = Finding(
        "r-1", "Rule one", Outcome.LICENCE_REQUIRED, None, "1", None, "why", (("k", "v"),), "high", 0
    )
    enriched = EnrichedOrder(order, date(2026, 3, 10), (), (), party_hits=(hit,), cleared_hits=(hit,))
    record = build_decision(enriched, [finding], rules_version="r@1")
    assert [reason.rule_id for reason in record.reasons] == ["r-1", "party.cleared"]
    assert record.reasons[1].outcome is Outcome.INFO
    assert record.party_matches[0].score == 0.93
    assert_same(record, validated(record))
    for mine, theirs in zip(record.reasons, validated(record).reasons, strict=True):
        assert_same(mine, theirs)


def test_models_that_keep_more_than_their_fields_are_refused() -> None:
    class Open(BaseModel):
        model_config = {"extra": "allow"}

    with pytest.raises(TypeError, match="model_validate"):
        plain_model(Open)


def test_blocked_alerts_equal_their_validated_twins(screened: Screened) -> None:
    alerts = [alert for order, record in screened for alert in blocked_alerts(Settings(), order, record)]
    assert len(alerts) > 50
    for alert in alerts:
        reference = BlockedAlert.model_validate(alert.model_dump())
        assert_same(alert, reference)
        for mine, theirs in zip(alert.parties, reference.parties, strict=True):
            assert_same(mine, theirs)
