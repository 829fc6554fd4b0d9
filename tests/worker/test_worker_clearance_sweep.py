"""When the worker sweeps for held orders that clearances concern (pipeline/worker/clearance_sweep.py),
broker-free: due at start, only once settled, again after a change or a rebalance, and a repeated
sweep asks for nothing once the orders were re-screened."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pipeline.enrichment.parties.clearances import ClearanceChange
from pipeline.flow.rescreen import ALLOWLIST_RESCREEN, parse_rescreen_request
from pipeline.worker.clearance_sweep import ClearanceSweep
from schemas.review import AllowlistEntry, allowlist_key
from tests.order_flow import ZEPHYR, Flow, chair_line, gallium_order, store_listing_zephyr

NOW = datetime.now(UTC)


def _zephyr(order_id: str) -> Any:
    return gallium_order(order_id, consignee=ZEPHYR, end_user=ZEPHYR, lines=chair_line(), licence_numbers=[])


def _clearance(flow: Flow) -> tuple[str, bytes]:
    found = flow.current.lookup("O-1")
    assert found is not None
    assert found.decision is not None
    match = found.decision.party_matches[0]
    entry = AllowlistEntry(
        entry_id=match.entry_id,
        name_sent=match.name_sent,
        party_role=match.role,
        list=match.list,
        listed_name=match.listed_name,
        expires_at=NOW + timedelta(days=30),
        cleared_at=NOW,
        cleared_by="alice",
        reason="not the listed Zephyr",
        order_id="O-ELSEWHERE",
        decision_id="d-elsewhere",
        review_id="rv-1",
        party_key=match.party_key,
        entry_hash=match.entry_hash,
    )
    return allowlist_key(entry), entry.model_dump_json().encode()


def test_a_sweep_runs_when_due_and_settled_and_asks_for_each_concerned_order_once(tmp_path: Path) -> None:
    flow = Flow(store_listing_zephyr(tmp_path))
    for order_id in ("O-1", "O-2", "O-3"):
        flow.send(_zephyr(order_id))
    sent: list[tuple[bytes, bytes]] = []

    async def send(key: bytes, value: bytes) -> None:
        sent.append((key, value))

    sweep = ClearanceSweep(flow.rescreener, flow.store, send)

    async def scenario() -> list[int]:
        counts = [await sweep.run_if_due(settled=True)]  # at start: nothing cleared yet
        changes, _ = flow.store.offer_clearances([_clearance(flow)])
        await sweep.clearances_changed(changes)
        counts.append(await sweep.run_if_due(settled=False))  # restoring: waits
        counts.append(await sweep.run_if_due(settled=True))
        counts.append(await sweep.run_if_due(settled=True))  # not due again
        for key, value in sent:
            kind, _ = parse_rescreen_request(value)
            flow.deliver(flow.on_rescreen(key.decode(), kind))
        sweep.request()  # a rebalance, or a restart: the orders are already re-screened
        counts.append(await sweep.run_if_due(settled=True))
        await sweep.clearances_changed(list[ClearanceChange]())
        counts.append(await sweep.run_if_due(settled=True))  # an empty batch changes nothing
        return counts

    assert asyncio.run(scenario()) == [0, 0, 3, 0, 0, 0]
    assert sorted(sent) == [(f"O-{n}".encode(), f"{ALLOWLIST_RESCREEN}#0".encode()) for n in (1, 2, 3)]
    assert [flow.route(f"O-{n}").value for n in (1, 2, 3)] == ["release"] * 3
    assert sweep.sweeps == 3  # at start, after the change, after the rebalance


def test_a_sweep_in_chunks_finds_the_same_orders(tmp_path: Path) -> None:
    flow = Flow(store_listing_zephyr(tmp_path))
    for n in range(7):
        flow.send(_zephyr(f"O-{n}"))
    flow.store.offer_clearances([_clearance(flow)])
    allowlist = flow.store.clearances.current
    chunks = list(flow.rescreener.sweep(allowlist, NOW, chunk=3))
    assert [len(chunk) for chunk in chunks] == [3, 3, 1]
    assert sorted(key for chunk in chunks for key in chunk) == sorted(
        flow.rescreener.held_on_clearances(allowlist, NOW)
    )
