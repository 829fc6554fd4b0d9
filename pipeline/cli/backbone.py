"""`screening worker | topics | produce | run`: the commands of the Kafka backbone."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from pipeline.settings import Settings, load_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = subparsers.add_parser("worker", help="run a screening worker (faust) until interrupted")
    worker.add_argument("--web-port", type=int, help="port of /ready, /health (default from settings)")
    worker.add_argument("--app-id", help="faust app id and consumer group (default from settings)")
    worker.set_defaults(handler=_worker)

    topics = subparsers.add_parser("topics", help="create or list the pipeline's topics")
    actions = topics.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser(
        "create",
        help="create missing topics (idempotent) with SCREENING_REPLICATION_FACTOR and "
        "SCREENING_MIN_INSYNC_REPLICAS",
    )
    create.add_argument(
        "--allow-single-replica",
        action="store_true",
        help="create order-flow topics with replication 1 even on a cluster of three brokers or more",
    )
    create.set_defaults(handler=_topics_create)
    actions.add_parser("list", help="list topics and partition counts").set_defaults(handler=_topics_list)

    produce = subparsers.add_parser("produce", help="send a JSONL file of orders to the orders topic")
    produce.add_argument("file", type=Path, help="one order (JSON) per line; sent as-is")
    produce.set_defaults(handler=_produce)

    run = subparsers.add_parser("run", help="demo: topics, a worker, the bundled sample, a table of routes")
    run.add_argument("--once", action="store_true", help="exit after the summary instead of serving")
    run.add_argument("--sample", type=Path, help="JSONL orders to send (default: the bundled sample)")
    run.set_defaults(handler=_run)


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings()
    if getattr(args, "web_port", None):
        settings = dataclasses.replace(settings, web_port=args.web_port)
    if getattr(args, "app_id", None):
        settings = dataclasses.replace(settings, app_id=args.app_id)
    return settings


def _worker(args: argparse.Namespace) -> int:
    from pipeline.worker.run import run_worker

    return run_worker(_settings(args))


def _topics_create(args: argparse.Namespace) -> int:
    from pipeline.kafka.topics import TopicPlanError, ensure_topics

    try:
        created, existing = ensure_topics(_settings(args), allow_single_replica=args.allow_single_replica)
    except TopicPlanError as refused:
        print(f"error: {refused}", file=sys.stderr)
        return 2
    Console().print(f"topics: {len(created)} created, {len(existing)} already present")
    return 0


def _topics_list(args: argparse.Namespace) -> int:
    from pipeline.kafka.topics import list_topics

    table = Table("Topic", "Partitions")
    for name, partitions in sorted(list_topics(_settings(args)).items()):
        table.add_row(name, str(partitions))
    Console().print(table)
    return 0


def _produce(args: argparse.Namespace) -> int:
    from pipeline.kafka.orders import produce, read_records

    sent = produce(_settings(args), read_records(args.file))
    Console().print(f"sent {sent} records")
    return 0


def _run(args: argparse.Namespace) -> int:
    from pipeline.demo.run import SAMPLE_ORDERS, run_demo

    return run_demo(_settings(args), once=args.once, sample=args.sample or SAMPLE_ORDERS)
