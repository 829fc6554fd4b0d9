"""The observer turns screening events into exact Prometheus samples on a fresh registry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry

from pipeline.metrics.definitions import LATENCY_BUCKETS_SECONDS
from pipeline.metrics.labels import DEAD_LETTER_REASONS
from pipeline.metrics.observer import MetricsObserver
from pipeline.worker.observer import WorkerObserver
from schemas.decision import DecisionRecord, Outcome, PartyMatch, Reason, Route

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start.timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def observer(registry: CollectorRegistry, clock: FakeClock) -> MetricsObserver:
    return MetricsObserver(registry, clock=clock, licence_top_n=2)


def reason(rule_id: str, outcome: Outcome) -> Reason:
    return Reason(rule_id=rule_id, title=rule_id, outcome=outcome, explanation="test")


def match(program: str, strength: str) -> PartyMatch:
    return PartyMatch(
        role="consignee",
        name_sent="Acme",
        list=program,
        program=program,
        entry_id="1",
        listed_name="ACME",
        score=1.0,
        strength=strength,
        matched="name",
        status="listed",
    )


def record(
    order_id: str,
    route: Route,
    *,
    reasons: tuple[Reason, ...] = (),
    matches: tuple[PartyMatch, ...] = (),
    event_time: datetime | None = T0,
    fail_closed: bool = False,
) -> DecisionRecord:
    return DecisionRecord(
        decision_id=f"d-{order_id}",
        order_id=order_id,
        revision=1,
        route=route,
        as_of=date(2026, 3, 2),
        evaluated_at=T0,
        event_time=event_time,
        reasons=list(reasons),
        party_matches=list(matches),
        fail_closed=fail_closed,
    )


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def test_decisions_are_counted_by_route_and_destination(
    observer: MetricsObserver, registry: CollectorRegistry
) -> None:
    for order_id, route, destination in [
        ("o1", Route.HOLD, "JP"),
        ("o2", Route.RELEASE, "jp"),
        ("o3", Route.RELEASE, "DE"),
        ("o4", Route.LICENSE, "XX"),
    ]:
        observer.decision(record(order_id, route), T0, destination=destination)

    assert sample(registry, "screening_decisions_total", route="hold", destination="JP") == 1
    assert sample(registry, "screening_decisions_total", route="release", destination="JP") == 1
    assert sample(registry, "screening_decisions_total", route="release", destination="DE") == 1
    assert sample(registry, "screening_decisions_total", route="license", destination="other") == 1
    assert sample(registry, "screening_decisions_total", route="license", destination="XX") is None


def test_findings_only_keep_rule_ids_of_the_loaded_pack(
    observer: MetricsObserver, registry: CollectorRegistry
) -> None:
    held = record(
        "o1",
        Route.HOLD,
        reasons=(reason("cn.gallium", Outcome.LICENCE_REQUIRED), reason("typo", Outcome.REVIEW)),
    )
    observer.decision(held, T0, destination="US")
    assert sample(registry, "screening_findings_total", rule_id="other", outcome="licence_required") == 1
    assert sample(registry, "screening_findings_total", rule_id="other", outcome="review") == 1

    observer.rule_pack_loaded("2026.03", ["cn.gallium"], T0)
    observer.decision(held, T0, destination="US")
    assert sample(registry, "screening_findings_total", rule_id="cn.gallium", outcome="licence_required") == 1
    assert sample(registry, "screening_findings_total", rule_id="other", outcome="review") == 2
    assert sample(registry, "screening_findings_total", rule_id="typo", outcome="review") is None


def test_every_prohibited_finding_counts_one_blocked_alert(
    observer: MetricsObserver, registry: CollectorRegistry
) -> None:
    observer.rule_pack_loaded("v1", ["cn.jp.military-user", "cn.tech.prohibited", "cn.gallium"], T0)
    # Alerts need each series at 0 before its first increment.
    assert sample(registry, "screening_blocked_alerts_total", rule_id="cn.gallium") == 0
    prohibited = record(
        "o1",
        Route.HOLD,
        reasons=(
            reason("cn.jp.military-user", Outcome.PROHIBITED),
            reason("cn.tech.prohibited", Outcome.PROHIBITED),
            reason("cn.tech.prohibited", Outcome.PROHIBITED),
            reason("cn.dual-use", Outcome.LICENCE_REQUIRED),
        ),
    )
    observer.decision(prohibited, T0, destination="JP")

    assert sample(registry, "screening_blocked_alerts_total", rule_id="cn.jp.military-user") == 1
    assert sample(registry, "screening_blocked_alerts_total", rule_id="cn.tech.prohibited") == 2
    assert sample(registry, "screening_blocked_alerts_total", rule_id="other") == 0


def test_builtin_rule_ids_survive_pack_reloads(registry: CollectorRegistry, clock: FakeClock) -> None:
    observer = MetricsObserver(registry, clock=clock, builtin_rule_ids=["pipeline.unclassified-item"])
    observer.rule_pack_loaded("v2", ["cn.a"], T0)
    failed = record(
        "o1", Route.HOLD, reasons=(reason("pipeline.unclassified-item", Outcome.REVIEW),), fail_closed=True
    )
    observer.decision(failed, T0, destination="FR")
    assert (
        sample(registry, "screening_findings_total", rule_id="pipeline.unclassified-item", outcome="review")
        == 1
    )


@pytest.mark.parametrize(
    ("reasons", "expected"),
    [
        (["not_json", "not_json", "too_large"], {"not_json": 2, "too_large": 1}),
        (["a free-text reason", "missing_field"], {"other": 1, "missing_field": 1}),
    ],
)
def test_dead_letters_are_counted_by_bounded_reason(
    observer: MetricsObserver, registry: CollectorRegistry, reasons: list[str], expected: dict[str, int]
) -> None:
    for dead_letter_reason in reasons:
        observer.dead_letter(dead_letter_reason)
    counted = {
        s.labels["reason"]: s.value
        for family in registry.collect()
        if family.name == "screening_dead_letters"
        for s in family.samples
        if s.name == "screening_dead_letters_total"
    }
    assert counted == dict.fromkeys(DEAD_LETTER_REASONS | {"other"}, 0.0) | expected


def test_latency_histograms_measure_from_event_time_and_from_consumption(
    observer: MetricsObserver, registry: CollectorRegistry, clock: FakeClock
) -> None:
    # The order happened at T0, was consumed 4 ms later and decided 7 ms after its event time.
    clock.advance(0.007)
    observer.decision(record("o1", Route.RELEASE), T0 + timedelta(milliseconds=4), destination="DE")
    # An order from 30 s ago, consumed now and decided at once: latency beyond the last bucket.
    clock.advance(30.0)
    observer.decision(
        record("o2", Route.RELEASE, event_time=T0), datetime.fromtimestamp(clock.now, UTC), destination="DE"
    )

    latency = "screening_decision_latency_seconds"
    assert sample(registry, f"{latency}_bucket", le="0.005") == 0
    assert sample(registry, f"{latency}_bucket", le="0.01") == 1
    assert sample(registry, f"{latency}_bucket", le="10.0") == 1
    assert sample(registry, f"{latency}_bucket", le="+Inf") == 2
    assert sample(registry, f"{latency}_count") == 2
    assert sample(registry, f"{latency}_sum") == pytest.approx(0.007 + 30.007, abs=1e-6)

    processing = "screening_processing_duration_seconds"
    assert sample(registry, f"{processing}_bucket", le="0.001") == 1
    assert sample(registry, f"{processing}_bucket", le="0.0025") == 1
    assert sample(registry, f"{processing}_bucket", le="0.005") == 2
    assert sample(registry, f"{processing}_sum") == pytest.approx(0.003, abs=1e-6)


def test_latency_buckets_span_milliseconds_to_ten_seconds() -> None:
    assert LATENCY_BUCKETS_SECONDS[0] == 0.001
    assert LATENCY_BUCKETS_SECONDS[-1] == 10.0
    assert list(LATENCY_BUCKETS_SECONDS) == sorted(LATENCY_BUCKETS_SECONDS)


def test_reference_data_reports_version_and_age(
    observer: MetricsObserver, registry: CollectorRegistry, clock: FakeClock
) -> None:
    observer.reference_loaded("products", "p-7", T0 - timedelta(hours=2))
    observer.party_lists_loaded("2026-03-01", ["OPERATOR-DENY"], T0)
    observer.reference_loaded("weather", "x", T0)
    clock.advance(30)

    assert sample(registry, "screening_reference_data_info", kind="products", version="p-7") == 1
    assert sample(registry, "screening_reference_data_age_seconds", kind="products") == 7230
    assert sample(registry, "screening_reference_data_age_seconds", kind="parties") == 30
    assert sample(registry, "screening_reference_data_age_seconds", kind="other") == 30
    assert sample(registry, "screening_reference_data_updated_timestamp_seconds", kind="parties") == (
        T0.timestamp()
    )

    observer.reference_loaded("products", "p-8", T0)
    assert sample(registry, "screening_reference_data_info", kind="products", version="p-8") == 1
    assert sample(registry, "screening_reference_data_info", kind="products", version="p-7") is None


def test_party_matches_are_counted_by_list_and_strength(
    observer: MetricsObserver, registry: CollectorRegistry
) -> None:
    observer.party_lists_loaded("v1", ["OPERATOR-DENY"], T0)
    matches = (
        match("CN-UEL", "strong"),
        match("CN-UEL", "strong"),
        match("OPERATOR-DENY", "potential"),
        match("SOMETHING-ELSE", "weird"),
    )
    observer.decision(record("o1", Route.HOLD, matches=matches), T0, destination="US")

    assert sample(registry, "screening_party_matches_total", list="CN-UEL", strength="strong") == 2
    assert sample(registry, "screening_party_matches_total", list="OPERATOR-DENY", strength="potential") == 1
    assert sample(registry, "screening_party_matches_total", list="other", strength="other") == 1


def test_licence_utilisation_exports_only_the_most_used_licences(
    observer: MetricsObserver, registry: CollectorRegistry
) -> None:
    observer.licence_usage("L-1", drawn=10, granted=100)
    observer.licence_usage("L-2", drawn=90, granted=100)
    observer.licence_usage("L-3", drawn=50, granted=100)
    observer.licence_usage("L-4", drawn=5, granted=0)

    assert sample(registry, "screening_licence_utilisation_ratio", licence="L-4") == 1.0
    assert sample(registry, "screening_licence_utilisation_ratio", licence="L-2") == 0.9
    assert sample(registry, "screening_licence_utilisation_ratio", licence="L-3") is None
    assert sample(registry, "screening_licence_utilisation_ratio", licence="L-1") is None


def test_orders_received_and_readiness(observer: MetricsObserver, registry: CollectorRegistry) -> None:
    assert sample(registry, "screening_ready") == 0
    observer.ready(True)
    for _ in range(3):
        observer.order_received()
    assert sample(registry, "screening_ready") == 1
    assert sample(registry, "screening_orders_received_total") == 3
    observer.ready(False)
    assert sample(registry, "screening_ready") == 0


def test_the_worker_seam_records_decisions_dead_letters_and_failures(
    registry: CollectorRegistry, clock: FakeClock
) -> None:
    seam: WorkerObserver = MetricsObserver(registry, clock=clock)
    clock.advance(0.02)
    seam.decided(record("o1", Route.RELEASE), 0.004)
    seam.rejected("not_utf8")
    seam.rejected("processing_error")
    seam.failed("screen", RuntimeError("boom"))
    seam.failed("somewhere-new", RuntimeError("boom"))

    assert sample(registry, "screening_decisions_total", route="release", destination="other") == 1
    assert sample(registry, "screening_processing_duration_seconds_sum") == pytest.approx(0.004)
    assert sample(registry, "screening_processing_duration_seconds_bucket", le="0.005") == 1
    assert sample(registry, "screening_decision_latency_seconds_bucket", le="0.025") == 1
    assert sample(registry, "screening_decision_latency_seconds_bucket", le="0.01") == 0
    assert sample(registry, "screening_dead_letters_total", reason="not_utf8") == 1
    assert sample(registry, "screening_dead_letters_total", reason="processing_error") == 1
    assert sample(registry, "screening_processing_errors_total", stage="screen") == 1
    assert sample(registry, "screening_processing_errors_total", stage="process") == 0
    assert sample(registry, "screening_processing_errors_total", stage="other") == 1


def test_decided_with_a_destination_counts_it(observer: MetricsObserver, registry: CollectorRegistry) -> None:
    observer.decided(record("o1", Route.HOLD), 0.001, destination="JP")
    assert sample(registry, "screening_decisions_total", route="hold", destination="JP") == 1
