"""The changelogs `topics create` declares are exactly the ones faust derives from the app's tables."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pipeline.app import create_app
from pipeline.kafka.topics import topic_specs
from pipeline.settings import Settings


def test_every_table_changelog_is_declared_with_the_table_partitions(tmp_path: Path) -> None:
    settings = replace(Settings(), app_id="changelog-names", data_dir=tmp_path, order_partitions=5)
    app = create_app(settings)
    app.finalize()
    declared = {spec.name: spec for spec in topic_specs(settings)}

    tables = list(app.tables.values())

    assert len(tables) == 2
    for table in tables:
        spec = declared[table.changelog_topic.get_topic_name()]
        assert spec.partitions == table.partitions == settings.order_partitions
        assert spec.compacted
