"""Serves a metrics registry on the worker's faust web server or on a plain aiohttp app.

Worker, where the faust app is built:

    observer = MetricsObserver(registry)
    serve_metrics(app, registry)          # GET /metrics on the worker's web port

Console (owner of the hold queue): `register_hold_queue_metrics(registry, queue)` and
`app.router.add_get("/metrics", metrics_handler(registry))`, reachable without a session.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder


def render_metrics(registry: CollectorRegistry, accept: str) -> tuple[bytes, str]:
    """The registry in the exposition format the scraper asked for, with its content type."""
    encoder, content_type = choose_encoder(accept)
    return encoder(registry), content_type


def serve_metrics(app: Any, registry: CollectorRegistry, path: str = "/metrics") -> None:
    """Add a `GET path` page to the faust `app` that renders `registry`."""

    async def metrics(web: Any, request: Any) -> Any:
        body, content_type = render_metrics(registry, request.headers.get("Accept", ""))
        return web.bytes(body, headers={"Content-Type": content_type})

    app.page(path)(metrics)


def metrics_handler(registry: CollectorRegistry) -> Callable[[web.Request], Awaitable[web.Response]]:
    """An aiohttp GET handler that renders `registry`."""

    async def handle(request: web.Request) -> web.Response:
        body, content_type = render_metrics(registry, request.headers.get("Accept", ""))
        return web.Response(body=body, headers={"Content-Type": content_type})

    return handle
