"""Start-up of the review applier and load of the console's hold queue, with 1 and with 200,000
historical decisions on `screening.decisions` (issue 17).

For each history size, on fresh topics: publish the history (all released but `--open` holds, plus
`--closed` holds that were later released), let a first applier work through it once (a deployment's
one-off catch-up, timed), stop it, then time, several times each:
- applier restart: `review_applier.run` called -> partitions assigned and their open holds loaded
  from `holds.current`, ready to apply;
- console queue load: `read_snapshot` (what `screening holds list` and the console read, `holds.current`);
- the old way, side by side: the queue rebuilt from the whole `screening.decisions` history.

    SCREENING_BOOTSTRAP_SERVERS=127.0.0.1:9092 python -m bench.review_startup [--sizes 1 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr

from bench.machine import machine_info
from bench.stats import median
from pipeline.console.auth import hash_password
from pipeline.holds.queue import HoldQueue
from pipeline.kafka import clients, review_applier
from pipeline.kafka.holds import ensure_topics, read_snapshot, read_topics
from pipeline.settings import Settings, load_settings
from schemas.decision import DecisionRecord, Outcome, Reason, Route

KEY = "bench review signing key, 32 bytes or more"


def _template(route: Route) -> str:
    return DecisionRecord(
        decision_id="@DECISION@",
        order_id="@ORDER@",
        revision=1,
        route=route,
        as_of=datetime(2026, 3, 2, tzinfo=UTC).date(),
        evaluated_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        reasons=[
            Reason(
                rule_id="cn.dual-use.gallium.end-use-missing",
                title="Controlled gallium item without a stated end use",
                outcome=Outcome.REVIEW,
                explanation="Line 1 is control code 1C902.a and the order states no end use.",
                evidence={"control_code": "1C902.a", "destination_country": "DE"},
            )
        ],
    ).model_dump_json()


_TEMPLATES = {route: _template(route) for route in Route}


def _decision(order_id: str, route: Route, n: int) -> bytes:
    """A decision as the worker writes it; the second decision of an order is a newer revision."""
    text = _TEMPLATES[route].replace("@DECISION@", f"d-{order_id}-{n}").replace("@ORDER@", order_id)
    return text.replace('"revision":1', f'"revision":{n + 1}').encode()


def publish_history(settings: Settings, total: int, open_holds: int, closed_holds: int) -> None:
    """`total` decisions: `open_holds` holds, `closed_holds` holds each followed by a release, the rest
    released at once. Each order's decisions share its key, so they stay in order."""
    producer = clients.producer(settings, "bench", linger_ms=20, batch_size=256 * 1024)
    topic = settings.topics.decisions
    sent = 0

    def send(order_id: str, route: Route, n: int) -> None:
        nonlocal sent
        producer.send(topic, _decision(order_id, route, n), key=order_id.encode())
        sent += 1

    for n in range(min(open_holds, total)):
        send(f"open-{n}", Route.HOLD, 0)
    for n in range(closed_holds):
        if sent + 2 > total:
            break
        send(f"closed-{n}", Route.HOLD, 0)
        send(f"closed-{n}", Route.RELEASE, 1)
    n = 0
    while sent < total:
        send(f"released-{n}", Route.RELEASE, 0)
        n += 1
    producer.flush(timeout=300)
    producer.close()


def _group_caught_up(settings: Settings) -> bool:
    admin = clients.admin(settings, "bench")
    consumer = clients.consumer(settings, "bench")
    try:
        group = review_applier.group_id(settings)
        committed = admin.list_group_offsets(group).get(group, {})
        from kafka import TopicPartition

        topic = settings.topics.decisions
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        ends = consumer.end_offsets(parts)
        return all(tp in committed and committed[tp].offset >= end for tp, end in ends.items() if end > 0)
    finally:
        consumer.close()
        admin.close()


async def first_catch_up(settings: Settings) -> float:
    """Seconds for a first applier to work through the whole history (once per deployment)."""
    started_at = time.perf_counter()
    task = asyncio.create_task(review_applier.run(settings))
    try:
        while not await asyncio.to_thread(_group_caught_up, settings):
            if task.done():
                task.result()
            await asyncio.sleep(0.5)
        return time.perf_counter() - started_at
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def applier_restart(settings: Settings) -> float:
    """Seconds from `run` to ready: assigned, open holds loaded from `holds.current`."""
    started = asyncio.Event()
    started_at = time.perf_counter()
    task = asyncio.create_task(review_applier.run(settings, started=started))
    try:
        await asyncio.wait_for(started.wait(), timeout=300)
        return time.perf_counter() - started_at
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def queue_load(settings: Settings) -> tuple[float, int]:
    started_at = time.perf_counter()
    queue = await read_snapshot(settings, timeout_s=600)
    return time.perf_counter() - started_at, len(queue.open_holds(datetime.now(UTC)))


async def queue_from_history(settings: Settings) -> tuple[float, int]:
    """The way the console loaded before `holds.current`: every decision since the beginning."""
    queue = HoldQueue()
    done = asyncio.Event()

    async def feed(_: str, __: bytes, value: bytes | None) -> None:
        queue.add_decision(DecisionRecord.model_validate_json(value or b""))

    async def caught_up() -> None:
        done.set()

    started_at = time.perf_counter()
    reader = asyncio.create_task(
        read_topics(settings, (settings.topics.decisions,), feed, on_caught_up=caught_up)
    )
    try:
        await asyncio.wait_for(done.wait(), timeout=600)
        return time.perf_counter() - started_at, len(queue.open_holds(datetime.now(UTC)))
    finally:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)


async def measure(base: Settings, size: int, open_holds: int, closed_holds: int, runs: int) -> dict[str, Any]:
    unique = uuid.uuid4().hex[:8]
    settings = replace(
        base,
        topic_prefix=f"bench.reviews.{unique}.",
        app_id=f"bench-reviews-{unique}",
        console_users=f"alice:reviewer:{hash_password('bench')}",
        review_signing_key=SecretStr(KEY),
    )
    await ensure_topics(settings)
    started_at = time.perf_counter()
    await asyncio.to_thread(publish_history, settings, size, open_holds, closed_holds)
    published_s = time.perf_counter() - started_at
    _progress(f"{size} decisions published in {published_s:.1f} s")
    catch_up_s = await first_catch_up(settings)
    _progress(f"first applier caught up in {catch_up_s:.1f} s")
    restarts, loads, history_loads = [], [], []
    open_seen: set[int] = set()
    for _ in range(runs):
        restarts.append(await applier_restart(settings))
        seconds, count = await queue_load(settings)
        loads.append(seconds)
        open_seen.add(count)
        seconds, count = await queue_from_history(settings)
        history_loads.append(seconds)
        open_seen.add(count)
        _progress(f"restart {restarts[-1]:.2f} s, queue {loads[-1]:.2f} s, from history {seconds:.2f} s")
    return {
        "historical_decisions": size,
        "open_holds": sorted(open_seen),
        "publish_s": round(published_s, 2),
        "first_catch_up_s": round(catch_up_s, 2),
        "applier_restart_s": [round(s, 3) for s in restarts],
        "applier_restart_median_s": round(median(restarts), 3),
        "queue_load_s": [round(s, 3) for s in loads],
        "queue_load_median_s": round(median(loads), 3),
        "queue_from_history_s": [round(s, 3) for s in history_loads],
        "queue_from_history_median_s": round(median(history_loads), 3),
    }


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 200_000])
    parser.add_argument("--open", type=int, default=100, help="open holds in the history")
    parser.add_argument("--closed", type=int, default=2_000, help="holds opened then released")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    base = load_settings()
    results = [asyncio.run(measure(base, size, args.open, args.closed, args.runs)) for size in args.sizes]
    print(json.dumps({"machine": machine_info(), "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
