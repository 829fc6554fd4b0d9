"""The framework's ceiling: a faust agent that forwards each order's bytes unchanged.

It is built with the same faust settings as the screening app (pipeline/app.py) and reads `orders`
and writes `screening.decisions` under the run's topic prefix, so the load generator and the
read-back are identical for both and the gap between them is the cost of screening alone.
With `--direct` it takes and publishes records as the pipeline does (in batches, through
pipeline/worker/publisher.py), the ceiling for a worker that skips faust's `Topic.send`.
Run it as `python -m bench.passthrough` with the usual `SCREENING_*` environment.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import faust

from pipeline.app import faust_app
from pipeline.flow.outputs import Outbound
from pipeline.settings import Settings, load_settings
from pipeline.worker.publisher import Publisher
from pipeline.worker.run import quiet_worker


def create_passthrough_app(settings: Settings, *, direct: bool = False) -> faust.App:
    """`direct`: publish through the pipeline's `Publisher` (faust's producer without `Topic.send`)."""
    app = faust_app(settings)
    orders = app.topic(
        settings.topics.orders,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.order_partitions,
    )
    decisions = settings.topics.decisions
    out = app.topic(decisions, key_serializer="raw", value_serializer="raw", partitions=None)

    publisher = Publisher(app)

    async def forward(stream: Any) -> None:
        async for event in stream.events():
            await out.send(key=event.key, value=event.value)

    async def forward_direct(stream: Any) -> None:
        batches = stream.take_events(settings.agent_batch_records, within=settings.agent_batch_within_seconds)
        async for events in batches:
            await publisher.send_all([Outbound(decisions, event.key, event.value) for event in events])

    app.agent(orders, name=f"{settings.app_id}.forward")(forward_direct if direct else forward)
    assigned = {"done": False}

    @app.on_partitions_assigned.connect
    async def _assigned(*_: Any, **__: Any) -> None:
        assigned["done"] = True

    @app.page("/ready")
    async def ready(web: Any, _request: Any) -> Any:
        status = 200 if assigned["done"] and not app.rebalancing else 503
        return web.json({"ready": status == 200}, status=status)

    return app


def main() -> int:
    settings = load_settings()
    logging.basicConfig(level=settings.log_level)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # The same worker set-up as `screening worker` (no spinner), so the comparison stays fair.
    direct = "--direct" in sys.argv[1:]
    worker = quiet_worker(create_passthrough_app(settings, direct=direct), settings)
    try:
        worker.execute_from_commandline()
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
