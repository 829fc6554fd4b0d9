"""The faust application: settings -> app with the worker's agents (pipeline/worker/agents.py) and
the `/ready` and `/health` pages."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import faust

from pipeline.flow.partitioner import RememberingPartitioner
from pipeline.flow.tracking import OrderTracker
from pipeline.kafka.faust_transport import ScreeningApp
from pipeline.kafka.lag import GroupReader
from pipeline.kafka.topics import INVALID_MAX_MESSAGE_BYTES
from pipeline.reference.store import ReferenceStore
from pipeline.screening import Screener
from pipeline.security import delivery, faust_config
from pipeline.settings import Settings
from pipeline.worker.agents import register_worker
from pipeline.worker.observer import NullObserver, PipelineObserver
from pipeline.worker.reference_metrics import ReferenceReporter

# The largest record batch the producer builds per topic and partition. An agent publishes a batch
# of orders' records at once (pipeline/worker/publisher.py); at faust's default of 16 KiB one
# partition's share (state records carry the order and its decision) spans several batches, and
# each waits for the one before it to leave. Measured: about +15 % orders per CPU-second.
PRODUCER_BATCH_BYTES = 256 * 1024


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
    app = ScreeningApp(
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
        producer_max_batch_size=PRODUCER_BATCH_BYTES,
        consumer_auto_offset_reset="earliest",
        producer_partitioner=RememberingPartitioner(),
        # No task runs `on_leader`: without the assignor's leader topic the worker needs no topic
        # beyond those `screening topics create` makes, so a principal without Create can run it.
        topic_disable_leader=True,
        # TLS and SASL credentials and the producer's acks, from the one settings module.
        **faust_config(settings),
    )
    app.producer_idempotence = delivery(settings).idempotence
    return app


def create_app(
    settings: Settings,
    *,
    screener: Screener | None = None,
    observer: PipelineObserver | None = None,
) -> faust.App:
    app = faust_app(settings)
    reporting: PipelineObserver = observer or NullObserver()
    store = ReferenceStore(settings)
    reporter = ReferenceReporter(settings, reporting)

    def received() -> None:
        # Before screening, so findings of a newly loaded pack are labelled by its rule ids.
        reporting.order_received()
        reporter.sync(store.current)

    worker = register_worker(app, settings, store, reporting, received=received, screener=screener)
    readiness = _Readiness(app, worker.ready)

    async def report_state() -> None:
        reporter.sync(store.current)
        reporting.ready(readiness.ready())

    app.timer(interval=1.0)(report_state)
    _report_flow(app, settings, worker.flow.tracker, reporting)
    _register_pages(app, readiness, reporting)
    return app


def _report_flow(
    app: faust.App, settings: Settings, tracker: OrderTracker, observer: PipelineObserver
) -> None:
    """Consumer lag of the worker's group and the orders whose decision is still owed, for /metrics."""
    group = GroupReader(settings)

    async def report_lag() -> None:
        # kafka-python's admin client blocks: it runs beside the event loop, not on it.
        observer.consumer_lag(await asyncio.to_thread(group.lag))

    async def report_undecided() -> None:
        if app.rebalancing or app.in_recovery:
            return  # the state table is being filled: count when it is whole
        undecided = tracker.undecided_orders()
        observer.orders_undecided(undecided.count, undecided.oldest_age_seconds)

    @app.on_partitions_assigned.connect
    async def _reindex(*_: Any, **__: Any) -> None:
        tracker.undecided.stale = True

    app.timer(interval=settings.consumer_lag_interval_seconds)(report_lag)
    app.timer(interval=1.0)(report_undecided)


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
