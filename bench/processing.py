"""What the worker's own code costs per order, without Kafka: `RecordProcessor.process` offline.

The orders agent hands each record to `RecordProcessor.process` (intake, enrichment, party
screening, rules, the decision record, the order-state and licence step, metrics) and publishes what
it returns. This runs that same call, wired as the worker wires it (live reference store with the
bundled data plus generated list entries, order tracker, Prometheus observer), on the `make bench`
order mix, with plain dicts for the two tables. Comparing its CPU per order with the worker's CPU
per order at saturation splits the worker's cost into our code and what faust and aiokafka spend on
the records around it; the records per order it counts are what those layers handle.

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
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prometheus_client import CollectorRegistry

from bench.list_generator import write_list
from bench.orders import OrderMix
from pipeline.licences.agent import draw_message
from pipeline.metrics import MetricsObserver
from pipeline.reference.store import LiveScreener, ReferenceStore
from pipeline.rescreen.agent import CurrentDecisions
from pipeline.rescreen.tracking import OrderTracker
from pipeline.settings import PROJECT_ROOT, Settings, load_settings
from pipeline.worker.outputs import SourceRecord
from pipeline.worker.processing import RecordProcessor
from pipeline.worker.reference_metrics import PIPELINE_RULE_IDS

WARM_UP_ORDERS = 500


class CountingTable(dict[bytes, bytes]):
    """A table stand-in that counts writes: each is one changelog record in the worker."""

    writes = 0

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.writes += 1
        super().__setitem__(key, value)


def build_processor(
    settings: Settings,
) -> tuple[RecordProcessor, CurrentDecisions, list[CountingTable]]:
    store = ReferenceStore(settings)
    states, current = CountingTable(), CountingTable()

    tracker = OrderTracker(settings, store, states, current, partial(draw_message, settings))
    observer = MetricsObserver(CollectorRegistry(), builtin_rule_ids=PIPELINE_RULE_IDS)
    processor = RecordProcessor(settings, LiveScreener(store), observer, tracker.finish)
    return processor, CurrentDecisions(current, settings.order_partitions), [states, current]


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
    processor, current, tables = build_processor(settings)
    sources = records(settings, WARM_UP_ORDERS + orders)
    published: Counter[str] = Counter()

    def handle(source: SourceRecord) -> None:
        # As the orders agent: process, then keep the current decision of what it publishes.
        for message in processor.process(source):
            if message.decision is not None:
                current.accept(message.decision, message.value)
            published[message.topic] += 1

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
