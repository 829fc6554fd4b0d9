"""The Grafana provisioning and dashboard are valid, and every panel queries metrics the worker exports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry

from pipeline.holds.queue import HoldQueue
from pipeline.metrics.catalogue import exported_series_names, promql_metric_names
from pipeline.metrics.holds import register_hold_queue_metrics
from pipeline.metrics.observer import MetricsObserver
from pipeline.settings import PROJECT_ROOT

GRAFANA = PROJECT_ROOT / "deploy" / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "screening.json"
RECORDING = PROJECT_ROOT / "deploy" / "prometheus" / "rules" / "recording.yml"
# Where compose mounts deploy/grafana/dashboards/ inside the Grafana container.
DASHBOARDS_MOUNT = "/var/lib/grafana/dashboards"
SCRAPE_SERIES = frozenset({"up"})


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def datasource() -> dict[str, Any]:
    sources = load_yaml(GRAFANA / "provisioning" / "datasources" / "prometheus.yml")["datasources"]
    assert len(sources) == 1
    source: dict[str, Any] = sources[0]
    return source


def queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    return [(panel["title"], target["expr"]) for panel in dashboard["panels"] for target in panel["targets"]]


def test_datasource_points_at_the_compose_prometheus(datasource: dict[str, Any]) -> None:
    assert datasource["type"] == "prometheus"
    assert datasource["url"] == "http://prometheus:9090"
    assert datasource["isDefault"] is True


def test_dashboard_provider_reads_the_mounted_dashboards_folder() -> None:
    provisioning = load_yaml(GRAFANA / "provisioning" / "dashboards" / "screening.yml")
    assert provisioning["apiVersion"] == 1
    (provider,) = provisioning["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == DASHBOARDS_MOUNT
    assert sorted(p.name for p in (GRAFANA / "dashboards").glob("*.json")) == ["screening.json"]


def test_dashboard_structure(dashboard: dict[str, Any], datasource: dict[str, Any]) -> None:
    assert dashboard["uid"] == "shipment-screening"
    panels = dashboard["panels"]
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids))
    for panel in panels:
        assert panel["datasource"]["uid"] == datasource["uid"], panel["title"]
        assert panel["targets"], panel["title"]
        assert {"h", "w", "x", "y"} <= set(panel["gridPos"]), panel["title"]
        ref_ids = [target["refId"] for target in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), panel["title"]
        assert all(target["datasource"]["uid"] == datasource["uid"] for target in panel["targets"])


def test_panels_do_not_overlap(dashboard: dict[str, Any]) -> None:
    occupied: dict[tuple[int, int], str] = {}
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in occupied, f"{panel['title']} overlaps {occupied.get((x, y))}"
                occupied[(x, y)] = panel["title"]


def test_every_query_names_only_exported_metrics(dashboard: dict[str, Any]) -> None:
    registry = CollectorRegistry()
    MetricsObserver(registry)
    register_hold_queue_metrics(registry, HoldQueue())
    recorded = {rule["record"] for group in load_yaml(RECORDING)["groups"] for rule in group["rules"]}
    known = exported_series_names(registry) | recorded | SCRAPE_SERIES
    for title, expr in queries(dashboard):
        names = promql_metric_names(expr)
        assert names, f"{title}: {expr} names no metric"
        assert names <= known, f"{title}: {sorted(names - known)} not exported"


@pytest.mark.parametrize(
    ("topic", "expected_in_query"),
    [
        ("block rate", "screening:block_rate:ratio_rate5m"),
        ("block rate by destination", "destination:screening_block_rate:ratio_rate1h"),
        ("routes over time", "route:screening_decisions:rate5m"),
        ("hold queue size", "screening_holds_open"),
        ("hold queue age", "screening_hold_oldest_age_seconds"),
        (
            "latency percentiles",
            "histogram_quantile(0.99, sum by (le) (rate(screening_decision_latency_seconds_bucket",
        ),
        ("dead letters", "screening_dead_letters_total"),
        ("top rules", "topk(10, sum by (rule_id, outcome) (increase(screening_findings_total"),
        ("lag per topic and partition", "max by (topic, partition) (screening_consumer_lag)"),
        ("decision rate", "sum(rate(screening_decisions_total[$__rate_interval]))"),
        ("orders undecided", "sum(screening_orders_undecided)"),
        ("oldest undecided age", "max(screening_orders_undecided_oldest_age_seconds)"),
    ],
)
def test_dashboard_shows_what_operations_asked_for(
    dashboard: dict[str, Any], topic: str, expected_in_query: str
) -> None:
    assert any(expected_in_query in expr for _, expr in queries(dashboard)), topic
