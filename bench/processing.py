"""What the worker's own code costs per order, without Kafka: its `OrderFlow` offline.

The worker's agents hand each record to the flow (pipeline/flow/: intake, enrichment, party
screening, rules, the decision record, the order state, the licence desk, metrics) and publish what
it returns. This runs the same flow, wired as the worker wires it (live reference store with the
bundled data plus generated list entries, Prometheus observer), on the `make bench` order mix, with
the licence hop and the decision tracking as direct calls and plain dicts for the two tables.
Comparing its CPU per order with the
worker's CPU per order at saturation splits the worker's cost into our code and what faust and
aiokafka spend on the records around it; the records per order it counts are what those layers
handle.

Usage: python bench/processing.py [--orders N] [--runs R] [--entries E]; prints JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prometheus_client import CollectorRegistry

from bench.list_generator import write_list
from bench.orders import OrderMix
from pipeline.flow.outputs import SourceRecord
from pipeline.flow.wiring import OrderFlow
from pipeline.metrics import MetricsObserver
from pipeline.reference.store import ReferenceStore
from pipeline.settings import PROJECT_ROOT, Settings, load_settings
from pipeline.worker.reference_metrics import PIPELINE_RULE_IDS

WARM_UP_ORDERS = 500


class CountingTable(dict[bytes, bytes]):
    """A table stand-in that counts writes and deletes: each is one changelog record in the worker."""

    writes = 0

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.writes += 1
        super().__setitem__(key, value)

    def __delitem__(self, key: bytes) -> None:
        self.writes += 1
        super().__delitem__(key)


def build_flow(settings: Settings) -> tuple[OrderFlow, list[CountingTable]]:
    """The worker's flow as the worker wires it, on counting dict tables."""
    states, ledger = CountingTable(), CountingTable()
    observer = MetricsObserver(CollectorRegistry(), builtin_rule_ids=PIPELINE_RULE_IDS)
    flow = OrderFlow(settings, ReferenceStore(settings), states, ledger, observer=observer)
    return flow, [states, ledger]


def records(settings: Settings, count: int) -> list[SourceRecord]:
    mix = OrderMix(settings.party_list_files[0])
    now = datetime.now(UTC)
    topic, partitions = settings.topics.orders, settings.order_partitions
    keys = [f"bench-{i}" for i in range(count)]
    return [
        SourceRecord(topic, i % partitions, i, key.encode(), mix.encoded(i, key, now))
        for i, key in enumerate(keys)
    ]


def run(settings: Settings, orders: int) -> dict[str, Any]:
    flow, tables = build_flow(settings)
    sources = records(settings, WARM_UP_ORDERS + orders)
    published: Counter[str] = Counter()
    draws, followups = settings.topics.licence_draws, settings.topics.decision_followups

    def handle(source: SourceRecord) -> None:
        # As the worker's agents: the order, then its licence draw and the follow-up that comes back.
        pending = flow.on_order(source)
        while pending:
            message = pending.pop(0)
            published[message.topic] += 1
            if message.topic == draws:
                pending.extend(flow.on_draw(message.value))
            elif message.topic == followups:
                flow.on_decision(message.value)

    for source in sources[:WARM_UP_ORDERS]:
        handle(source)
    writes_before = sum(table.writes for table in tables)
    published.clear()
    started = time.process_time()
    for source in sources[WARM_UP_ORDERS:]:
        handle(source)
    cpu_s = time.process_time() - started
    return {
        "us_per_order": 1e6 * cpu_s / orders,
        "records_published_per_order": round(sum(published.values()) / orders, 3),
        "table_writes_per_order": round((sum(t.writes for t in tables) - writes_before) / orders, 3),
        "published_by_topic": {topic: round(n / orders, 3) for topic, n in sorted(published.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--entries", type=int, default=50_000, help="generated list entries")
    args = parser.parse_args()
    settings = load_settings()
    if args.entries:
        path = PROJECT_ROOT / ".run" / "bench" / f"party-list-{args.entries}.csv"
        generated = write_list(path, args.entries)
        settings = replace(settings, party_list_files=(*settings.party_list_files, generated))
    results = [run(settings, args.orders) for _ in range(args.runs)]
    per_order = [r["us_per_order"] for r in results]
    print(
        json.dumps(
            {
                "runs": args.runs,
                "orders": args.orders,
                "entries": args.entries,
                "median": {
                    "us_per_order": round(statistics.median(per_order), 1),
                    "orders_per_cpu_s": round(1e6 / statistics.median(per_order), 1),
                },
                "us_per_order_runs": [round(us, 1) for us in per_order],
                "records_published_per_order": results[0]["records_published_per_order"],
                "table_writes_per_order": results[0]["table_writes_per_order"],
                "published_by_topic": results[0]["published_by_topic"],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
