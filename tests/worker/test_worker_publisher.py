"""The publisher hands records to faust's producer itself; table changes wait for the agent's flush."""

from __future__ import annotations

import asyncio
from typing import Any

from pipeline.flow.outputs import Outbound
from pipeline.worker.publisher import Publisher, QueuedRecord


class _Producer:
    def __init__(self, fail_topics: frozenset[str] = frozenset()) -> None:
        self.sent: list[tuple[Any, ...]] = []
        self.deliveries: list[asyncio.Future[Any]] = []
        self._fail_topics = fail_topics

    async def send(self, *args: Any) -> asyncio.Future[Any]:
        self.sent.append(args)
        delivery: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if args[0] in self._fail_topics:
            delivery.set_exception(RuntimeError("broker refused the record"))
        else:
            delivery.set_result(("metadata", args[0]))
        self.deliveries.append(delivery)
        return delivery


class _App:
    def __init__(self, producer: _Producer) -> None:
        self.producer = producer


class _Observer:
    def __init__(self) -> None:
        self.failures: list[tuple[str, str]] = []

    def failed(self, stage: str, error: BaseException) -> None:
        self.failures.append((stage, str(error)))


def test_records_reach_the_producer_unchanged() -> None:
    producer = _Producer()
    publisher = Publisher(_App(producer))  # type: ignore[arg-type]

    async def run() -> None:
        await publisher.send(Outbound("screening.decisions", b"O-1", b"{}"))
        await publisher.send(Outbound("screening.decisions", None, b"{}"))

    asyncio.run(run())
    assert producer.sent == [
        ("screening.decisions", b"O-1", b"{}", None, None, None),
        ("screening.decisions", None, b"{}", None, None, None),
    ]


def test_queued_table_changes_wait_for_the_flush_and_keep_their_partition() -> None:
    producer = _Producer()
    publisher = Publisher(_App(producer))  # type: ignore[arg-type]
    delivered: list[Any] = []
    publisher.queue(QueuedRecord("app-order-state-changelog", 7, b"O-1", b"state", delivered.append))
    publisher.queue(QueuedRecord("app-order-state-changelog", 7, b"O-2", None))
    assert producer.sent == []

    async def run() -> None:
        await publisher.send_all([Outbound("screening.decisions", b"O-1", b"{}")])
        await asyncio.sleep(0)  # done-callbacks run on the next loop turn

    asyncio.run(run())
    assert producer.sent[1:] == [
        ("app-order-state-changelog", b"O-1", b"state", 7, None, None),
        ("app-order-state-changelog", b"O-2", None, 7, None, None),
    ]
    assert publisher.queued == []
    assert len(delivered) == 1
    assert delivered[0].result() == ("metadata", "app-order-state-changelog")


def test_a_refused_record_is_counted_and_reported() -> None:
    producer = _Producer(fail_topics=frozenset({"alerts.blocked"}))
    observer = _Observer()
    publisher = Publisher(_App(producer), observer)  # type: ignore[arg-type]

    async def run() -> None:
        await publisher.send_all(
            [Outbound("screening.decisions", b"O-1", b"{}"), Outbound("alerts.blocked", b"O-1", b"{}")]
        )
        await asyncio.sleep(0)

    asyncio.run(run())
    assert publisher.failed == 1
    assert observer.failures == [("publish", "broker refused the record")]
