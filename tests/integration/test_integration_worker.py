"""The worker on the real broker: orders in, decisions out; malformed records dead-lettered."""

from __future__ import annotations

import base64
import json
import urllib.request
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from pipeline.kafka.orders import make_producer
from pipeline.settings import Settings

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

OrderFactory = Callable[..., dict[str, Any]]
Reader = Callable[..., list[Any]]


def _send(settings: Settings, records: list[tuple[bytes | None, bytes]]) -> list[tuple[int, int]]:
    """Produce in order to one partition (so 'the next good order' is next); return (partition, offset)."""
    producer = make_producer(settings)
    try:
        futures = [producer.send(settings.topics.orders, key=k, value=v, partition=0) for k, v in records]
        producer.flush()
        return [(m.partition, m.offset) for m in (f.get(timeout=30) for f in futures)]
    finally:
        producer.close()


def _order_bytes(make_order: OrderFactory, order_id: str) -> tuple[bytes, bytes]:
    return order_id.encode(), json.dumps(make_order(order_id=order_id)).encode()


def _decisions_by_order(records: list[Any], topic: str) -> dict[str, dict[str, Any]]:
    return {r.key.decode(): json.loads(r.value) for r in records if r.topic == topic}


def test_worker_reports_health_and_readiness(running_worker: Any) -> None:
    for path in ("/health", "/ready"):
        with urllib.request.urlopen(running_worker.url(path), timeout=5) as response:
            assert response.status == 200


def test_orders_are_decided_and_routed(
    running_worker: Any, make_order: OrderFactory, topic_reader: Reader
) -> None:
    settings: Settings = running_worker.settings
    order_ids = [f"IT-ROUTE-{n:03d}" for n in range(25)]
    producer = make_producer(settings)
    try:
        for order_id in order_ids:
            key, value = _order_bytes(make_order, order_id)
            producer.send(settings.topics.orders, key=key, value=value)
        producer.flush()
    finally:
        producer.close()
    names = settings.topics
    route_topics = {"hold": names.hold, "license": names.license, "release": names.release}

    def complete(records: list[Any]) -> bool:
        routed = sum(1 for r in records if r.topic in route_topics.values() and r.key.decode() in order_ids)
        decided = sum(1 for r in records if r.topic == names.decisions and r.key.decode() in order_ids)
        return routed >= len(order_ids) and decided >= len(order_ids)

    records = topic_reader(settings, [names.decisions, *route_topics.values()], until=complete)
    ours = [r for r in records if r.key.decode() in order_ids]

    decisions = _decisions_by_order(ours, names.decisions)
    assert sorted(decisions) == order_ids
    assert Counter(r.topic for r in ours if r.topic == names.decisions) == {names.decisions: len(order_ids)}
    for record in ours:
        if record.topic == names.decisions:
            continue
        decision = json.loads(record.value)
        assert route_topics[decision["route"]] == record.topic
        assert decision == decisions[decision["order_id"]]
    assert all(d["source"]["topic"] == names.orders for d in decisions.values())


MALFORMED: list[tuple[str, bytes, str]] = [
    ("not-json", b"<order id='1'/>", "not_json"),
    ("not-utf8", '{"order_id": "Société"}'.encode("latin-1"), "not_utf8"),
    ("huge", b'{"order_id": "huge", "pad": "' + b"x" * (1024 * 1024 + 10) + b'"}', "too_large"),
]


def _corrupt(make_order: OrderFactory) -> list[tuple[str, bytes, str]]:
    missing = make_order(order_id="IT-BAD-MISSING")
    del missing["exporter"]
    duplicate = make_order(order_id="IT-BAD-DUPLICATE")
    duplicate["lines"] = duplicate["lines"] * 2
    return [
        *MALFORMED,
        ("missing-field", json.dumps(missing).encode(), "missing_field"),
        ("unknown-country", json.dumps(make_order(destination_country="QQ")).encode(), "unknown_country"),
        ("duplicate-lines", json.dumps(duplicate).encode(), "duplicate_line_id"),
    ]


def test_malformed_records_are_dead_lettered_and_the_next_order_is_decided(
    running_worker: Any, make_order: OrderFactory, topic_reader: Reader
) -> None:
    settings: Settings = running_worker.settings
    names = settings.topics
    cases = _corrupt(make_order)
    records: list[tuple[bytes | None, bytes]] = []
    good_ids = []
    for label, raw, _ in cases:
        records.append((f"bad-{label}".encode(), raw))
        good_id = f"IT-AFTER-{label}"
        good_ids.append(good_id)
        records.append(_order_bytes(make_order, good_id))
    placed = _send(settings, records)

    def complete(received: list[Any]) -> bool:
        letters = sum(1 for r in received if r.topic == names.orders_invalid)
        decided = {r.key.decode() for r in received if r.topic == names.decisions}
        return letters >= len(cases) and decided >= set(good_ids)

    received = topic_reader(settings, [names.orders_invalid, names.decisions], until=complete)

    letters = {r.key.decode(): json.loads(r.value) for r in received if r.topic == names.orders_invalid}
    assert len(letters) == len(cases)
    for index, (label, raw, reason) in enumerate(cases):
        letter = letters[f"bad-{label}"]
        assert letter["reason"] == reason, letter["detail"]
        assert letter["detail"]
        assert base64.b64decode(letter["original_base64"]) == raw
        assert (letter["source_partition"], letter["source_offset"]) == placed[2 * index]
        assert letter["source_topic"] == names.orders
    decided = _decisions_by_order(received, names.decisions)
    assert set(good_ids) <= set(decided)
    for index, good_id in enumerate(good_ids):
        source = decided[good_id]["source"]
        assert (source["partition"], source["offset"]) == placed[2 * index + 1]


def test_prohibited_findings_raise_one_alert_each(
    running_worker: Any, make_order: OrderFactory, topic_reader: Reader
) -> None:
    settings: Settings = running_worker.settings
    names = settings.topics
    military = {"name": "Ministry of Defense of Japan", "country": "JP"}
    order = make_order(
        order_id="IT-BLOCKED-1",
        consignee=military,
        end_user=military,
        destination_country="JP",
        end_use={"code": "MILITARY", "description": "Components for armed forces vehicles"},
    )
    order["lines"][0].update(
        sku="SMCO-MAGNET-2-17", description="Samarium-cobalt magnet", control_code="1C902.a"
    )
    _send(settings, [_order_bytes(lambda **_: order, "IT-BLOCKED-1")])

    def complete(received: list[Any]) -> bool:
        decided = [r for r in received if r.topic == names.decisions and r.key == b"IT-BLOCKED-1"]
        if not decided:
            return False
        prohibited = [x for x in json.loads(decided[0].value)["reasons"] if x["outcome"] == "prohibited"]
        alerts = [r for r in received if r.topic == names.alerts_blocked and r.key == b"IT-BLOCKED-1"]
        return len(alerts) >= len(prohibited)

    received = topic_reader(settings, [names.decisions, names.alerts_blocked], until=complete)

    [decision] = [
        json.loads(r.value) for r in received if r.topic == names.decisions and r.key == b"IT-BLOCKED-1"
    ]
    prohibited = [reason for reason in decision["reasons"] if reason["outcome"] == "prohibited"]
    alerts = [
        json.loads(r.value) for r in received if r.topic == names.alerts_blocked and r.key == b"IT-BLOCKED-1"
    ]
    assert decision["route"] == "hold"
    assert prohibited, decision["reasons"]
    assert sorted(a["rule_id"] for a in alerts) == sorted(r["rule_id"] for r in prohibited)
    for alert in alerts:
        assert alert["decision_id"] == decision["decision_id"]
        assert alert["link"].endswith("/holds/IT-BLOCKED-1")
        assert alert["citation"]["url"]
        assert {"role": "end_user", "name": "Ministry of Defense of Japan", "country": "JP"} in alert[
            "parties"
        ]
