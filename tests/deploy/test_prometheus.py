"""promtool checks the scrape config and rules, runs the alert unit tests, and fails on broken rules."""

from __future__ import annotations

import shutil
import subprocess
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

PROMETHEUS = PROJECT_ROOT / "deploy" / "prometheus"
INSTALL = PROJECT_ROOT / "deploy" / "tools" / "install-monitoring-tools.sh"
ALERTS = PROMETHEUS / "rules" / "alerts.yml"
RECORDING = PROMETHEUS / "rules" / "recording.yml"
ALERT_TESTS = PROMETHEUS / "tests" / "alerts_test.yml"
# Series Prometheus itself adds to every scrape target.
SCRAPE_SERIES = frozenset({"up"})
REQUIRED_ALERTS = {
    "BlockedShipment",
    "BlockRateSpike",
    "ConsumerLagGrowing",
    "HoldQueueAgeing",
    "InvalidOrders",
    "OrdersUndecided",
    "PipelineStalled",
    "ReferenceDataStale",
    "WorkerDown",
}


@pytest.fixture(scope="module")
def promtool() -> Path:
    result = subprocess.run(["bash", str(INSTALL)], capture_output=True, text=True, check=True, timeout=300)
    return Path(result.stdout.strip().splitlines()[-1]) / "promtool"


def run(tool: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(tool), *map(str, args)], capture_output=True, text=True, check=False, timeout=120
    )


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def rules(path: Path) -> list[dict[str, Any]]:
    return [rule for group in load(path)["groups"] for rule in group["rules"]]


def test_install_script_is_idempotent(promtool: Path) -> None:
    again = subprocess.run(["bash", str(INSTALL)], capture_output=True, text=True, check=True, timeout=60)
    assert Path(again.stdout.strip()) == promtool.parent
    assert "Get:" not in again.stderr
    version = run(promtool, "--version")
    assert version.returncode == 0
    assert "promtool, version" in version.stdout + version.stderr


def test_scrape_config_and_its_rule_files_are_valid(promtool: Path) -> None:
    result = run(promtool, "check", "config", PROMETHEUS / "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 2 rule files found" in result.stdout
    scrape = {job["job_name"]: job for job in load(PROMETHEUS / "prometheus.yml")["scrape_configs"]}
    targets = scrape["screening-workers"]["static_configs"][0]["targets"]
    assert targets == ["worker-1:6066", "worker-2:6066"]
    assert scrape["screening-workers"]["metrics_path"] == "/metrics"
    assert scrape["screening-console"]["static_configs"][0]["targets"] == ["console:8080"]


@pytest.mark.parametrize(("path", "count"), [(RECORDING, 8), (ALERTS, 10)])
def test_rule_files_pass_promtool_check(promtool: Path, path: Path, count: int) -> None:
    result = run(promtool, "check", "rules", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {count} rules found" in result.stdout


def test_alert_unit_tests_pass(promtool: Path) -> None:
    result = run(promtool, "test", "rules", ALERT_TESTS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
    assert "FAILED" not in result.stdout + result.stderr


def test_every_alert_has_a_firing_and_a_quiet_test_case() -> None:
    alerts = {rule["alert"] for rule in rules(ALERTS) if "alert" in rule}
    assert alerts >= REQUIRED_ALERTS
    firing: set[str] = set()
    quiet: set[str] = set()
    for case in load(ALERT_TESTS)["tests"]:
        for check in case.get("alert_rule_test", []):
            (firing if check["exp_alerts"] else quiet).add(check["alertname"])
    assert firing == alerts
    assert quiet == alerts


def test_rules_only_name_metrics_the_worker_exports() -> None:
    registry = CollectorRegistry()
    MetricsObserver(registry)
    register_hold_queue_metrics(registry, HoldQueue())
    recorded = {rule["record"] for rule in rules(RECORDING)}
    known = exported_series_names(registry) | recorded | SCRAPE_SERIES
    named = {name for rule in rules(RECORDING) + rules(ALERTS) for name in promql_metric_names(rule["expr"])}
    assert named - known == set()
    assert "screening_decisions_total" in named


def _copy_prometheus_dir(tmp_path: Path) -> Path:
    copy = tmp_path / "prometheus"
    shutil.copytree(PROMETHEUS, copy)
    return copy


def test_a_syntax_error_in_a_rule_fails_check_rules(promtool: Path, tmp_path: Path) -> None:
    copy = _copy_prometheus_dir(tmp_path)
    alerts = copy / "rules" / "alerts.yml"
    text = alerts.read_text(encoding="utf-8")
    broken = text.replace("expr: screening_ready == 0", "expr: screening_ready == == 0")
    assert broken != text
    alerts.write_text(broken, encoding="utf-8")

    result = run(promtool, "check", "rules", alerts)
    assert result.returncode == 1
    assert "FAILED" in result.stdout + result.stderr
    assert "parse error" in result.stdout + result.stderr
    config = run(promtool, "check", "config", copy / "prometheus.yml")
    assert config.returncode == 1


@pytest.mark.parametrize(
    ("original", "broken", "failing_alert"),
    [
        (
            "expr: max(screening_hold_oldest_age_seconds) > max(screening_hold_sla_seconds)",
            "expr: max(screening_hold_oldest_age_seconds) > 2 * max(screening_hold_sla_seconds)",
            "HoldQueueAgeing",
        ),
        (
            "increase(screening_blocked_alerts_total[5m]) > 0",
            "increase(screening_blocked_alert_total[5m]) > 0",
            "BlockedShipment",
        ),
        # Without the floor a small rising backlog pages; without the slope a steady one does.
        (
            "(max by (topic, partition) (screening_consumer_lag)) > 1000",
            "(max by (topic, partition) (screening_consumer_lag)) > 100",
            "ConsumerLagGrowing",
        ),
        (
            "deriv(topic:screening_consumer_lag:sum[10m]) > 0",
            "deriv(topic:screening_consumer_lag:sum[10m]) >= 0",
            "ConsumerLagGrowing",
        ),
        (
            "expr: screening_orders_undecided_oldest_age_seconds > 600",
            "expr: screening_orders_undecided_oldest_age_seconds > 1800",
            "OrdersUndecided",
        ),
        (
            'up{job=~"screening-workers|screening-console"} == 0',
            'up{job="screening-workers"} == 0',
            "WorkerDown",
        ),
    ],
)
def test_a_wrong_rule_fails_the_alert_unit_tests(
    promtool: Path, tmp_path: Path, original: str, broken: str, failing_alert: str
) -> None:
    copy = _copy_prometheus_dir(tmp_path)
    alerts = copy / "rules" / "alerts.yml"
    text = alerts.read_text(encoding="utf-8")
    assert original in text
    alerts.write_text(text.replace(original, broken), encoding="utf-8")

    result = run(promtool, "test", "rules", copy / "tests" / "alerts_test.yml")
    assert result.returncode == 1
    assert "FAILED" in result.stdout + result.stderr
    assert f"alertname: {failing_alert}" in result.stdout + result.stderr
