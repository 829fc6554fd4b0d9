"""The publisher hands records to the producer one batch per topic and partition, partitioned as
every other writer partitions by key; table changes wait for the agent's publish."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.structs import RecordMetadata, TopicPartition

from pipeline.flow.outputs import Outbound
from pipeline.flow.partitioner import key_partition
from pipeline.worker.publisher import Publisher, QueuedRecord

PARTITIONS = 12


@dataclass
class _Sent:
    topic: str
    partition: int
    records: list[tuple[bytes | None, bytes | None]] = field(default_factory=list)


class _Producer:
    """aiokafka's producer as the publisher uses it: real record batches, deliveries set at once."""

    def __init__(self, fail_topics: frozenset[str] = frozenset(), batch_size: int = 16_384) -> None:
        self.sent: list[_Sent] = []
        self._fail_topics = fail_topics
        self._batch_size = batch_size
        self._next_offset: dict[tuple[str, int], int] = {}

    def create_batch(self) -> _RecordingBatch:
        return _RecordingBatch(self._batch_size)

    async def partitions_for(self, _topic: str) -> set[int]:
        return set(range(PARTITIONS))

    async def send_batch(self, batch: _RecordingBatch, topic: str, *, partition: int) -> asyncio.Future[Any]:
        self.sent.append(_Sent(topic, partition, list(batch.appended)))
        delivery: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if topic in self._fail_topics:
            delivery.set_exception(RuntimeError("broker refused the batch"))
        else:
            base = self._next_offset.get((topic, partition), 0)
            self._next_offset[topic, partition] = base + len(batch.appended)
            tp = TopicPartition(topic, partition)
            delivery.set_result(RecordMetadata(topic, partition, tp, base, -1, 0, 0))
        return delivery


class _RecordingBatch:
    """aiokafka's own batch builder (its size limit and record offsets), remembering what it holds."""

    def __init__(self, batch_size: int) -> None:
        self._builder = BatchBuilder(batch_size, 0)
        self.appended: list[tuple[bytes | None, bytes | None]] = []

    def append(self, *, timestamp: Any, key: Any, value: Any) -> Any:
        metadata = self._builder.append(timestamp=timestamp, key=key, value=value)
        if metadata is not None:
            self.appended.append((key, value))
        return metadata

    def close(self) -> None:
        self._builder.close()


class _FaustProducer:
    def __init__(self, producer: _Producer) -> None:
        self._producer = producer

    def _ensure_producer(self) -> _Producer:
        return self._producer


class _App:
    def __init__(self, producer: _Producer) -> None:
        self.producer = _FaustProducer(producer)


class _Observer:
    def __init__(self) -> None:
        self.failures: list[tuple[str, str]] = []

    def failed(self, stage: str, error: BaseException) -> None:
        self.failures.append((stage, str(error)))


def _publish(publisher: Publisher, messages: list[Outbound]) -> None:
    async def run() -> None:
        await publisher.send_all(messages)
        await asyncio.sleep(0)  # done-callbacks run on the next loop turn

    asyncio.run(run())


def _value(topic: str, key: bytes) -> bytes:
    return b"%s:%s" % (topic.encode(), key)


def test_records_go_in_one_batch_per_topic_and_key_partition_in_order() -> None:
    producer = _Producer()
    publisher = Publisher(_App(producer))  # type: ignore[arg-type]
    keys = [f"O-{n}".encode() for n in range(40)]
    messages = [
        Outbound(topic, key, b"%s:%s" % (topic.encode(), key)) for key in keys for topic in ("a", "b")
    ]
    _publish(publisher, messages)

    groups = {(sent.topic, sent.partition): sent.records for sent in producer.sent}
    assert len(groups) == len(producer.sent)  # one batch per topic and partition
    for topic in ("a", "b"):
        for key in keys:
            assert (key, b"%s:%s" % (topic.encode(), key)) in groups[topic, key_partition(key, PARTITIONS)]
    for (topic, partition), records in groups.items():
        expected = [
            (k, b"%s:%s" % (topic.encode(), k)) for k in keys if key_partition(k, PARTITIONS) == partition
        ]
        assert records == expected  # the order the agent produced them in


def test_a_full_batch_is_sent_and_the_rest_follows_in_the_next() -> None:
    producer = _Producer(batch_size=200)
    publisher = Publisher(_App(producer))  # type: ignore[arg-type]
    _publish(publisher, [Outbound("a", b"O-1", bytes([n]) * 60) for n in range(10)])
    assert len(producer.sent) > 1
    assert [value for sent in producer.sent for _, value in sent.records] == [
        bytes([n]) * 60 for n in range(10)
    ]


def test_queued_table_changes_wait_for_the_publish_keep_their_partition_and_report_their_offset() -> None:
    producer = _Producer()
    publisher = Publisher(_App(producer))  # type: ignore[arg-type]
    delivered: list[tuple[Any, int]] = []
    changelog = "app-order-state-changelog"
    publisher.queue(
        QueuedRecord(changelog, 7, b"O-1", b"state", lambda tp, offset: delivered.append((tp, offset)))
    )
    publisher.queue(QueuedRecord(changelog, 7, b"O-2", None))
    publisher.queue(
        QueuedRecord(changelog, 7, b"O-3", b"later", lambda tp, offset: delivered.append((tp, offset)))
    )
    assert producer.sent == []

    _publish(publisher, [Outbound("screening.decisions", b"O-1", b"{}")])
    assert [(s.topic, s.partition, s.records) for s in producer.sent if s.topic == changelog] == [
        (changelog, 7, [(b"O-1", b"state"), (b"O-2", None), (b"O-3", b"later")])
    ]
    assert publisher.queued == []
    assert delivered == [(TopicPartition(changelog, 7), 0), (TopicPartition(changelog, 7), 2)]


def test_a_refused_batch_counts_each_record_and_is_reported() -> None:
    producer = _Producer(fail_topics=frozenset({"alerts.blocked"}))
    observer = _Observer()
    publisher = Publisher(_App(producer), observer)  # type: ignore[arg-type]
    _publish(
        publisher,
        [
            Outbound("screening.decisions", b"O-1", b"{}"),
            Outbound("alerts.blocked", b"O-1", b"{1}"),
            Outbound("alerts.blocked", b"O-1", b"{2}"),
        ],
    )
    assert publisher.failed == 2
    assert observer.failures == [("publish", "broker refused the batch")]
