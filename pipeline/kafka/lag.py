"""Where a consumer group stands: its committed offsets, the partitions' ends, and its live members.

One kafka-python admin client (built in `pipeline/kafka/clients.py`) answers all three. The worker
reads its own group's lag every few seconds for `/metrics` (`screening_consumer_lag`); the
conservation check reads the group's offsets and members to tell an order still owed from a lost one.
Lag is the high watermark minus the committed offset, as `kafka-consumer-groups.sh` reports it:
partitions the group never committed are left out, since nothing says where it would start.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pipeline.kafka import clients
from pipeline.settings import Settings

log = logging.getLogger(__name__)

Partition = tuple[str, int]


class _FaustMemberData(logging.Filter):
    """faust's partition assignor puts its own data in each member's metadata, which kafka-python's
    describe_groups cannot decode and warns about at every read; only the members are counted here."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Unable to decode member_")


logging.getLogger("kafka.admin._groups").addFilter(_FaustMemberData())


@dataclass(frozen=True, slots=True)
class GroupPosition:
    state: str
    members: int
    committed: Mapping[Partition, int] = field(default_factory=dict)
    ends: Mapping[Partition, int] = field(default_factory=dict)

    @property
    def draining(self) -> bool:
        """A worker is in the group: records past its committed offsets are still being worked on."""
        return self.members > 0

    @property
    def lag(self) -> dict[Partition, int]:
        return {
            partition: max(0, self.ends[partition] - offset)
            for partition, offset in self.committed.items()
            if partition in self.ends
        }


class GroupReader:
    """Reads one group's position; the admin client is built on first use and kept."""

    def __init__(self, settings: Settings, group_id: str | None = None, purpose: str = "lag") -> None:
        self._settings = settings
        self._group_id = group_id or settings.app_id
        self._purpose = purpose
        self._admin: Any = None

    def read(self) -> GroupPosition:
        from kafka import TopicPartition
        from kafka.admin import OffsetSpec

        if self._admin is None:
            self._admin = clients.admin(self._settings, self._purpose)
        described = self._admin.describe_groups([self._group_id]).get(self._group_id, {})
        offsets = self._admin.list_group_offsets(self._group_id).get(self._group_id, {})
        committed = {
            (tp.topic, tp.partition): meta.offset for tp, meta in offsets.items() if meta.offset >= 0
        }
        specs = {TopicPartition(topic, partition): OffsetSpec.LATEST for topic, partition in committed}
        ends = self._admin.list_partition_offsets(specs) if specs else {}
        return GroupPosition(
            state=str(described.get("group_state", "Dead")),
            members=len(described.get("members") or ()),
            committed=committed,
            ends={(tp.topic, tp.partition): found.offset for tp, found in ends.items()},
        )

    def lag(self) -> dict[Partition, int] | None:
        """The group's lag per partition, or None (logged) when the brokers could not tell."""
        from kafka.errors import KafkaError

        try:
            return self.read().lag
        except (KafkaError, OSError) as error:
            log.warning("consumer lag of group %s not read: %s", self._group_id, error)
            self.close()
            return None

    def close(self) -> None:
        if self._admin is not None:
            admin, self._admin = self._admin, None
            admin.close()
