"""Topics as code against the real broker: created once, idempotent, configured as declared."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipeline.kafka import clients
from pipeline.kafka.topics import (
    REFERENCE_KINDS,
    TABLES,
    changelog_topic,
    ensure_topics,
    list_topics,
    topic_specs,
)
from pipeline.settings import Settings

pytestmark = pytest.mark.kafka


def _explicit_configs(settings: Settings, names: list[str]) -> dict[str, dict[str, str]]:
    """Per topic, the configs set on the topic itself (not broker defaults)."""
    from kafka.admin import ConfigResource, ConfigResourceType

    admin = clients.admin(settings, "test")
    try:
        response: Any = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in names])
    finally:
        admin.close()
    return {
        name: {key: entry["value"] for key, entry in entries.items()}
        for name, entries in response["topic"].items()
    }


def _partition_counts(settings: Settings, names: list[str]) -> dict[str, int]:
    admin = clients.admin(settings, "test")
    try:
        described: Any = admin.describe_topics(names)
    finally:
        admin.close()
    return {t["name"]: len(t["partitions"]) for t in described if t["error_code"] == 0}


def test_changelogs_of_the_app_tables_exist_before_any_worker_starts(
    isolate: Callable[[str, Path], Settings], tmp_path: Path
) -> None:
    settings = isolate("changelogs", tmp_path)

    ensure_topics(settings)

    changelogs = [changelog_topic(settings, table) for table in TABLES]
    assert _partition_counts(settings, changelogs) == dict.fromkeys(changelogs, settings.order_partitions)
    configs = _explicit_configs(settings, changelogs)
    assert {configs[name]["cleanup.policy"] for name in changelogs} == {"compact"}


def test_topics_are_created_once_with_their_partitions_and_policies(
    isolate: Callable[[str, Path], Settings], tmp_path: Path
) -> None:
    settings = isolate("topics", tmp_path)
    specs = topic_specs(settings)

    created, existing = ensure_topics(settings)
    again_created, again_existing = ensure_topics(settings)

    assert sorted(created) == sorted(s.name for s in specs)
    assert existing == []
    assert again_created == []
    assert sorted(again_existing) == sorted(created)
    partitions = list_topics(settings)
    names = settings.topics
    for name in (
        names.orders,
        names.hold,
        names.license,
        names.release,
        names.decisions,
        names.orders_invalid,
    ):
        assert partitions[name] == settings.order_partitions
    reference = [names.reference(kind) for kind in REFERENCE_KINDS]
    configs = _explicit_configs(settings, [*reference, names.orders, names.audit])
    for name in reference:
        assert configs[name]["cleanup.policy"] == "compact", name
    assert "cleanup.policy" not in configs[names.orders]
    assert int(configs[names.orders]["max.message.bytes"]) > 1024 * 1024
    assert configs[names.audit]["retention.ms"] == "-1"
