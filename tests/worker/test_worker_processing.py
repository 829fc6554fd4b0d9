"""RecordProcessor without a broker: what gets published for decisions, alerts, crashes, bad input."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from pipeline.flow.outputs import SourceRecord
from pipeline.flow.processing import SCREENING_FAILED_RULE, RecordProcessor
from pipeline.settings import Settings
from schemas.decision import Citation, DecisionRecord, Outcome, Reason, Route
from schemas.order import OrderEvent

SETTINGS = Settings(topic_prefix="unit.", console_url="https://console.example")
CITATION = Citation(
    authority="MOFCOM", instrument="2024 No. 46", date=date(2024, 12, 3), url="https://www.mofcom.gov.cn/"
)


class FixedScreener:
    def __init__(self, route: Route, outcomes: list[Outcome]) -> None:
        self.route = route
        self.outcomes = outcomes

    def screen(self, order: OrderEvent, *, as_of: date | None = None) -> DecisionRecord:
        return DecisionRecord(
            decision_id=str(uuid.uuid4()),
            order_id=order.order_id,
            revision=order.revision,
            route=self.route,
            as_of=as_of or order.as_of,
            evaluated_at=datetime.now(UTC),
            reasons=[
                Reason(rule_id=f"rule-{i}", title="t", outcome=o, citation=CITATION, explanation="why")
                for i, o in enumerate(self.outcomes)
            ],
        )


class CrashingScreener:
    def screen(self, order: OrderEvent, *, as_of: date | None = None) -> DecisionRecord:  # noqa: ARG002
        msg = f"reference data went away while screening {order.order_id}"
        raise RuntimeError(msg)


class RecordingObserver:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def decided(self, record: DecisionRecord, seconds: float, destination: str | None = None) -> None:
        assert seconds >= 0
        assert destination, "the processor passes the order's destination"
        self.events.append(("decided", record.route))

    def rejected(self, reason: str) -> None:
        self.events.append(("rejected", reason))

    def failed(self, stage: str, error: BaseException) -> None:
        assert isinstance(error, Exception)
        self.events.append(("failed", stage))


def _source(value: bytes | None, key: bytes | None = b"K-1") -> SourceRecord:
    return SourceRecord(topic="unit.orders", partition=3, offset=41, key=key, value=value)


@pytest.mark.parametrize(
    ("route", "outcomes", "topics"),
    [
        (Route.RELEASE, [], ["unit.shipments.release", "unit.screening.decisions"]),
        (Route.LICENSE, [Outcome.LICENCE_REQUIRED], ["unit.shipments.license", "unit.screening.decisions"]),
        (
            Route.HOLD,
            [Outcome.PROHIBITED, Outcome.REVIEW, Outcome.PROHIBITED],
            ["unit.shipments.hold", "unit.screening.decisions", "unit.alerts.blocked", "unit.alerts.blocked"],
        ),
    ],
)
def test_decisions_go_to_their_route_and_prohibitions_raise_alerts(
    make_order: Callable[..., dict[str, Any]], route: Route, outcomes: list[Outcome], topics: list[str]
) -> None:
    observer = RecordingObserver()
    processor = RecordProcessor(SETTINGS, FixedScreener(route, outcomes), observer)

    out = processor.process(_source(json.dumps(make_order(order_id="ORD-7")).encode()))

    assert [m.topic for m in out] == topics
    assert {m.key for m in out} == {b"ORD-7"}
    decision = json.loads(out[1].value)
    assert decision["route"] == route
    assert decision["source"] == {"topic": "unit.orders", "partition": 3, "offset": 41}
    assert observer.events == [("decided", route)]
    alerts = [json.loads(m.value) for m in out[2:]]
    prohibited = [f"rule-{i}" for i, outcome in enumerate(outcomes) if outcome is Outcome.PROHIBITED]
    assert [a["rule_id"] for a in alerts] == prohibited
    for alert in alerts:
        assert alert["link"] == "https://console.example/holds/ORD-7"
        assert [p["role"] for p in alert["parties"]] == ["exporter", "consignee", "end_user"]
        assert alert["citation"]["instrument"] == "2024 No. 46"


def test_a_screening_crash_holds_the_order_fail_closed(make_order: Callable[..., dict[str, Any]]) -> None:
    observer = RecordingObserver()
    processor = RecordProcessor(SETTINGS, CrashingScreener(), observer)

    out = processor.process(_source(json.dumps(make_order(order_id="ORD-8")).encode()))

    assert [m.topic for m in out] == ["unit.shipments.hold", "unit.screening.decisions"]
    decision = json.loads(out[0].value)
    assert decision["fail_closed"] is True
    assert [r["rule_id"] for r in decision["reasons"]] == [SCREENING_FAILED_RULE]
    assert observer.events == [("failed", "screen"), ("decided", "hold")]


@pytest.mark.parametrize(
    ("value", "key", "reason"),
    [
        (b"\xff\xfe", b"K-1", "not_utf8"),
        (b"{", None, "not_json"),
        (None, b"tombstone", "empty"),
    ],
)
def test_malformed_records_become_dead_letters(value: bytes | None, key: bytes | None, reason: str) -> None:
    observer = RecordingObserver()
    processor = RecordProcessor(SETTINGS, CrashingScreener(), observer)

    [out] = processor.process(_source(value, key))

    letter = json.loads(out.value)
    assert out.topic == "unit.orders.invalid"
    assert out.key == key
    assert letter["reason"] == reason
    assert base64.b64decode(letter["original_base64"]) == (value or b"")
    assert (letter["source_topic"], letter["source_partition"], letter["source_offset"]) == (
        "unit.orders",
        3,
        41,
    )
    assert observer.events == [("rejected", reason)]


def test_an_unexpected_error_dead_letters_the_record_instead_of_raising(
    make_order: Callable[..., dict[str, Any]],
) -> None:
    class BrokenRecord(FixedScreener):
        def screen(self, order: OrderEvent, *, as_of: date | None = None) -> DecisionRecord:  # noqa: ARG002
            return object()  # type: ignore[return-value]  # not a DecisionRecord: output building fails

    observer = RecordingObserver()
    processor = RecordProcessor(SETTINGS, BrokenRecord(Route.HOLD, []), observer)

    [out] = processor.process(_source(json.dumps(make_order()).encode()))

    assert out.topic == "unit.orders.invalid"
    assert json.loads(out.value)["reason"] == "processing_error"
    assert observer.events == [("failed", "process"), ("rejected", "processing_error")]
