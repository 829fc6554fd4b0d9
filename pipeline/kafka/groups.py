"""A demo run's own consumer group: it starts where `orders` ends now and is removed afterwards.

A fresh group (and so fresh faust tables) per run makes repeated runs independent: the licence
ledger and the order revisions of one run do not change the next run's routes.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from pipeline.kafka import clients
from pipeline.settings import Settings

COORDINATOR_WAIT_S = 60.0


def run_app_id(settings: Settings) -> str:
    return f"{settings.app_id}-demo-{datetime.now(UTC):%Y%m%d%H%M%S%f}"


def _admin(settings: Settings) -> Any:
    return clients.admin(settings, "demo")


def start_group_at(settings: Settings, group_id: str, topic: str, offsets: dict[int, int]) -> None:
    """Commit `offsets` for a group with no members yet, so its first worker starts exactly there."""
    from kafka import TopicPartition
    from kafka.errors import KafkaError
    from kafka.structs import OffsetAndMetadata

    wanted = {TopicPartition(topic, p): OffsetAndMetadata(o, "", -1) for p, o in offsets.items()}
    admin = _admin(settings)
    deadline = time.monotonic() + COORDINATOR_WAIT_S
    try:
        while True:
            try:
                errors = admin.alter_group_offsets(group_id, wanted)
            except KafkaError as exc:
                # A new group's coordinator (and on a fresh broker __consumer_offsets itself) takes a
                # moment to come up: CoordinatorNotAvailable and friends are retriable.
                if not exc.retriable or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
                continue
            failed = {str(tp): err for tp, err in errors.items() if getattr(err, "errno", 0)}
            # A coordinator still loading answers per partition (CoordinatorLoadInProgress,
            # NotCoordinator) instead of raising: those are retried the same way.
            retriable = all(getattr(err, "retriable", False) for err in failed.values())
            if not failed or not retriable or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    finally:
        admin.close()
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
