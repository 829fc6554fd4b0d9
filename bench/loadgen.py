"""Load in and decisions out: a burst producer, a rate-limited producer and a read-back collector.

The collector runs in a process of its own so that reading decisions never shares a GIL with
producing orders. It starts at the end of the decisions topic, counts only the phase's order-id
prefix, and records for each decision its broker timestamp. The bench creates the decisions topic
with `message.timestamp.type=LogAppendTime` (bench/sessions.py), so that timestamp is when the
broker appended the decision: the moment a downstream consumer could read it. The collector needs
no wall-clock reading of its own, so it reads in batches every `POLL_PAUSE_S` rather than as
decisions arrive, and takes little CPU from the worker under test on a small host. Producers,
broker and collector run on the same host clock.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.synchronize import Event
from typing import Any

from kafka import TopicPartition

from pipeline.kafka import clients
from pipeline.settings import Settings

_ROUTE_MARK = b'"route":"'
# Between reads of the decisions topic: batches stay large, so reading costs the host little CPU.
POLL_PAUSE_S = 0.5
# kafka-python's `timestamp_type` of a record whose timestamp the broker set on append.
LOG_APPEND_TIME = 1


@dataclass(frozen=True, slots=True)
class Phase:
    """Where one phase's orders go and its decisions come from; its order ids share `prefix`."""

    settings: Settings
    orders_topic: str
    decisions_topic: str
    prefix: str


@dataclass(slots=True)
class Readback:
    """What the collector saw for one phase."""

    decided_at_ms: dict[str, int] = field(default_factory=dict)
    routes: dict[str, int] = field(default_factory=dict)
    # How many decisions carried the broker's append time (all of them on the bench's topics).
    log_append_time: int = 0


def _route_of(value: bytes) -> str:
    start = value.find(_ROUTE_MARK)
    if start < 0:
        return "none"
    start += len(_ROUTE_MARK)
    return value[start : value.find(b'"', start)].decode("ascii", errors="replace")


def _collect(phase: Phase, expected: int, timeout_s: float, ready: Event, out: Any) -> None:
    consumer = clients.consumer(
        phase.settings, "bench-collect", fetch_max_wait_ms=100, max_poll_records=50_000
    )
    partitions = [
        TopicPartition(phase.decisions_topic, p)
        for p in sorted(consumer.partitions_for_topic(phase.decisions_topic) or ())
    ]
    consumer.assign(partitions)
    consumer.seek_to_end()
    for partition in partitions:
        consumer.position(partition)  # resolve the end offsets now, before the producer starts
    ready.set()
    marker = phase.prefix.encode()
    seen = Readback()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=100).values():
            for record in records:
                if record.key is None or not record.key.startswith(marker):
                    continue
                key = record.key.decode()
                if key not in seen.decided_at_ms:
                    seen.decided_at_ms[key] = record.timestamp
                    seen.log_append_time += record.timestamp_type == LOG_APPEND_TIME
                    route = _route_of(record.value)
                    seen.routes[route] = seen.routes.get(route, 0) + 1
        if len(seen.decided_at_ms) >= expected:
            break
        time.sleep(POLL_PAUSE_S)
    consumer.close()
    out.put(seen)


class Collector:
    """Read-back of one phase's decisions in a child process; `result()` waits for it."""

    def __init__(self, phase: Phase, expected: int, timeout_s: float) -> None:
        context = multiprocessing.get_context("spawn")
        self._ready = context.Event()
        self._out: Any = context.Queue()
        self._process = context.Process(
            target=_collect,
            args=(phase, expected, timeout_s, self._ready, self._out),
            daemon=True,
        )
        self._timeout_s = timeout_s

    def __enter__(self) -> Collector:
        self._process.start()
        if not self._ready.wait(timeout=60):
            msg = "decision collector did not start"
            raise RuntimeError(msg)
        return self

    def __exit__(self, *_: object) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join(timeout=10)

    def result(self) -> Readback:
        try:
            seen: Readback = self._out.get(timeout=self._timeout_s + 60)
        except queue.Empty as exc:
            msg = "decision collector returned nothing"
            raise RuntimeError(msg) from exc
        return seen


def make_producer(settings: Settings, *, linger_ms: int) -> Any:
    return clients.producer(
        settings,
        "bench-load",
        acks="all",
        linger_ms=linger_ms,
        batch_size=256 * 1024,
        max_request_size=4 * 1024 * 1024,
    )


Encode = Callable[[int, str, datetime], bytes]


def burst(phase: Phase, count: int, encode: Encode) -> float:
    """Produce `count` orders as fast as the client allows; return the seconds it took."""
    payloads = [
        (f"{phase.prefix}{i:07d}", encode(i, f"{phase.prefix}{i:07d}", datetime.now(UTC)))
        for i in range(count)
    ]
    producer = make_producer(phase.settings, linger_ms=5)
    started = time.time()
    for key, value in payloads:
        producer.send(phase.orders_topic, key=key.encode(), value=value)
    producer.flush(timeout=120)
    elapsed = time.time() - started
    producer.close()
    return elapsed


def paced(phase: Phase, rate_per_s: float, seconds: float, encode: Encode) -> dict[str, float]:
    """Send at a fixed offered load; return each order's send time (its event_time too)."""
    producer = make_producer(phase.settings, linger_ms=0)
    sent_at: dict[str, float] = {}
    total = int(rate_per_s * seconds)
    interval = 1.0 / rate_per_s
    started = time.time()
    for i in range(total):
        due = started + i * interval
        wait = due - time.time()
        if wait > 0:
            time.sleep(wait)
        key = f"{phase.prefix}{i:07d}"
        now = time.time()
        producer.send(
            phase.orders_topic, key=key.encode(), value=encode(i, key, datetime.fromtimestamp(now, UTC))
        )
        sent_at[key] = now
    producer.flush(timeout=60)
    producer.close()
    return sent_at
