"""Licence drawdown at scale, without Kafka: N draws on one general licence through the licence desk.

Each draw is a request as the orders agent sends it (the order and its provisional decision
included) for 0.4 kg of graphite on the bundled general licence DU-2026-GEN-000007 (50,000 kg), so
100,000 draws use 40,000 kg and every one is granted. The desk writes its ledger to a dict that
records every write the worker's table would send to its changelog. Prints the draw rate (CPU and
wall), per-slice rates (the last slice shows whether a draw gets dearer as the licence fills), and
the largest changelog record against the broker's 1 MB default record limit.

Usage: python bench/licence_draws.py [--draws N] [--slices S]; prints JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.flow.licence_desk import LicenceDesk, balance_key
from pipeline.licences.requests import DrawItem, DrawRequest
from pipeline.reference.store import ReferenceStore
from pipeline.settings import load_settings
from schemas.decision import DecisionRecord, Route
from schemas.order import OrderEvent

LICENCE = "DU-2026-GEN-000007"
EXPORTER = {"party_id": "P-CN-EXPORTER", "name": "Ganzhou Example Rare Earth Co., Ltd.", "country": "CN"}
BROKER_RECORD_LIMIT = 1_048_588  # the broker's default message.max.bytes


class ChangelogRecorder(dict[bytes, bytes]):
    """A table stand-in noting the size of each changelog record (key + value) a write would send."""

    def __init__(self) -> None:
        super().__init__()
        self.records = 0
        self.largest = 0

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.records += 1
        self.largest = max(self.largest, len(key) + len(value))
        super().__setitem__(key, value)

    def __delitem__(self, key: bytes) -> None:
        self.records += 1
        super().__delitem__(key)


def request(n: int) -> bytes:
    order_id = f"DRAW-{n:06d}"
    order = OrderEvent.model_validate(
        {
            "order_id": order_id,
            "event_time": "2026-03-02T09:00:00+00:00",
            "ship_date": "2026-03-10",
            "exporter": {
                "party_id": "P-CN-EXPORTER",
                "name": "Ganzhou Example Rare Earth Co., Ltd.",
                "country": "CN",
            },
            "consignee": {"name": "Rotterdam Graphite B.V.", "country": "NL"},
            "end_user": {"name": "Rotterdam Graphite B.V.", "country": "NL"},
            "destination_country": "NL",
            "licence_numbers": [LICENCE],
            "lines": [
                {
                    "line_id": "1",
                    "description": "Natural flake graphite",
                    "hs_code": "2504101000",
                    "quantity": 0.4,
                    "unit": "kg",
                    "value": 3.2,
                    "currency": "USD",
                }
            ],
        }
    )
    decision = DecisionRecord(
        decision_id=f"provisional-{n}",
        order_id=order_id,
        revision=1,
        route=Route.LICENSE,
        as_of=date(2026, 3, 10),
        evaluated_at=datetime.now(UTC),
    )
    draw = DrawRequest(
        licence_number=LICENCE,
        order_id=order_id,
        revision=1,
        lines=(DrawItem(line_id="1", item_id="1", quantity=0.4, value=3.2),),
        order=order,
        decision=decision,
    )
    return draw.model_dump_json().encode()


def run(draws: int, slices: int) -> dict[str, Any]:
    settings = load_settings()
    table = ChangelogRecorder()
    desk = LicenceDesk(settings, ReferenceStore(settings), table)
    requests = [request(n) for n in range(draws)]
    size = max(1, draws // slices)
    slice_rates: list[float] = []
    released = 0
    cpu_started, wall_started = time.process_time(), time.perf_counter()
    for start in range(0, draws, size):
        slice_started = time.process_time()
        for raw in requests[start : start + size]:
            for message in desk.handle(raw):
                released += message.topic == settings.topics.release
        slice_rates.append(len(requests[start : start + size]) / (time.process_time() - slice_started))
    cpu_s, wall_s = time.process_time() - cpu_started, time.perf_counter() - wall_started
    return {
        "draws": draws,
        "released": released,
        "draws_per_cpu_s": round(draws / cpu_s),
        "draws_per_wall_s": round(draws / wall_s),
        "us_per_draw": round(1e6 * cpu_s / draws, 1),
        "draws_per_cpu_s_by_slice": [round(rate) for rate in slice_rates],
        "changelog_records": table.records,
        "changelog_records_per_draw": round(table.records / draws, 2),
        "largest_changelog_record_bytes": table.largest,
        "balance_record_bytes": len(table[balance_key(LICENCE)]),
        "broker_record_limit_bytes": BROKER_RECORD_LIMIT,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--draws", type=int, default=100_000)
    parser.add_argument("--slices", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(run(args.draws, args.slices), indent=2))


if __name__ == "__main__":
    main()
