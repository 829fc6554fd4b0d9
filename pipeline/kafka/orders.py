"""Orders onto the `orders` topic: a JSONL file, one record per line keyed by order id
(`screening produce`), or (key, value) records from a harness.

Lines are sent as the bytes they are, malformed ones included: the sample deliberately contains
records the worker must dead-letter.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from rich.progress import Progress

from pipeline.audit.conservation import OffsetRef
from pipeline.kafka import clients
from pipeline.kafka.topics import INVALID_MAX_MESSAGE_BYTES, ORDERS_MAX_MESSAGE_BYTES
from pipeline.settings import Settings


def read_records(path: Path) -> list[bytes]:
    """Non-blank lines of the file, without their line ends."""
    return [line.rstrip(b"\r") for line in path.read_bytes().split(b"\n") if line.strip()]


def order_key(record: bytes) -> bytes | None:
    """The order id as key when the record is a JSON object that names one; else no key."""
    try:
        document = json.loads(record)
    except (ValueError, RecursionError):
        return None
    order_id = document.get("order_id") if isinstance(document, dict) else None
    return order_id.encode() if isinstance(order_id, str) and order_id else None


def make_producer(settings: Settings) -> Any:
    return clients.producer(settings, "producer", linger_ms=5, max_request_size=ORDERS_MAX_MESSAGE_BYTES)


def durable_producer(settings: Settings) -> Any:
    """A producer that rides out a broker restart: every replica acknowledges, sends are retried."""
    return clients.producer(
        settings,
        "producer",
        acks="all",
        linger_ms=5,
        retries=20,
        max_request_size=INVALID_MAX_MESSAGE_BYTES,
        request_timeout_ms=30_000,
    )


def produce_keyed(
    settings: Settings, records: Iterable[tuple[str, bytes]], *, topic: str | None = None
) -> list[OffsetRef]:
    """Produce (key, value) records to the orders topic, wait for every ack, return where each landed."""
    sender = durable_producer(settings)
    try:
        futures = [
            sender.send(topic or settings.topics.orders, key=key.encode("utf-8"), value=value)
            for key, value in records
        ]
        sender.flush(timeout=60)
        landed = [future.get(timeout=30) for future in futures]
        return [OffsetRef(meta.partition, meta.offset) for meta in landed]
    finally:
        sender.close()


def _progress(records: list[bytes], show: bool) -> Iterator[bytes]:
    if not show:
        yield from records
        return
    with Progress(transient=False) as progress:
        task = progress.add_task("Producing orders", total=len(records))
        for record in records:
            yield record
            progress.advance(task)


def produce(settings: Settings, records: list[bytes], *, show_progress: bool | None = None) -> int:
    """Send every record to the orders topic and wait for all acknowledgements; return the count."""
    show = sys.stdout.isatty() if show_progress is None else show_progress
    producer = make_producer(settings)
    try:
        futures = [
            producer.send(settings.topics.orders, key=order_key(record), value=record)
            for record in _progress(records, show)
        ]
        producer.flush()
        for future in futures:
            future.get(timeout=30)
    finally:
        producer.close()
    return len(futures)
