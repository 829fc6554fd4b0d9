"""docker-compose.yml and the Dockerfile, checked as data (no Docker engine runs here)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.cli import build_parser
from pipeline.settings import PROJECT_ROOT

COMPOSE = PROJECT_ROOT / "docker-compose.yml"
DEPENDS_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
EXPECTED_SERVICES = {"kafka", "topic-init", "worker-1", "worker-2", "prometheus", "alertmanager", "grafana"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def _bind_sources(service: dict[str, Any]) -> list[str]:
    sources = []
    for volume in service.get("volumes", []):
        source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
        if source.startswith((".", "/")):
            sources.append(source)
    return sources


def _dockerfiles(services: dict[str, dict[str, Any]]) -> set[Path]:
    return {
        PROJECT_ROOT / s["build"].get("context", ".") / s["build"].get("dockerfile", "Dockerfile")
        for s in services.values()
        if isinstance(s.get("build"), dict)
    }


def test_the_stack_has_every_part(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) >= EXPECTED_SERVICES
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"


def test_every_service_has_an_image_or_a_build(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        assert "image" in service or "build" in service, name


def test_every_mounted_file_exists(services: dict[str, dict[str, Any]]) -> None:
    mounted = [(name, source) for name, s in services.items() for source in _bind_sources(s)]
    assert mounted, "the monitoring services mount their configuration"
    for name, source in mounted:
        assert (PROJECT_ROOT / source).exists(), f"{name} mounts missing {source}"


def test_every_dockerfile_exists_and_its_copies_too(services: dict[str, dict[str, Any]]) -> None:
    dockerfiles = _dockerfiles(services)
    assert dockerfiles
    for dockerfile in dockerfiles:
        text = dockerfile.read_text(encoding="utf-8")
        for line in re.findall(r"^COPY\s+(.+)$", text, flags=re.MULTILINE):
            *sources, _target = line.split()
            for source in sources:
                assert (PROJECT_ROOT / source).exists(), f"{dockerfile.name} copies missing {source}"


def test_images_run_as_a_non_root_user(services: dict[str, dict[str, Any]]) -> None:
    for dockerfile in _dockerfiles(services):
        users = re.findall(r"^USER\s+(\S+)", dockerfile.read_text(encoding="utf-8"), flags=re.MULTILINE)
        assert users, f"{dockerfile} sets no USER"
        assert users[-1].split(":")[0] not in {"root", "0"}


def test_every_dependency_names_a_service_with_a_valid_condition(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        depends = service.get("depends_on", {})
        for dependency, spec in depends.items() if isinstance(depends, dict) else ((d, {}) for d in depends):
            assert dependency in services, f"{name} depends on unknown {dependency}"
            condition = spec.get("condition", "service_started")
            assert condition in DEPENDS_CONDITIONS, f"{name} -> {dependency}: {condition}"
            if condition == "service_healthy":
                healthcheck = services[dependency].get("healthcheck", {})
                assert healthcheck.get("test"), f"{dependency} has no healthcheck"
                assert not healthcheck.get("disable"), f"{dependency} disables its healthcheck"


def test_long_running_services_have_healthchecks(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        if service.get("restart") == "no":
            continue
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_screening_commands_are_real_subcommands(services: dict[str, dict[str, Any]]) -> None:
    parser = build_parser()
    for name, service in services.items():
        if "build" in service:
            args = parser.parse_args(service["command"])
            assert callable(args.handler), name


def test_named_volumes_are_declared_and_ports_bind_to_loopback(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    declared = set(compose.get("volumes") or {})
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith((".", "/")):
                assert source in declared, f"{name} uses undeclared volume {source}"
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"


def test_workers_keep_their_tables_in_rocksdb_on_a_volume_of_their_own(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    workers = {name: service for name, service in services.items() if name.startswith("worker-")}
    assert set(workers) == {"worker-1", "worker-2"}
    mounts = []
    for name, worker in workers.items():
        assert worker["environment"]["SCREENING_STORE"] == "rocksdb://", name
        (volume,) = worker["volumes"]
        source, target = volume.split(":")
        assert target == "/app/data", name  # SCREENING_DATA_DIR in the Dockerfile
        assert source in compose["volumes"], name
        mounts.append(source)
    assert len(set(mounts)) == len(mounts)  # RocksDB locks its files: one data dir per worker


def test_the_cluster_profile_runs_three_secured_nodes_from_the_shared_template(
    services: dict[str, dict[str, Any]],
) -> None:
    profile = {name for name, service in services.items() if "cluster" in service.get("profiles", [])}
    assert profile == {"cluster-init", "kafka-1", "kafka-2", "kafka-3", "cluster-acls"}
    script = PROJECT_ROOT / "deploy" / "kafka" / "compose-node.sh"
    assert "cluster-node.properties" in script.read_text(encoding="utf-8")
    for n in (1, 2, 3):
        node = services[f"kafka-{n}"]
        assert node["entrypoint"] == ["bash", "/opt/cluster/compose-node.sh"]
        assert node["command"] == [str(n)]
        assert "./deploy/kafka:/opt/cluster:ro" in node["volumes"]
        assert f"kafka-{n}-data:/var/lib/kafka/data" in node["volumes"]
        assert node["depends_on"]["cluster-init"]["condition"] == "service_completed_successfully"
        assert not node.get("ports"), "the secured nodes are reached inside the compose network only"
    acls = services["cluster-acls"]
    assert {d: c["condition"] for d, c in acls["depends_on"].items()} == {
        f"kafka-{n}": "service_healthy" for n in (1, 2, 3)
    }
    assert "apply-acls" in acls["command"][0]
