"""What a clearance sweep costs a worker, offline: `Rescreener.held_on_clearances` over the open orders.

A sweep runs at start, after each change to the clearances in force and after each rebalance; it
reads every open order's state. The states here are synthetic: `--open` open orders, one in ten
held on a party-list match (each on its own list entry) and the rest released, each with an order
and decision of about the worker's sizes. `--clearances` clearances are in force, each clearing the
match of one held order, so the sweep must find exactly that many. Figures are medians of `--runs`.

    python bench/clearance_sweep.py --runs 5 --open 200000 --clearances 20
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.enrichment.parties.allowlist import ActiveClearance, Allowlist
from pipeline.flow.state import OrderState, StateHead
from pipeline.flow.wiring import OrderFlow
from pipeline.reference.store import ReferenceStore
from pipeline.settings import load_settings
from schemas.decision import Citation, DecisionRecord, Outcome, PartyMatch, Reason, Route

NOW = datetime.now(UTC)
HELD_EVERY = 10
CITATION = Citation(
    authority="MOFCOM", instrument="Control List listing", date=date(2026, 2, 24), url="https://x/"
)


def _match(n: int) -> PartyMatch:
    return PartyMatch(
        role="consignee",
        name_sent=f"Party {n} GmbH",
        list="List of Export Controls",
        program="control list",
        entry_id=f"cn-{n:08d}",
        listed_name=f"Party {n} GmbH",
        score=1.0,
        strength="strong",
        matched="exact name",
        status="listed",
        party_key=f"name:party {n} gmbh|DE",
        entry_hash=f"h{n}",
    )


def _state(n: int) -> bytes:
    held = n % HELD_EVERY == 0
    decision = DecisionRecord(
        decision_id=f"d-{n}",
        order_id=f"o-{n}",
        revision=1,
        route=Route.HOLD if held else Route.RELEASE,
        as_of=NOW.date(),
        evaluated_at=NOW,
        reasons=[
            Reason(
                rule_id="cn.party.control-list" if held else "cn.dual-use.none",
                title="Party on the Control List" if held else "No controlled item",
                outcome=Outcome.PROHIBITED if held else Outcome.INFO,
                citation=CITATION,
                explanation="x" * 200,
            )
        ],
        party_matches=[_match(n)] if held else [],
        versions={"rules": "r1", "parties": "p1", "allowlist": "a1"},
    )
    head = StateHead(1, n % 6, NOW.date() + timedelta(days=90), decision.route.value, None, 1, f"d-{n}")
    order = b'{"order_id":"o-%d",' % n + b'"x":"' + b"y" * 900 + b'"}'
    return OrderState(head, order, decision.model_dump_json().encode()).encode()


def _allowlist(count: int) -> Allowlist:
    cleared = [_match(n * HELD_EVERY) for n in range(count)]
    return Allowlist(
        [
            ActiveClearance(
                clearance_id=f"rv-{m.entry_id}",
                party_key=m.party_key or "",
                entry_id=m.entry_id,
                entry_hash=m.entry_hash or "",
                cleared_by="alice",
                cleared_at=NOW,
                reason="not the listed party",
                expires_at=NOW + timedelta(days=30),
                order_id="another order",
            )
            for m in cleared
        ],
        version=f"{count}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--open", type=int, default=200_000)
    parser.add_argument("--clearances", type=int, default=20)
    args = parser.parse_args()
    settings = load_settings()
    states = {f"o-{n}".encode(): _state(n) for n in range(args.open)}
    flow = OrderFlow(settings, ReferenceStore(settings), states, {})
    allowlist = _allowlist(args.clearances)
    timings: list[float] = []
    found = 0
    for _ in range(args.runs):
        started = time.perf_counter()
        found = len(flow.rescreener.held_on_clearances(allowlist, NOW))
        timings.append(time.perf_counter() - started)
    assert found == args.clearances, found
    print(
        f"{args.open} open orders ({args.open // HELD_EVERY} held), {args.clearances} clearances: "
        f"{found} found, sweep median {statistics.median(timings) * 1000:.0f} ms "
        f"(min {min(timings) * 1000:.0f}, max {max(timings) * 1000:.0f})"
    )


if __name__ == "__main__":
    main()
