"""The faust application: settings -> app, the `orders` agent and the `/ready` and `/health` pages.

Orders are consumed as raw bytes (faust never decodes them: a codec error would kill the agent);
`RecordProcessor` does intake, screening and output building, and the agent only moves bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import faust

from pipeline.kafka.topics import INVALID_MAX_MESSAGE_BYTES
from pipeline.rescreen.agent import APPLIED_HEADER, CurrentDecisions
from pipeline.rescreen.stateful import register_stateful
from pipeline.screening import Screener
from pipeline.settings import Settings
from pipeline.worker.observer import NullObserver, PipelineObserver
from pipeline.worker.outputs import SourceRecord
from pipeline.worker.partitioner import RememberingPartitioner
from pipeline.worker.processing import RecordProcessor
from pipeline.worker.publisher import Publisher
from pipeline.worker.reference_metrics import ReferenceReporter
from pipeline.worker.stall_guard import StallGuard

APPLIED = {APPLIED_HEADER: b"1"}


class _Readiness:
    """Ready once the consumer group has assigned partitions and no rebalance is under way."""

    def __init__(self, app: faust.App, reference_ready: Callable[[], bool]) -> None:
        self._app = app
        self._reference_ready = reference_ready
        self.assigned = False

    def ready(self) -> bool:
        # Without a rule pack and a party list the worker holds everything: not ready for traffic.
        return self.assigned and not self._app.rebalancing and self._reference_ready()


def faust_app(settings: Settings) -> faust.App:
    """The faust app with the worker's settings and no agents; the bench's pass-through uses it too."""
    return faust.App(
        settings.app_id,
        broker=[f"kafka://{server.strip()}" for server in settings.bootstrap_servers.split(",")],
        store=settings.store,
        datadir=str(settings.data_dir / settings.app_id),
        autodiscover=False,
        web_host=settings.web_host,
        web_bind=settings.web_host,
        web_port=settings.web_port,
        topic_partitions=settings.order_partitions,
        topic_replication_factor=settings.replication_factor,
        key_serializer="raw",
        value_serializer="raw",
        producer_max_request_size=INVALID_MAX_MESSAGE_BYTES + 64 * 1024,
        consumer_auto_offset_reset="earliest",
        producer_partitioner=RememberingPartitioner(),
    )


def create_app(
    settings: Settings,
    *,
    screener: Screener | None = None,
    observer: PipelineObserver | None = None,
) -> faust.App:
    app = faust_app(settings)
    reporting: PipelineObserver = observer or NullObserver()
    stateful = register_stateful(app, settings, reporting)
    processor = RecordProcessor(settings, screener or stateful.screener, reporting, stateful.finish)
    reporter = ReferenceReporter(settings, reporting)
    readiness = _Readiness(app, stateful.ready)

    def received() -> None:
        # Before screening, so findings of a newly loaded pack are labelled by its rule ids.
        reporting.order_received()
        reporter.sync(stateful.store.current)

    async def report_state() -> None:
        reporter.sync(stateful.store.current)
        reporting.ready(readiness.ready())

    app.timer(interval=1.0)(report_state)

    guard = StallGuard(settings.topics.orders)
    _register_agent(
        app,
        settings,
        processor,
        received,
        guard=guard,
        current=stateful.current,
        publisher=stateful.publisher,
    )
    _register_pages(app, readiness, reporting)
    return app


def _register_agent(
    app: faust.App,
    settings: Settings,
    processor: RecordProcessor,
    received: Callable[[], None],
    *,
    guard: StallGuard,
    current: CurrentDecisions,
    publisher: Publisher,
) -> None:
    names = settings.topics
    orders = app.topic(
        names.orders,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.order_partitions,
    )

    async def screen_orders(stream: Any) -> None:
        async for event in stream.events():
            message = event.message
            # Records faust skipped (pipeline/worker/stall_guard.py) are screened before this one.
            for record in await guard.skipped_records(app, settings.bootstrap_servers, message):
                await handle(
                    SourceRecord(message.topic, message.partition, record.offset, record.key, record.value)
                )
            await handle(
                SourceRecord(message.topic, message.partition, message.offset, event.key, event.value)
            )

    async def handle(source: SourceRecord) -> None:
        received()
        for outbound in processor.process(source):
            headers = None
            decision = outbound.decision
            # Kept here rather than by consuming the decision again (a second parse per order).
            if decision is not None and current.accept_own(decision, outbound.value, source):
                headers = APPLIED
            # Queued on faust's producer, which faust flushes before it commits the source offset.
            await publisher.send(outbound, headers)
        # The order's table changes (its state, its current decision) go out before the next record.
        await publisher.flush_queued()
        guard.handled(source.partition, source.offset)

    app.agent(orders, name=f"{settings.app_id}.screen-orders")(screen_orders)
    guard.watch(app)


def _register_pages(app: faust.App, readiness: _Readiness, observer: PipelineObserver) -> None:
    @app.on_partitions_assigned.connect
    async def _assigned(*_: Any, **__: Any) -> None:
        readiness.assigned = True

    @app.page("/health")
    async def health(web: Any, _request: Any) -> Any:
        return web.json({"status": "ok"})

    @app.page("/ready")
    async def ready(web: Any, _request: Any) -> Any:
        is_ready = readiness.ready()
        observer.ready(is_ready)
        if is_ready:
            return web.json({"ready": True})
        return web.json({"ready": False, "rebalancing": bool(app.rebalancing)}, status=503)
