"""The worker's faust agents around one `OrderFlow`: orders, licence draws, follow-up decisions and
re-screening, each a guarded read loop (`guarded_agent`), plus the reference watcher and the
worker's `/reference` and `/decisions/{order_id}` pages.

Every topic is consumed as raw bytes (faust never decodes them: a codec error would kill the
agent); the flow does intake, screening and the state, the agents only move bytes. An agent takes
its records in batches (up to `settings.agent_batch_records`, waiting at most
`settings.agent_batch_within_seconds` for more), handles each in order, then publishes what the
batch produced and the table changes it queued in one go (one producer batch per topic and
partition); faust acks the batch's records only after that.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import faust
from faust.streams import _current_event

from pipeline.flow.outputs import Outbound, SourceRecord
from pipeline.flow.rescreen import (
    RESCREEN_ATTEMPTS,
    RESCREEN_RETRY_S,
    parse_rescreen_request,
    rescreen_request,
)
from pipeline.flow.wiring import OrderFlow
from pipeline.kafka.topics import table_name
from pipeline.reference.agent import ReferenceWatcher
from pipeline.reference.store import ReferenceStore
from pipeline.screening import Screener
from pipeline.settings import Settings
from pipeline.worker.changelog import ChangelogTable, changelog_table
from pipeline.worker.clearance_sweep import ClearanceSweep, watch_clearances
from pipeline.worker.observer import PipelineObserver
from pipeline.worker.publisher import Publisher
from pipeline.worker.stall_guard import StallGuard, read_skipped
from schemas.reference import ReferenceKind, ReferenceRefusal

log = logging.getLogger(__name__)

Handler = Callable[[SourceRecord], Awaitable[list[Outbound]]]


@dataclass(frozen=True, slots=True)
class Worker:
    flow: OrderFlow
    publisher: Publisher
    # Reference data loaded: the worker can screen.
    ready: Callable[[], bool]


def raw_topic(app: faust.App, name: str, partitions: int | None = None) -> Any:
    return app.topic(
        name,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=partitions,
    )


def guarded_agent(
    app: faust.App, settings: Settings, topic: Any, name: str, handle: Handler, *, publisher: Publisher
) -> None:
    """An agent handing each record of `topic` to `handle`, records faust skipped first, and
    publishing what a batch of records produced before faust acks them.

    faust-streaming can skip records after a rebalance (pipeline/worker/stall_guard.py); the guard
    re-reads them, so every agent of the worker sees each record at least once, in order.
    """
    guard = StallGuard(topic.get_topic_name(), partial(read_skipped, settings))

    async def handle_in_hand(event: Any, source: SourceRecord) -> list[Outbound]:
        # faust's tables and RocksDB stores take the partition of a change from the current event,
        # which a batch of events leaves unset in the agent's task: set it per record, as a stream
        # does (not on the stream itself, whose batching reads it for the next event).
        _current_event.set(weakref.ref(event))
        return await handle(source)

    async def run(stream: Any) -> None:
        batches = stream.take_events(settings.agent_batch_records, within=settings.agent_batch_within_seconds)
        async for events in batches:
            out: list[Outbound] = []
            for event in events:
                message = event.message
                for record in await guard.skipped_records(app, message):
                    skipped = SourceRecord(
                        message.topic, message.partition, record.offset, record.key, record.value
                    )
                    out.extend(await handle_in_hand(event, skipped))
                    guard.handled(message.partition, record.offset)
                source = SourceRecord(
                    message.topic, message.partition, message.offset, event.key, event.value
                )
                out.extend(await handle_in_hand(event, source))
                guard.handled(message.partition, message.offset)
            await publisher.send_all(out)
            guard.report_handled(app)

    app.agent(topic, name=f"{settings.app_id}.{name}")(run)
    guard.watch(app)


def _order_table(app: faust.App, settings: Settings, name: str, publisher: Publisher) -> ChangelogTable:
    return changelog_table(app, table_name(settings, name), publisher, partitions=settings.order_partitions)


def register_worker(
    app: faust.App,
    settings: Settings,
    store: ReferenceStore,
    observer: PipelineObserver,
    *,
    received: Callable[[], None],
    screener: Screener | None = None,
) -> Worker:
    """Add the tables, the four agents, the reference watcher and the state pages to `app`."""
    names = settings.topics
    publisher = Publisher(app, observer)
    states = _order_table(app, settings, "order-state", publisher)
    ledger = _order_table(app, settings, "licence-ledger", publisher)
    flow = OrderFlow(settings, store, states, ledger, observer=observer, screener=screener)
    partitions = settings.order_partitions
    rescreen_topic = raw_topic(app, names.rescreen, partitions)

    async def screen_order(source: SourceRecord) -> list[Outbound]:
        received()
        return flow.on_order(source)

    async def apply_draw(source: SourceRecord) -> list[Outbound]:
        return flow.on_draw(source.value or b"")

    async def track_decision(source: SourceRecord) -> list[Outbound]:
        flow.on_decision(source.value or b"")
        return []

    async def rescreen_order(source: SourceRecord) -> list[Outbound]:
        key = source.key or b""
        kind, attempt = parse_rescreen_request(source.value)
        if attempt < RESCREEN_ATTEMPTS and flow.rescreener.awaiting_decision(key.decode()):
            await asyncio.sleep(RESCREEN_RETRY_S)
            return [Outbound(names.rescreen, key, rescreen_request(kind, attempt + 1))]
        if attempt >= RESCREEN_ATTEMPTS:
            log.warning("re-screening %s although its decision never arrived", key.decode())
        return flow.on_rescreen(key.decode(), kind)

    orders = raw_topic(app, names.orders, partitions)
    guarded_agent(app, settings, orders, "screen-orders", screen_order, publisher=publisher)
    draws = raw_topic(app, names.licence_draws, partitions)
    guarded_agent(app, settings, draws, "licence-draws", apply_draw, publisher=publisher)
    followups = raw_topic(app, names.decision_followups, partitions)
    guarded_agent(app, settings, followups, "current", track_decision, publisher=publisher)
    guarded_agent(app, settings, rescreen_topic, "rescreen", rescreen_order, publisher=publisher)
    # Every agent flushes the table changes it queued; this catches any a future writer forgets.
    app.timer(interval=1.0)(publisher.flush_queued)

    @app.on_partitions_assigned.connect
    async def _reindex(*_: Any, **__: Any) -> None:
        flow.tracker.expiry.stale = True  # recovery may fill the state table: index it again

    errors_topic = raw_topic(app, names.reference_errors)

    async def publish_refusal(refusal: ReferenceRefusal) -> None:
        await errors_topic.send(key=refusal.kind.encode(), value=refusal.model_dump_json().encode())

    async def trigger_rescreen(kind: ReferenceKind) -> None:
        for key in flow.rescreener.open_order_keys():
            await rescreen_topic.send(key=key, value=rescreen_request(kind.value))

    async def send_rescreen(key: bytes, value: bytes) -> None:
        await rescreen_topic.send(key=key, value=value)

    sweep = ClearanceSweep(flow.rescreener, store, send_rescreen)
    watcher = ReferenceWatcher(settings, store, publish_refusal, trigger_rescreen, sweep.clearances_changed)
    watch_clearances(app, sweep, watcher.loaded.is_set)
    app.task(watcher.run)

    @app.page("/reference")
    async def reference_status(web: Any, _request: Any) -> Any:
        snapshot = store.current
        return web.json(
            {
                "ready": snapshot.ready and watcher.loaded.is_set(),
                "missing": sorted(snapshot.missing),
                "versions": dict(snapshot.versions),
                "clearance_sweeps": sweep.sweeps,
            }
        )

    @app.page("/decisions/{order_id}")
    @app.table_route(table=states, match_info="order_id")
    async def decision_lookup(web: Any, _request: Any, order_id: str) -> Any:
        found = flow.current.lookup(order_id)
        if found is None:
            return web.json({"order_id": order_id, "found": False}, status=404)
        return web.json({"order_id": order_id, "found": True, **found.to_json()})

    return Worker(flow, publisher, lambda: store.current.ready and watcher.loaded.is_set())
