"""A demo run's own consumer group: it starts where `orders` ends now and is removed afterwards.

A fresh group (and so fresh faust tables) per run makes repeated runs independent: the licence
ledger and the order revisions of one run do not change the next run's routes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pipeline.settings import Settings


def run_app_id(settings: Settings) -> str:
    return f"{settings.app_id}-demo-{datetime.now(UTC):%Y%m%d%H%M%S%f}"


def _admin(settings: Settings) -> Any:
    from kafka import KafkaAdminClient

    return KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, client_id=f"{settings.app_id}-demo")


def start_group_at(settings: Settings, group_id: str, topic: str, offsets: dict[int, int]) -> None:
    """Commit `offsets` for a group with no members yet, so its first worker starts exactly there."""
    from kafka import TopicPartition
    from kafka.structs import OffsetAndMetadata

    admin = _admin(settings)
    try:
        errors = admin.alter_group_offsets(
            group_id,
            {TopicPartition(topic, p): OffsetAndMetadata(o, "", -1) for p, o in offsets.items()},
        )
    finally:
        admin.close()
    failed = {str(tp): err for tp, err in errors.items() if getattr(err, "errno", 0)}
    if failed:
        msg = f"could not position group {group_id}: {failed}"
        raise RuntimeError(msg)


def remove_run(settings: Settings, group_id: str) -> None:
    """Delete the run's faust-internal topics (changelogs, assignor) and its consumer group."""
    admin = _admin(settings)
    try:
        internal = [name for name in admin.list_topics() if name.startswith(f"{group_id}-")]
        if internal:
            admin.delete_topics(internal, raise_errors=False)
        admin.delete_groups([group_id])
    finally:
        admin.close()
