"""Delta re-screening: after a rule pack or party list change, open orders are screened again.

Open orders are the entries of the order-state table. When reference data changes, every worker
sends the open orders it holds to `orders.rescreen` (keyed by order id, so each lands in the
partition that owns its state); the agent screens each against the new snapshot and publishes a
follow-up decision only where the route changes. A follow-up names the decision it supersedes; a
re-screen that turns an order into a hold returns its licence draw. Duplicate triggers are
harmless: the second finds the route already changed.

A clearance change (`holds.allowlist`) re-screens only the orders it concerns (`cleared_keys`): held
orders whose current decision has a match on the cleared list entry, and open orders whose current
decision cites a clearance that was replaced or revoked. Those re-screens also publish when only
the cited clearances change, so an order still held for another reason shows its match as cleared.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import replace

from pipeline.decisions.record import CLEARED_RULE
from pipeline.enrichment.parties.clearances import ClearanceChange
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

    def cleared_keys(self, changes: list[ClearanceChange]) -> list[bytes]:
        """Open orders a clearance change concerns (see the module docstring).

        The order a clearance was made on is left out: the review applier publishes its follow-up.
        """
        entries = {change.after.entry_id for change in changes if change.after is not None}
        cited = {change.before.clearance_id for change in changes if change.before is not None}
        reviewed = {change.after.order_id for change in changes if change.after is not None}
        # A cheap byte test first: most open orders mention neither the entries nor the clearances.
        needles = [f'"{value}"'.encode() for value in (*entries, *cited)]
        found = []
        for key, raw in list(self._states.items()):
            if not raw or not any(needle in raw for needle in needles):
                continue
            state = OrderState.decode(raw)
            decision = state.decision() if state is not None else None
            if decision is None or decision.order_id in reviewed:
                continue
            on_hold_for_entry = decision.route is Route.HOLD and any(
                match.entry_id in entries for match in decision.party_matches
            )
            if on_hold_for_entry or cited & cited_clearances(decision):
                found.append(key)
        return found

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


def _clearances_differ(previous: DecisionRecord | None, record: DecisionRecord) -> bool:
    return previous is not None and cited_clearances(previous) != cited_clearances(record)
