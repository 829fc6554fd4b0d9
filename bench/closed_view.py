"""What the restart-proof closed-holds view costs, offline: feeding the console's `AuditLog` (which
now indexes each order's audited close as records arrive) and listing `/closed`'s holds from it.

    python bench/closed_view.py --runs 5 --records 200000

One record in four is an applied release (so 50,000 closed holds at 200,000 records), the others
requests. Figures are medians over `--runs` rounds, in seconds to feed and milliseconds to list.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

from pipeline.holds.apply import applied_detail
from pipeline.holds.audit_log import AuditLog
from pipeline.holds.closed import closed_holds
from pipeline.holds.queue import HoldQueue
from schemas.decision import Route
from schemas.review import AuditOutcome, AuditRecord

START = datetime(2026, 3, 2, tzinfo=UTC)


def records(count: int) -> list[AuditRecord]:
    return [
        AuditRecord(
            audit_id=str(uuid.uuid4()),
            at=START + timedelta(seconds=n),
            actor="alice",
            action="release",
            outcome=AuditOutcome.APPLIED if n % 4 == 3 else AuditOutcome.REQUESTED,
            order_id=f"o-{n // 4}",
            decision_id=f"d-{n // 4}",
            why="licence on file",
            detail=applied_detail(Route.RELEASE) if n % 4 == 3 else "",
        )
        for n in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--records", type=int, default=200_000)
    args = parser.parse_args()
    trail = records(args.records)
    feeds: list[float] = []
    lists: list[float] = []
    listed = 0
    for _ in range(args.runs):
        log = AuditLog()
        started = time.perf_counter()
        for record in trail:
            log.add(record)
        feeds.append(time.perf_counter() - started)
        started = time.perf_counter()
        listed = len(closed_holds(HoldQueue().files(), "", log.closings()))
        lists.append(time.perf_counter() - started)
    print(
        f"{args.records} audit records, {listed} closed holds: feed median {statistics.median(feeds):.2f} s, "
        f"/closed list median {statistics.median(lists) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
