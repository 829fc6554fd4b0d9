"""Shared fixtures: a valid order to start from and, for `kafka` tests, the real local broker."""

from __future__ import annotations

import copy
import socket
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pipeline.harness.ports import free_port
from pipeline.kafka.readback import Received, read_from_start
from pipeline.kafka.topics import ensure_topics
from pipeline.settings import Settings, load_settings

OrderDict = dict[str, Any]

_BASE_ORDER: OrderDict = {
    "order_id": "ORD-TEST-0001",
    "revision": 1,
    "event_time": "2026-03-02T09:15:00+00:00",
    "ship_date": "2026-03-10",
    "exporter": {"party_id": "EXP-1", "name": "Hunan Minmetals Trading Co., Ltd.", "country": "CN"},
    "consignee": {"name": "Rotterdam Metals B.V.", "country": "NL"},
    "end_user": {"name": "Eindhoven Optics B.V.", "country": "NL", "address": "Kastanjelaan 4, Eindhoven"},
    "destination_country": "NL",
    "end_use": {"code": "civil-manufacturing", "description": "Infrared lens blanks"},
    "lines": [
        {
            "line_id": "1",
            "sku": "GE-INGOT-5N",
            "description": "Germanium ingot, 99.999 %",
            "hs_code": "81129290",
            "quantity": 20,
            "unit": "kg",
            "value": 36000,
            "currency": "USD",
            "origin_country": "CN",
        }
    ],
}


@pytest.fixture
def make_order() -> Callable[..., OrderDict]:
    """A fresh valid order dict; keyword arguments replace top-level fields."""

    def build(**fields: Any) -> OrderDict:
        order = copy.deepcopy(_BASE_ORDER)
        order.update(fields)
        return order

    return build


# --- The real broker -------------------------------------------------------------------------------
# `make test` starts it (deploy/kafka/with-broker.sh); every test gets its own topics and group.


@pytest.fixture(scope="session")
def kafka_settings() -> Settings:
    """Settings for the running local broker; fails with a hint when nothing answers."""
    settings = replace(load_settings(), log_level="WARNING")
    host, _, port = settings.bootstrap_servers.split(",")[0].rpartition(":")
    with socket.socket() as probe:
        probe.settimeout(2)
        if probe.connect_ex((host, int(port))) != 0:
            pytest.fail(
                f"no Kafka broker at {settings.bootstrap_servers}: run `make test`, or "
                "`deploy/kafka/broker.sh start` before pytest",
                pytrace=False,
            )
    return settings


def isolated_settings(base: Settings, label: str, data_dir: Path) -> Settings:
    """`base` with a topic prefix, app id and web port nobody else uses."""
    unique = f"{label}-{uuid.uuid4().hex[:8]}"
    return replace(
        base,
        topic_prefix=f"t.{unique}.",
        app_id=f"test-{unique}",
        web_port=free_port(),
        data_dir=data_dir,
        order_partitions=4,
    )


@pytest.fixture(scope="session")
def isolate(kafka_settings: Settings) -> Callable[[str, Path], Settings]:
    """Factory for module- or session-scoped fixtures: label, data dir -> isolated settings."""
    return lambda label, data_dir: isolated_settings(kafka_settings, label, data_dir)


@pytest.fixture(scope="session")
def topic_reader() -> Callable[..., list[Received]]:
    """`read_from_start(settings, topics, until=..., timeout_s=...)` for tests in other folders."""
    return read_from_start


@pytest.fixture
def isolated(kafka_settings: Settings, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Per-test settings on the real broker: own topics (created), own consumer group."""
    settings = isolated_settings(
        kafka_settings, request.node.name[:24].strip("_").replace("_", "-"), tmp_path
    )
    ensure_topics(settings)
    return settings
