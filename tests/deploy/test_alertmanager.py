"""amtool validates the Alertmanager config and proves where each of our alerts is routed."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.settings import PROJECT_ROOT

CONFIG = PROJECT_ROOT / "deploy" / "alertmanager" / "alertmanager.yml"
ALERTS = PROJECT_ROOT / "deploy" / "prometheus" / "rules" / "alerts.yml"
INSTALL = PROJECT_ROOT / "deploy" / "tools" / "install-monitoring-tools.sh"

EXPECTED_RECEIVER = {
    "BlockedShipment": "compliance",
    "BlockRateSpike": "compliance",
    "ConsumerLagGrowing": "oncall",
    "HoldQueueAgeing": "compliance",
    "InvalidOrders": "oncall",
    "OrdersUndecided": "oncall",
    "PipelineStalled": "oncall",
    "ReferenceDataStale": "oncall",
    "WorkerDown": "oncall",
    "WorkerNotReady": "oncall",
}


@pytest.fixture(scope="module")
def amtool() -> Path:
    result = subprocess.run(["bash", str(INSTALL)], capture_output=True, text=True, check=True, timeout=300)
    return Path(result.stdout.strip().splitlines()[-1]) / "amtool"


def run(tool: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(tool), *map(str, args)], capture_output=True, text=True, check=False, timeout=60
    )


def alert_labels() -> dict[str, dict[str, str]]:
    """Each alert's own labels as the rule file sets them, with its name."""
    groups = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))["groups"]
    return {
        rule["alert"]: {"alertname": rule["alert"], **rule.get("labels", {})}
        for group in groups
        for rule in group["rules"]
        if "alert" in rule
    }


def route_test(
    amtool: Path, config: Path, receiver: str, labels: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    pairs = [f"{name}={value}" for name, value in labels.items()]
    return run(
        amtool,
        "config",
        "routes",
        "test",
        f"--config.file={config}",
        f"--verify.receivers={receiver}",
        *pairs,
    )


def test_config_is_valid(amtool: Path) -> None:
    result = run(amtool, "check-config", CONFIG)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
    assert " - 2 receivers" in result.stdout


def test_every_alert_rule_has_an_expected_receiver() -> None:
    assert set(alert_labels()) == set(EXPECTED_RECEIVER)


@pytest.mark.parametrize(("alertname", "receiver"), sorted(EXPECTED_RECEIVER.items()))
def test_alerts_reach_their_team(amtool: Path, alertname: str, receiver: str) -> None:
    labels = alert_labels()[alertname] | {
        "rule_id": "cn.example",
        "instance": "worker-1:6066",
        "topic": "orders",
    }
    result = route_test(amtool, CONFIG, receiver, labels)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == receiver


def test_an_alert_without_a_team_goes_to_oncall(amtool: Path) -> None:
    result = route_test(amtool, CONFIG, "oncall", {"alertname": "SomethingNew"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "oncall"


def _broken_copy(tmp_path: Path, edit: Any) -> Path:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    edit(config)
    copy = tmp_path / "alertmanager.yml"
    copy.write_text(yaml.safe_dump(config), encoding="utf-8")
    return copy


def test_a_route_to_an_undefined_receiver_fails_check_config(amtool: Path, tmp_path: Path) -> None:
    def misspell_receiver(config: dict[str, Any]) -> None:
        config["route"]["routes"][0]["receiver"] = "complaince"

    result = run(amtool, "check-config", _broken_copy(tmp_path, misspell_receiver))
    assert result.returncode == 1
    assert 'undefined receiver "complaince"' in result.stdout + result.stderr


def test_a_misrouted_blocked_shipment_fails_the_route_test(amtool: Path, tmp_path: Path) -> None:
    def route_blocked_to_oncall(config: dict[str, Any]) -> None:
        config["route"]["routes"][0]["receiver"] = "oncall"

    copy = _broken_copy(tmp_path, route_blocked_to_oncall)
    assert run(amtool, "check-config", copy).returncode == 0
    result = route_test(amtool, copy, "compliance", alert_labels()["BlockedShipment"])
    assert result.returncode == 1
    assert "Expected receivers did not match" in result.stdout + result.stderr


def test_backlog_alerts_have_their_own_route_per_topic_and_worker() -> None:
    """Lag and undecided orders notify once per topic or worker, not once per partition."""
    routes = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))["route"]["routes"]
    (backlog,) = [r for r in routes if any("ConsumerLagGrowing" in m for m in r.get("matchers", []))]
    assert backlog["receiver"] == "oncall"
    assert any("OrdersUndecided" in m for m in backlog["matchers"])
    assert {"topic", "instance"} <= set(backlog["group_by"])
    assert "partition" not in backlog["group_by"]
