"""The /metrics page on the worker's faust web server serves the injected registry."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import faust
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from pipeline.holds.queue import HoldQueue
from pipeline.metrics import MetricsObserver, serve_metrics
from pipeline.metrics.catalogue import exported_series_names
from pipeline.metrics.holds import register_hold_queue_metrics
from pipeline.metrics.web import metrics_handler

PLAIN = "text/plain"
OPENMETRICS = "application/openmetrics-text; version=1.0.0"


async def _scrape(app: faust.App, accepts: list[str]) -> list[tuple[int, str, str]]:
    # faust's aiohttp driver builds its web application on first use, inside this event loop.
    web_app = cast("Any", app.web).web_app
    async with TestClient(TestServer(web_app)) as client:
        scrapes = []
        for accept in accepts:
            response = await client.get("/metrics", headers={"Accept": accept})
            scrapes.append((response.status, response.headers["Content-Type"], await response.text()))
        return scrapes


def test_metrics_page_serves_the_registry_in_the_format_asked_for() -> None:
    registry = CollectorRegistry()
    observer = MetricsObserver(registry)
    observer.order_received()
    observer.ready(True)
    app = faust.App("metrics-web-test", broker="kafka://127.0.0.1:1", web_enabled=True)
    serve_metrics(app, registry)

    (status, content_type, body), (om_status, om_content_type, om_body) = asyncio.run(
        _scrape(app, [PLAIN, OPENMETRICS])
    )
    assert status == 200
    assert content_type.startswith("text/plain; version=0.0.4")
    assert "screening_orders_received_total 1.0" in body.splitlines()
    assert "screening_ready 1.0" in body.splitlines()

    assert om_status == 200
    assert om_content_type.startswith("application/openmetrics-text")
    assert om_body.rstrip().endswith("# EOF")


def test_exported_names_include_every_suffix_before_any_sample() -> None:
    registry = CollectorRegistry()
    MetricsObserver(registry)
    register_hold_queue_metrics(registry, HoldQueue())
    names = exported_series_names(registry)
    assert {
        "screening_decisions_total",
        "screening_findings_total",
        "screening_dead_letters_total",
        "screening_decision_latency_seconds_bucket",
        "screening_decision_latency_seconds_count",
        "screening_decision_latency_seconds_sum",
        "screening_reference_data_info",
        "screening_holds_open",
        "screening_hold_oldest_age_seconds",
        "screening_licence_utilisation_ratio",
    } <= names
    assert "screening_decisions" not in names


async def _scrape_aiohttp(registry: CollectorRegistry) -> tuple[int, str]:
    app = web.Application()
    app.router.add_get("/metrics", metrics_handler(registry))
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/metrics")
        return response.status, await response.text()


def test_metrics_handler_serves_hold_queue_gauges_on_a_plain_aiohttp_app() -> None:
    registry = CollectorRegistry()
    register_hold_queue_metrics(registry, HoldQueue(), hold_sla_seconds=3600)
    status, body = asyncio.run(_scrape_aiohttp(registry))
    assert status == 200
    lines = body.splitlines()
    assert "screening_hold_sla_seconds 3600.0" in lines
    assert 'screening_holds_open{reason="prohibited"} 0.0' in lines
