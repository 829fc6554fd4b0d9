"""Create the screening app's table changelog topics before its workers start.

On a busy host a fresh worker can look up its changelog topics before faust has created them, keep
the stale metadata and then refuse every order (PartitionsMismatch) until its next metadata refresh.
Declaring them first, as a deployment would, keeps that start-up race out of the measurement.
The names come from the app itself, so the bench follows whatever tables the pipeline defines.
"""

from __future__ import annotations

from pipeline.settings import Settings
from pipeline.topics import TopicSpec, ensure_topics


def declare_changelogs(settings: Settings) -> list[str]:
    from pipeline.app import create_app

    app = create_app(settings)
    app.finalize()
    specs = [
        TopicSpec(
            table.changelog_topic.get_topic_name(),
            table.partitions or settings.order_partitions,
            {"cleanup.policy": "compact"},
        )
        for table in app.tables.values()
    ]
    ensure_topics(settings, specs)
    return [spec.name for spec in specs]
