"""What a user gets by writing the screening step in Quix Streams: the bar the worker is measured against.

Two apps on the same topics, order mix and `SCREENING_*` settings as the faust layers:
- `python -m bench.quix`: a pass-through that forwards each order's bytes to `screening.decisions`;
- `python -m bench.quix --screen`: parse (`parse_order`), `build_screener(settings).screen`, then the
  decision on `screening.decisions` and on its route topic, both keyed by order id; an order that
  does not parse goes to `orders.invalid` as it came, so nothing is dropped. No order state,
  revisions, licence drawdown, re-screening or metrics: the screening step alone.
`--exactly-once` switches Quix's processing guarantee (transactions). Quix Streams (librdkafka) is in
the `bench` extra only; the apps serve `/ready` on the settings' web port so the bench harness starts
and measures them like a worker.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pipeline.flow.outputs import route_topic
from pipeline.intake.parse import Rejection, parse_order
from pipeline.screening import build_screener
from pipeline.settings import Settings, load_settings
from schemas.decision import Route


class _Ready(BaseHTTPRequestHandler):
    """`/ready` answers 200 once the app is built: the bench's warm-up burst then waits for the group's
    first answers, and the app reads from the earliest offset, so nothing produced before is missed."""

    def do_GET(self) -> None:
        found = self.path == "/ready"
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ready": true}' if found else b"{}")

    def log_message(self, *_: Any) -> None:
        return


def serve_ready(settings: Settings) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((settings.web_host, settings.web_port), _Ready)
    threading.Thread(target=server.serve_forever, name="ready", daemon=True).start()
    return server


class Screened:
    """One order's output: the decision's bytes and the topic besides `screening.decisions`."""

    __slots__ = ("payload", "topic")

    def __init__(self, topic: str, payload: bytes) -> None:
        self.topic = topic
        self.payload = payload


def build_app(settings: Settings, *, screen: bool, exactly_once: bool = False) -> Any:
    """The Quix Streams application with its dataframe, ready to `run()`."""
    from quixstreams import Application
    from quixstreams.models.serializers import Serializer

    class _Payload(Serializer):
        def __call__(self, value: Screened, ctx: Any) -> bytes:  # noqa: ARG002 - Quix passes ctx by name
            return value.payload

    app = Application(
        broker_address=settings.bootstrap_servers,
        consumer_group=settings.app_id,
        auto_offset_reset="earliest",
        processing_guarantee="exactly-once" if exactly_once else "at-least-once",
        auto_create_topics=False,
        use_changelog_topics=False,
        state_dir=str(settings.data_dir / "quix-state"),
        loglevel="WARNING",
    )
    topics = settings.topics
    orders = app.topic(topics.orders, key_deserializer="bytes", value_deserializer="bytes")
    if not screen:
        decisions = app.topic(topics.decisions, key_serializer="bytes", value_serializer="bytes")
        app.dataframe(orders).to_topic(decisions)
        return app

    out = {
        name: app.topic(name, key_serializer="bytes", value_serializer=_Payload())
        for name in (topics.decisions, topics.orders_invalid, *(route_topic(settings, r) for r in Route))
    }
    screener = build_screener(settings)

    def screen_order(raw: bytes) -> Screened:
        order = parse_order(raw)
        if isinstance(order, Rejection):
            return Screened(topics.orders_invalid, raw)
        record = screener.screen(order)
        return Screened(route_topic(settings, record.route), record.model_dump_json().encode())

    def decisions_of(value: Screened, *_: Any) -> Any:
        return out[topics.decisions if value.topic != topics.orders_invalid else topics.orders_invalid]

    def route_of(value: Screened, *_: Any) -> Any:
        return out[value.topic]

    # One chain: every order gets its decision (or dead letter), then valid ones their route record.
    frame = app.dataframe(orders).apply(screen_order)
    frame = frame.to_topic(decisions_of)
    frame = frame.filter(lambda value: value.topic != topics.orders_invalid)
    frame.to_topic(route_of)
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quix", description=__doc__)
    parser.add_argument("--screen", action="store_true", help="screen each order (default: pass through)")
    parser.add_argument("--exactly-once", action="store_true", help="Quix's exactly-once guarantee")
    args = parser.parse_args(argv)
    settings = load_settings()
    logging.basicConfig(level=settings.log_level)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = build_app(settings, screen=args.screen, exactly_once=args.exactly_once)
    server = serve_ready(settings)
    try:
        app.run()
    finally:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
