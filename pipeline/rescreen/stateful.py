"""Wires the stateful parts into the faust app: reference data, licence draws, order state,
current decisions and re-screening. The app factory calls `register_stateful` once and hands the
returned screener and finisher to the orders agent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import faust

from pipeline.kafka.topics import table_name
from pipeline.licences import agent as licence_agent
from pipeline.reference.agent import ReferenceWatcher
from pipeline.reference.store import LiveScreener, ReferenceStore
from pipeline.rescreen.agent import APPLIED_HEADER, CurrentDecisions, Rescreener
from pipeline.rescreen.tracking import OrderTracker
from pipeline.settings import Settings
from pipeline.worker.changelog import changelog_table
from pipeline.worker.observer import NullObserver, PipelineObserver
from pipeline.worker.outputs import Outbound
from pipeline.worker.publisher import Publisher
from pipeline.worker.stall_guard import StallGuard
from schemas.decision import DecisionRecord
from schemas.order import OrderEvent
from schemas.reference import ReferenceKind, ReferenceRefusal

log = logging.getLogger(__name__)

# A re-screen of an order whose decision is still being made waits for it: up to 100 x 0.1 s.
RESCREEN_ATTEMPTS = 100
RESCREEN_RETRY_S = 0.1


def rescreen_request(kind: str, attempt: int = 0) -> bytes:
    """The value of an `orders.rescreen` record: what changed, and how often it was put back."""
    return f"{kind}#{attempt}".encode()


def parse_rescreen_request(value: bytes | None) -> tuple[str, int]:
    kind, _, attempt = (value or b"").decode(errors="replace").partition("#")
    return kind, int(attempt) if attempt.isdigit() else 0


Finisher = Callable[[OrderEvent, DecisionRecord, list[Outbound]], list[Outbound]]


@dataclass(frozen=True, slots=True)
class StatefulHooks:
    screener: LiveScreener
    finish: Finisher
    ready: Callable[[], bool]
    store: ReferenceStore
    current: CurrentDecisions
    publisher: Publisher


def _raw_topic(app: faust.App, name: str, partitions: int | None = None) -> Any:
    return app.topic(
        name,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=partitions,
    )


def _order_table(app: faust.App, settings: Settings, name: str, publisher: Publisher) -> Any:
    return changelog_table(app, table_name(settings, name), publisher, partitions=settings.order_partitions)


def _register_followers(
    app: faust.App,
    settings: Settings,
    *,
    rescreener: Rescreener,
    current: CurrentDecisions,
    publisher: Publisher,
    rescreen_topic: Any,
) -> None:
    """The re-screening agent and the agent keeping current the decisions others publish."""
    names = settings.topics
    # Both agents are exposed to records faust skips after a rebalance, as the orders agent is.
    rescreen_guard = StallGuard(names.rescreen)
    tracking_guard = StallGuard(names.decisions)

    async def rescreen_orders(stream: Any) -> None:
        async for event in stream.events():
            message = event.message
            for record in await rescreen_guard.skipped_records(app, settings.bootstrap_servers, message):
                await rescreen_one(message.partition, record.offset, record.key, record.value)
            await rescreen_one(message.partition, message.offset, event.key, event.value)

    async def rescreen_one(partition: int, offset: int, key: bytes, value: bytes | None) -> None:
        order_id = key.decode()
        kind, attempt = parse_rescreen_request(value)
        if attempt < RESCREEN_ATTEMPTS and rescreener.awaiting_decision(order_id):
            await asyncio.sleep(RESCREEN_RETRY_S)
            await rescreen_topic.send(key=key, value=rescreen_request(kind, attempt + 1))
        else:
            if attempt >= RESCREEN_ATTEMPTS:
                log.warning("re-screening %s although its decision never arrived", order_id)
            await publisher.send_all(rescreener.handle(order_id))
        rescreen_guard.handled(partition, offset)

    async def track_decisions(stream: Any) -> None:
        async for event in stream.events():
            message = event.message
            for record in await tracking_guard.skipped_records(app, settings.bootstrap_servers, message):
                await track(message.partition, record.offset, dict(record.headers or ()), record.value)
            await track(message.partition, message.offset, event.headers, event.value)

    async def track(partition: int, offset: int, headers: Mapping[str, Any], value: bytes | None) -> None:
        if APPLIED_HEADER not in headers:
            current.handle(value or b"")
            await publisher.flush_queued()
        tracking_guard.handled(partition, offset)

    app.agent(rescreen_topic, name=f"{settings.app_id}.rescreen")(rescreen_orders)
    app.agent(_raw_topic(app, names.decisions, settings.order_partitions), name=f"{settings.app_id}.current")(
        track_decisions
    )
    rescreen_guard.watch(app)
    tracking_guard.watch(app)
    # Every agent flushes the table changes it queued; this catches any a future writer forgets.
    app.timer(interval=1.0)(publisher.flush_queued)


def register_stateful(
    app: faust.App, settings: Settings, observer: PipelineObserver | None = None
) -> StatefulHooks:
    names = settings.topics
    store = ReferenceStore(settings)
    screener = LiveScreener(store)
    reporting: PipelineObserver = observer or NullObserver()
    publisher = Publisher(app, reporting)
    address = licence_agent.register(app, settings, store, publisher, reporting)
    states = _order_table(app, settings, "order-state", publisher)
    current_table = _order_table(app, settings, "current-decisions", publisher)
    tracker = OrderTracker(settings, store, states, current_table, address)
    rescreener = Rescreener(settings, tracker, screener, states, reporting)
    current = CurrentDecisions(current_table, settings.order_partitions)
    rescreen_topic = _raw_topic(app, names.rescreen, settings.order_partitions)
    errors_topic = _raw_topic(app, names.reference_errors)

    _register_followers(
        app,
        settings,
        rescreener=rescreener,
        current=current,
        publisher=publisher,
        rescreen_topic=rescreen_topic,
    )

    async def publish_refusal(refusal: ReferenceRefusal) -> None:
        await errors_topic.send(key=refusal.kind.encode(), value=refusal.model_dump_json().encode())

    async def trigger_rescreen(kind: ReferenceKind) -> None:
        for key in rescreener.open_order_keys():
            await rescreen_topic.send(key=key, value=rescreen_request(kind.value))

    watcher = ReferenceWatcher(settings, store, publish_refusal, trigger_rescreen)
    app.task(watcher.run)

    @app.page("/reference")
    async def reference_status(web: Any, _request: Any) -> Any:
        snapshot = store.current
        return web.json(
            {
                "ready": snapshot.ready and watcher.loaded.is_set(),
                "missing": sorted(snapshot.missing),
                "versions": dict(snapshot.versions),
            }
        )

    @app.page("/decisions/{order_id}")
    @app.table_route(table=current_table, match_info="order_id")
    async def decision_lookup(web: Any, _request: Any, order_id: str) -> Any:
        found = current.lookup(order_id)
        if found is None:
            return web.json({"order_id": order_id, "found": False}, status=404)
        return web.json({"order_id": order_id, "found": True, **found.to_json()})

    return StatefulHooks(
        screener=screener,
        finish=tracker.finish,
        ready=lambda: store.current.ready and watcher.loaded.is_set(),
        store=store,
        current=current,
        publisher=publisher,
    )
