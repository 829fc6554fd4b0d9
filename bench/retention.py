"""Memory of one worker's order state over a long run, without Kafka: is it bounded by open orders?

Runs the worker's `OrderFlow` (pipeline/flow/) as the worker wires it, with the in-memory tables
(dicts, as faust's `memory://` store holds them) and the bundled list plus the generated
50,000-entry list, on the `make bench` order mix. Every order is closed by its `shipped` revision
`--open` orders later, so about that many orders are open at any time whatever the run's length.
Prints the process's RSS after the warm-up and at each checkpoint (and VmHWM, the peak), with the
number of open orders the state table holds. Pass: RSS at the last checkpoint within 10 % of RSS
at the first.

Usage: python bench/retention.py [--orders N] [--checkpoints C1,C2,...] [--open K]; prints JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.list_generator import write_list
from bench.orders import OrderMix
from pipeline.flow.outputs import SourceRecord
from pipeline.flow.partitioner import key_partition
from pipeline.flow.wiring import OrderFlow
from pipeline.reference.store import ReferenceStore
from pipeline.settings import PROJECT_ROOT, load_settings


def memory_mb() -> dict[str, float]:
    """VmRSS and VmHWM of this process, in MB."""
    found: dict[str, float] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in {"VmRSS", "VmHWM"}:
            found[name] = round(int(value.split()[0]) / 1024, 1)
    return found


def run(orders: int, checkpoints: list[int], still_open: int, entries: int) -> dict[str, Any]:
    settings = load_settings()
    generated = write_list(PROJECT_ROOT / ".run" / "bench" / f"party-list-{entries}.csv", entries)
    settings = replace(settings, party_list_files=(*settings.party_list_files, generated))
    states: dict[bytes, bytes] = {}
    flow = OrderFlow(settings, ReferenceStore(settings), states, {})
    mix = OrderMix(settings.party_list_files[0])
    now = datetime.now(UTC)
    topic, partitions = settings.topics.orders, settings.order_partitions
    offset = 0

    def send(value: bytes, key: bytes) -> None:
        nonlocal offset
        offset += 1
        flow.on_order(SourceRecord(topic, key_partition(key, partitions), offset, key, value))

    flow.store.current  # noqa: B018 - the reference data is loaded before the first figure
    gc.collect()
    figures: list[dict[str, Any]] = [{"orders": 0, **memory_mb(), "open_orders": 0}]
    for index in range(orders):
        order_id = f"ret-{index}"
        send(mix.encoded(index, order_id, now), order_id.encode())
        closing = index - still_open
        if closing >= 0:
            closed_id = f"ret-{closing}"
            shipped = {**mix.order(closing, closed_id, now), "revision": 2, "status": "shipped"}
            send(json.dumps(shipped, separators=(",", ":")).encode(), closed_id.encode())
        if index + 1 in checkpoints:
            gc.collect()
            figures.append({"orders": index + 1, **memory_mb(), "open_orders": len(states)})
    first, last = figures[1], figures[-1]
    growth = (last["VmRSS"] - first["VmRSS"]) / first["VmRSS"]
    return {
        "orders": orders,
        "kept_open": still_open,
        "entries": entries,
        "checkpoints": figures,
        "rss_growth_first_to_last_checkpoint": round(growth, 3),
        "peak_rss_mb": last["VmHWM"],
        "closed": flow.tracker.closed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--checkpoints", default="20000,50000,100000,150000,200000")
    parser.add_argument("--open", type=int, default=5_000, help="orders open at any time")
    parser.add_argument("--entries", type=int, default=50_000, help="generated list entries")
    args = parser.parse_args()
    checkpoints = [int(c) for c in args.checkpoints.split(",")]
    print(json.dumps(run(args.orders, checkpoints, args.open, args.entries), indent=2))


if __name__ == "__main__":
    main()
