"""Serves a metrics registry on the worker's faust web server.

Wire it once where the faust app is built:

    observer = MetricsObserver(registry)
    serve_metrics(app, registry)          # GET /metrics on the worker's web port
"""

from __future__ import annotations

from typing import Any

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
