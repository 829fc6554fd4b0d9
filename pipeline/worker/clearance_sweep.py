"""When the worker looks for held orders that clearances concern: state-based, not per change event.

A sweep (`Rescreener.held_on_clearances`) is due at start, after every change to the clearances in
force and after every rebalance, and runs once the reference data is loaded and the order-state
table is restored. So a clearance that arrived while no worker ran, or while this one was restoring,
still releases the orders held on that match. A sweep only sends `orders.rescreen` requests; an
order already re-screened is not picked again, so repeated sweeps publish nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import faust

from pipeline.enrichment.parties.clearances import ClearanceChange
from pipeline.flow.rescreen import ALLOWLIST_RESCREEN, Rescreener, rescreen_request
from pipeline.reference.store import ReferenceStore

log = logging.getLogger(__name__)

SWEEP_CHECK_S = 1.0
Send = Callable[[bytes, bytes], Awaitable[Any]]


class ClearanceSweep:
    def __init__(self, rescreener: Rescreener, store: ReferenceStore, send: Send) -> None:
        self._rescreener = rescreener
        self._store = store
        self._send = send
        self.due = True
        self.sweeps = 0

    def request(self) -> None:
        """The clearances in force, or the partitions this worker owns, may have changed."""
        self.due = True

    async def clearances_changed(self, changes: list[ClearanceChange]) -> None:
        """The reference watcher's hook: which keys changed does not matter, the state decides."""
        if changes:
            self.request()

    async def run_if_due(self, *, settled: bool) -> int:
        """Sweep when one is due and `settled`: clearances loaded, no rebalance or restore under way."""
        if not self.due or not settled:
            return 0
        self.due = False
        self.sweeps += 1
        sent = 0
        for keys in self._rescreener.sweep(self._store.clearances.current, datetime.now(UTC)):
            for key in keys:
                await self._send(key, rescreen_request(ALLOWLIST_RESCREEN))
            sent += len(keys)
            await asyncio.sleep(0)  # the agents run between chunks: a sweep of 200,000 takes ~0.6 s
        if sent:
            log.info("re-screening %d held orders the clearances in force concern", sent)
        return sent


def watch_clearances(app: faust.App, sweep: ClearanceSweep, loaded: Callable[[], bool]) -> None:
    """Sweep after every rebalance, and check every `SWEEP_CHECK_S` whether one is due."""

    @app.on_rebalance_complete.connect
    async def _restored(*_: Any, **__: Any) -> None:
        sweep.request()

    @app.on_partitions_assigned.connect
    async def _assigned(*_: Any, **__: Any) -> None:
        sweep.request()

    async def check() -> None:
        await sweep.run_if_due(settled=loaded() and not app.rebalancing and not app.in_recovery)

    app.timer(interval=SWEEP_CHECK_S)(check)
