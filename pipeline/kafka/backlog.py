"""What the workers' consumer group still owes, read from the brokers for the conservation check.

The group's members and committed offsets come from `pipeline/kafka/lag.py`; the draw requests the
group has not committed past are read from the draws topic (they carry the order id and revision).
A closing or cancelling request, or one without its order, owes no decision and is left out.
"""

from __future__ import annotations

import json

from pipeline.audit.conservation import Backlog
from pipeline.kafka import clients
from pipeline.kafka.lag import GroupReader
from pipeline.kafka.readback import TopicTail
from pipeline.settings import Settings


def read_backlog(settings: Settings) -> Backlog:
    """The backlog of the group `settings.app_id` (the workers' faust app id) now."""
    reader = GroupReader(settings, purpose="conservation")
    try:
        position = reader.read()
    finally:
        reader.close()
    topics = settings.topics

    def committed(topic: str) -> dict[int, int]:
        return {part: offset for (name, part), offset in position.committed.items() if name == topic}

    queued = _queued_draws(settings, committed(topics.licence_draws)) if position.draining else {}
    return Backlog(
        draining=position.draining,
        committed=committed(topics.orders),
        queued_draws=queued,
        group_state=position.state,
    )


def _queued_draws(settings: Settings, start: dict[int, int]) -> dict[str, int]:
    """Order id -> highest revision among the draw requests at or past the group's committed offsets."""
    consumer = clients.consumer(settings, "conservation-draws", isolation_level="read_committed")
    queued: dict[str, int] = {}
    try:
        for _, _, value in TopicTail(consumer, settings.topics.licence_draws, start).read_new():
            identity = _owed_draw(value)
            if identity is not None:
                order_id, revision = identity
                queued[order_id] = max(revision, queued.get(order_id, revision))
    finally:
        consumer.close()
    return queued


def _owed_draw(value: bytes | None) -> tuple[str, int] | None:
    """Order id and revision of a draw request that will end in a decision; None for anything else."""
    try:
        request = json.loads(value or b"")
    except (ValueError, RecursionError):
        return None
    if not isinstance(request, dict) or request.get("closed") or request.get("cancelled"):
        return None
    if request.get("order") is None:
        return None  # the licence desk decides only requests that carry their order
    order_id, revision = request.get("order_id"), request.get("revision")
    if not isinstance(order_id, str) or not isinstance(revision, int) or isinstance(revision, bool):
        return None
    return order_id, revision
