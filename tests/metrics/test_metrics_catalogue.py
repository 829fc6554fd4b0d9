"""PromQL name extraction used to check dashboards and rules against the exported metrics."""

from __future__ import annotations

import pytest

from pipeline.metrics.catalogue import promql_metric_names

CASES = [
    ("screening_ready == 0", {"screening_ready"}),
    (
        (
            "histogram_quantile(0.99, sum by (le) (rate(screening_decision_latency_seconds_bucket"
            '{job="screening-workers"}[$__rate_interval])))'
        ),
        {"screening_decision_latency_seconds_bucket"},
    ),
    (
        (
            "sum by (rule_id) (increase(screening_blocked_alerts_total[5m]) > 0 "
            "or (screening_blocked_alerts_total > 0 unless screening_blocked_alerts_total offset 5m))"
        ),
        {"screening_blocked_alerts_total"},
    ),
    ("max(a_seconds) > on() group_left(kind) max(b:c:ratio_rate5m)", {"a_seconds", "b:c:ratio_rate5m"}),
    ('topk(10, sum(x_total{outcome=~"prohibited|review"}) by (rule_id))', {"x_total"}),
    (
        "screening_reference_data_age_seconds > 24 * 3600 and 1e3 < bool inf",
        {"screening_reference_data_age_seconds"},
    ),
    ('label_replace(up, "host", "$1", "instance", "(.*):.*")', {"up"}),
]


@pytest.mark.parametrize(("expr", "expected"), CASES)
def test_promql_metric_names(expr: str, expected: set[str]) -> None:
    assert promql_metric_names(expr) == expected
