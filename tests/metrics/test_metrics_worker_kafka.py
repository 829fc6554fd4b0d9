"""A real worker on the real broker: the bundled sample orders in, exact counts scraped from /metrics.

Expected counts come from handling the same records offline: intake, `build_screener`, and for
orders that draw on a licence the ledger and final decision the licence agent uses. Three extra
orders draw on the bundled gallium licence: two fit its balance, one never does (any order).
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from pipeline.intake import Rejection, parse_order
from pipeline.kafka.orders import make_producer
from pipeline.licences.ledger import LicenceLedger
from pipeline.licences.outcome import final_decision
from pipeline.licences.requests import DrawRequest, plan_draw
from pipeline.reference.snapshot import build_snapshot
from pipeline.screening import build_screener
from pipeline.settings import PROJECT_ROOT, Settings
from schemas.decision import DecisionRecord, Outcome, Route
from schemas.licence import Licence
from tests.integration.conftest import RunningWorker, module_worker
from tests.order_flow import GALLIUM_LICENCE, gallium_order_body

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

SAMPLE = PROJECT_ROOT / "pipeline" / "data" / "samples" / "orders.jsonl"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@dataclass
class Expected:
    """What the worker must count, from screening the records offline."""

    received: int = 0
    dead_letters: Counter[str] = field(default_factory=Counter)
    routes: Counter[str] = field(default_factory=Counter)
    holds_by_destination: Counter[str] = field(default_factory=Counter)
    by_destination: Counter[str] = field(default_factory=Counter)
    prohibited: Counter[str] = field(default_factory=Counter)
    party_matches: Counter[tuple[str, str]] = field(default_factory=Counter)
    drawn: set[str] = field(default_factory=set)
    utilisation: dict[str, float] = field(default_factory=dict)
    keys: list[bytes | None] = field(default_factory=list)


def expected_from(records: list[bytes], settings: Settings) -> Expected:
    screener = build_screener(settings)
    snapshot = build_snapshot(settings, {})
    expected = Expected(received=len(records))
    ledgers: dict[str, LicenceLedger] = {}
    for raw in records:
        parsed = parse_order(raw)
        if isinstance(parsed, Rejection):
            expected.dead_letters[parsed.reason] += 1
            expected.keys.append(None)
            continue
        expected.keys.append(parsed.order_id.encode())
        record = screener.screen(parsed)
        expected.by_destination[parsed.destination_country] += 1
        if record.route is Route.HOLD:
            expected.holds_by_destination[parsed.destination_country] += 1
        plan = plan_draw(parsed, record, snapshot.licences, snapshot.products)
        if isinstance(plan, DrawRequest):
            expected.drawn.add(parsed.order_id)
            record = draw(plan, snapshot.licences[plan.licence_number], ledgers, expected) or record
        expected.routes[record.route.value] += 1
        for reason in record.reasons:
            if reason.outcome is Outcome.PROHIBITED:
                expected.prohibited[reason.rule_id] += 1
        for match in record.party_matches:
            expected.party_matches[(match.program, match.strength)] += 1
    return expected


def draw(
    request: DrawRequest, licence: Licence, ledgers: dict[str, LicenceLedger], expected: Expected
) -> DecisionRecord | None:
    """The licence agent's final decision for `request`, and the licence's use afterwards."""
    ledger = ledgers.setdefault(request.licence_number, LicenceLedger())
    lines = [line.as_draw() for line in request.lines]
    outcome = ledger.apply(licence, request.order_id, request.revision, lines)
    left = ledger.balance(licence)
    expected.utilisation[licence.number] = max(
        (item.quantity - left[item.item_id][0]) / item.quantity for item in licence.items
    )
    return final_decision(request, outcome, None)


def licence_orders() -> list[bytes]:
    """Gallium on the bundled single licence: 10 + 20 kg fit its 200 kg, 500 kg never does."""
    return [
        json.dumps(gallium_order_body(order_id, kg=kg)).encode()
        for order_id, kg in (("MET-LIC-1", 10), ("MET-LIC-2", 20), ("MET-LIC-3", 500))
    ]


def scrape(worker: RunningWorker) -> Samples:
    with urllib.request.urlopen(worker.url("/metrics"), timeout=5) as response:
        assert response.status == 200
        text = response.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def total(samples: Samples, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(value for (sample, found), value in samples.items() if sample == name and wanted <= found)


@pytest.fixture(scope="module")
def metrics_worker(
    isolate: Callable[[str, Path], Settings], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningWorker]:
    yield from module_worker(isolate, tmp_path_factory, "metrics")


def test_sample_orders_are_counted_exactly_on_metrics(
    metrics_worker: RunningWorker,
    topic_reader: Callable[..., list[Any]],
) -> None:
    settings = metrics_worker.settings
    records = [*SAMPLE.read_bytes().splitlines(), *licence_orders()]
    expected = expected_from(records, settings)
    decided_count = len(records) - sum(expected.dead_letters.values())
    producer = make_producer(settings)
    try:
        for key, raw in zip(expected.keys, records, strict=True):
            producer.send(settings.topics.orders, key=key, value=raw)
        producer.flush()
    finally:
        producer.close()
    names = settings.topics

    def complete(received: list[Any]) -> bool:
        topics = Counter(record.topic for record in received)
        return (
            topics[names.decisions] >= decided_count
            and topics[names.orders_invalid] >= expected.dead_letters.total()
        )

    published = topic_reader(settings, [names.decisions, names.orders_invalid], until=complete, timeout_s=120)
    decisions = [json.loads(r.value) for r in published if r.topic == names.decisions]
    assert len(decisions) == decided_count
    routes_published = Counter(decision["route"] for decision in decisions)

    deadline = time.monotonic() + 10
    samples = scrape(metrics_worker)
    while total(samples, "screening_ready") != 1 and time.monotonic() < deadline:
        time.sleep(0.5)
        samples = scrape(metrics_worker)

    assert total(samples, "screening_ready") == 1
    assert total(samples, "screening_orders_received_total") == expected.received == len(records)
    # Decisions by route: as derived offline, and as published on the decisions topic.
    assert routes_published == expected.routes
    for route in Route:
        assert total(samples, "screening_decisions_total", route=route.value) == expected.routes[route.value]
    assert total(samples, "screening_decisions_total") == decided_count
    assert len(expected.drawn) == 3
    for country, count in expected.holds_by_destination.items():
        assert total(samples, "screening_decisions_total", route="hold", destination=country) == count
    for country, count in expected.by_destination.items():
        assert total(samples, "screening_decisions_total", destination=country) == count
    # Dead letters by reason, and the sample's deliberate defects under their own reasons.
    for reason, count in expected.dead_letters.items():
        assert total(samples, "screening_dead_letters_total", reason=reason) == count
    assert total(samples, "screening_dead_letters_total") == expected.dead_letters.total()
    assert total(samples, "screening_dead_letters_total", reason="not_json") == 2
    assert total(samples, "screening_dead_letters_total", reason="unknown_country") == 1
    assert total(samples, "screening_dead_letters_total", reason="processing_error") == 0
    # Prohibited findings, each a blocked alert, under the loaded pack's rule ids (none as `other`).
    for rule_id, count in expected.prohibited.items():
        assert total(samples, "screening_blocked_alerts_total", rule_id=rule_id) == count
        assert total(samples, "screening_findings_total", rule_id=rule_id, outcome="prohibited") == count
    assert total(samples, "screening_blocked_alerts_total") == expected.prohibited.total() > 0
    assert total(samples, "screening_findings_total", rule_id="other") == 0
    for (program, strength), count in expected.party_matches.items():
        assert total(samples, "screening_party_matches_total", list=program, strength=strength) == count
    assert total(samples, "screening_party_matches_total") == expected.party_matches.total()
    # Latency histograms: one observation per decision.
    assert total(samples, "screening_processing_duration_seconds_count") == decided_count
    assert total(samples, "screening_decision_latency_seconds_count") == decided_count
    assert total(samples, "screening_processing_errors_total") == 0
    # Reference data: the versions the decisions were made with, and their age.
    versions = decisions[0]["versions"]
    for kind in ("rules", "parties"):
        assert total(samples, "screening_reference_data_info", kind=kind, version=versions[kind]) == 1
        assert total(samples, "screening_reference_data_age_seconds", kind=kind) > 0
    # Licence use after the draws: 30 of the gallium item's 200 kg.
    assert expected.utilisation == {GALLIUM_LICENCE: pytest.approx(30 / 200)}
    for licence, ratio in expected.utilisation.items():
        assert total(samples, "screening_licence_utilisation_ratio", licence=licence) == pytest.approx(ratio)
