"""Delta re-screening: after a rule pack or party list change, open orders are screened again.

Open orders are the entries of the order-state table. When reference data changes, every worker
sends the open orders it holds to `orders.rescreen` (keyed by order id, so each lands in the
partition that owns its state); the agent screens each against the new snapshot and publishes a
follow-up decision only where the route changes. A follow-up names the decision it supersedes; a
re-screen that turns an order into a hold returns its licence draw. Duplicate triggers are
harmless: the second finds the route already changed.

Clearances (`holds.allowlist`) re-screen by state, not by change event (`held_on_clearances`):
whenever the clearances in force may have changed (the first load, a change, partitions assigned),
the held orders whose current decision has a match a clearance in force now clears, or cites a
clearance no longer in force (revoked or replaced), are re-screened. The re-screen's decision no
longer has that match or citation, so a later sweep, after a restart too, leaves the order alone.
Those re-screens also publish when only the cited clearances change, so an order still held for
another reason shows its match as cleared. A clearance revoked or replaced (a reviewer's act, like a
list update) re-screens the open orders it released too, so a released, unshipped order goes back on
hold; one that merely expires does not: it was in force when they were decided.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

from pipeline.decisions.record import CLEARED_RULE
from pipeline.enrichment.parties.allowlist import Allowlist
from pipeline.flow.outputs import Outbound, decision_messages
from pipeline.flow.state import OrderState, Table
from pipeline.flow.tracking import OrderTracker, cancel_request, own_decision
from pipeline.intake import Rejection, parse_order
from pipeline.reference.store import LiveScreener
from pipeline.settings import Settings
from pipeline.worker.observer import NullObserver, WorkerObserver
from schemas.decision import DecisionRecord, Route

log = logging.getLogger(__name__)

# A re-screen of an order whose decision is still being made waits for it: up to 100 x 0.1 s.
RESCREEN_ATTEMPTS = 100
RESCREEN_RETRY_S = 0.1
# The `orders.rescreen` kind of a re-screen a clearance change asked for.
ALLOWLIST_RESCREEN = "allowlist"
# Open orders a sweep looks at between two turns of the worker's event loop (about 15 ms).
SWEEP_CHUNK = 5000
# What a sweep looks for in a state's decision JSON before parsing it: a held route (among the
# first fields, after the decision and order ids), a party match's entry id, a cited clearance.
_ROUTE = b'"route":'
_HELD = b'"route":"hold"'
_RELEASED = b'"route":"release"'
_ENTRY_IDS = re.compile(rb'"entry_id":"((?:[^"\\]|\\.)*)"')
_CITES_CLEARANCE = f'"{CLEARED_RULE}"'.encode()


def rescreen_request(kind: str, attempt: int = 0) -> bytes:
    """The value of an `orders.rescreen` record: what changed, and how often it was put back."""
    return f"{kind}#{attempt}".encode()


def parse_rescreen_request(value: bytes | None) -> tuple[str, int]:
    kind, _, attempt = (value or b"").decode(errors="replace").partition("#")
    return kind, int(attempt) if attempt.isdigit() else 0


class Rescreener:
    def __init__(
        self,
        settings: Settings,
        tracker: OrderTracker,
        screener: LiveScreener,
        states: Table,
        observer: WorkerObserver | None = None,
    ) -> None:
        self._settings = settings
        self._observer: WorkerObserver = observer or NullObserver()
        self._tracker = tracker
        self._screener = screener
        self._states = states
        self.changed = 0

    def open_order_keys(self) -> list[bytes]:
        """Orders this worker holds state for: every entry is an open order."""
        return [key for key, raw in list(self._states.items()) if raw]

    def held_on_clearances(self, allowlist: Allowlist, now: datetime) -> list[bytes]:
        """Held orders the clearances in force concern (see the module docstring)."""
        return [key for chunk in self.sweep(allowlist, now) for key in chunk]

    def sweep(self, allowlist: Allowlist, now: datetime, chunk: int = SWEEP_CHUNK) -> Iterator[list[bytes]]:
        """`held_on_clearances` in chunks of `chunk` open orders, so the worker can let its agents run
        between them; the entries are those present when the sweep began.

        A match cleared on the order it was cleared on is left out: the review applier publishes
        that order's follow-up.
        """
        clearances = allowlist.clearances()
        in_force = {clearance.clearance_id for clearance in clearances}
        # Entry ids as they appear in the decision's JSON, to test an order's bytes before parsing it.
        entries = {json.dumps(c.entry_id, ensure_ascii=False)[1:-1].encode() for c in clearances}
        items = list(self._states.items())
        for begin in range(0, len(items), chunk):
            yield [
                key
                for key, raw in items[begin : begin + chunk]
                if raw and _may_concern(raw, entries) and _concerns(raw, allowlist, in_force, now)
            ]

    def awaiting_decision(self, order_id: str) -> bool:
        """True while the open order's decision is still on its way (a licence draw being applied).

        A re-screen then could not name the decision it supersedes, and the order would end with two
        current decisions; the caller asks again a little later.
        """
        head = self._tracker.head(order_id)
        return head is not None and head.awaiting_decision

    def handle(self, order_id: str, kind: str = "") -> list[Outbound]:
        started = time.perf_counter()
        state = self._tracker.state(order_id)
        if state is None:
            return []
        order = parse_order(state.order_raw)
        if isinstance(order, Rejection):
            log.error("the kept state of order %s no longer parses: %s", order_id, order.detail)
            return []
        record = self._screener.screen(order)
        previous = state.decision() if state.head.decided == order.revision else None
        same_route = record.route.value == state.head.route
        if same_route and not (kind == ALLOWLIST_RESCREEN and _clearances_differ(previous, record)):
            return []
        if previous is not None and previous.route is Route.RELEASE and record.route is Route.LICENSE:
            # A licence-covered order still needs its licence: the draw it holds still stands.
            return []
        self.changed += 1
        supersedes = previous.decision_id if previous is not None else None
        record = record.model_copy(
            update={
                "supersedes": supersedes,
                "decision_id": str(
                    uuid.uuid5(uuid.NAMESPACE_URL, f"rescreen/{supersedes}/{record.versions}")
                ),
            }
        )
        out, licence = self._tracker.route(order, record, decision_messages(self._settings, order, record))
        if state.head.licence and state.head.licence != licence:
            out = [self._tracker.address(cancel_request(state.head.licence, order_id, order.revision)), *out]
        own = own_decision(out, order_id, self._settings.topics.decisions)
        head = replace(state.head, route=record.route.value, licence=licence)
        decision_json = state.decision_json
        if own is not None:
            head = replace(head, decided=record.revision, decision_id=record.decision_id)
            decision_json = own.value
        self._tracker.write(order_id, OrderState(head, state.order_raw, decision_json), state)
        # A follow-up decision counts like any other (a newly listed party must raise BlockedShipment);
        # one routed to a licence draw is counted by the licence agent.
        if own is not None:
            seconds = time.perf_counter() - started
            self._observer.decided(record, seconds, destination=order.destination_country)
        return out


def cited_clearances(decision: DecisionRecord) -> set[str]:
    """The clearances a decision's reasons cite for silenced party matches."""
    return {r.evidence.get("clearance_id", "") for r in decision.reasons if r.rule_id == CLEARED_RULE}


def _may_concern(raw: bytes, entries: set[bytes]) -> bool:
    """A byte test of an order's state before parsing it: held and naming a cleared entry or citing a
    clearance, or released citing one. The decision's first "route" is its own, a few fields in."""
    start = OrderState.decision_start(raw)
    route_at = raw.find(_ROUTE, start)
    cites = raw.find(_CITES_CLEARANCE, start) >= 0
    if raw.startswith(_RELEASED, route_at):
        return cites
    if not raw.startswith(_HELD, route_at):
        return False
    return cites or not entries.isdisjoint(_ENTRY_IDS.findall(raw, start))


def _concerns(raw: bytes, allowlist: Allowlist, in_force: set[str], now: datetime) -> bool:
    state = OrderState.decode(raw)
    decision = state.decision() if state is not None else None
    if decision is None:
        return False
    withdrawn = bool(cited_clearances(decision) - in_force)
    if decision.route is Route.RELEASE:
        return withdrawn
    return decision.route is Route.HOLD and (withdrawn or _clears_a_match(allowlist, decision, now))


def _clears_a_match(allowlist: Allowlist, decision: DecisionRecord, now: datetime) -> bool:
    for match in decision.party_matches:
        if match.party_key is None or match.entry_hash is None:
            continue
        clearance = allowlist.clearing(match.party_key, match.entry_id, match.entry_hash, now)
        if clearance is not None and clearance.order_id != decision.order_id:
            return True
    return False


def _clearances_differ(previous: DecisionRecord | None, record: DecisionRecord) -> bool:
    return previous is not None and cited_clearances(previous) != cited_clearances(record)
