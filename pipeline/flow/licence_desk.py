"""The licence step: applies draw requests to their licence's balance, then decides the order.

Draw requests are keyed by licence number, so all draws on one licence meet in one partition and
are applied one at a time by whichever worker owns it. The ledger table holds, per licence, its
running balance (`balance_key`) and one draw record per order (`draw_key`), so a draw reads and
writes two small values whatever the licence's history (pipeline/licences/ledger.py).

Crash safety: the request's offset is committed only after its records are out. If a worker dies
in between, the request is delivered again; the ledger knows that order revision (its record, or
the balance's `last` if the record was lost) and changes nothing, and the recorded outcome is
published again with the same decision id. A draw is applied exactly once; a decision at least once.

The final decision also goes to the follow-ups topic, keyed by order id, where the worker holding
the order's state makes it current (pipeline/flow/current.py).
"""

from __future__ import annotations

import logging
import time

from pydantic import ValidationError

from pipeline.flow.outputs import Outbound, decision_messages, followed_up
from pipeline.flow.state import Table
from pipeline.licences.ledger import Balance, DrawStatus, OrderDraw, apply_draw
from pipeline.licences.outcome import final_decision
from pipeline.licences.requests import DrawRequest
from pipeline.reference.store import ReferenceStore
from pipeline.settings import Settings
from pipeline.worker.observer import NullObserver, PipelineObserver
from schemas.licence import Licence

log = logging.getLogger(__name__)


def balance_key(licence_number: str) -> bytes:
    return b"balance\x00" + licence_number.encode()


def draw_key(licence_number: str, order_id: str) -> bytes:
    return b"draw\x00" + licence_number.encode() + b"\x00" + order_id.encode()


def draw_message(settings: Settings, request: DrawRequest) -> Outbound:
    """`request` addressed to its licence's partition of the draws topic."""
    return Outbound(
        settings.topics.licence_draws, request.licence_number.encode(), request.model_dump_json().encode()
    )


class LicenceDesk:
    """One request in, the messages to publish out; the ledger in a table of small values."""

    def __init__(
        self,
        settings: Settings,
        store: ReferenceStore,
        table: Table,
        observer: PipelineObserver | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._table = table
        self._observer: PipelineObserver = observer or NullObserver()

    def balance(self, licence_number: str) -> Balance:
        return Balance.decode(self._table.get(balance_key(licence_number)))

    def draw(self, licence_number: str, order_id: str) -> OrderDraw | None:
        return OrderDraw.decode(self._table.get(draw_key(licence_number, order_id)))

    def handle(self, raw: bytes) -> list[Outbound]:
        started = time.perf_counter()
        try:
            request = DrawRequest.model_validate_json(raw)
        except ValidationError:
            log.exception("unreadable draw request dropped")
            return []
        number, order_id = request.licence_number, request.order_id
        record_key = draw_key(number, order_id)
        recorded = OrderDraw.decode(self._table.get(record_key))
        if request.closed:
            # The order shipped or expired: its draw stays in the balance, its record is not needed.
            if recorded is not None:
                del self._table[record_key]
            return []
        snapshot = self._store.current
        licence = snapshot.licences.get(number)
        balance = self.balance(number)
        prior = balance.prior(order_id, recorded)
        lines = [line.as_draw() for line in request.lines]
        outcome, record = apply_draw(
            balance, prior, licence, order_id, request.revision, lines, cancelled=request.cancelled
        )
        if outcome.stale:
            return []
        if record is not None:
            # The balance first: it stands in for the draw record if a crash loses that one.
            self._table[balance_key(number)] = balance.encode()
            if record.status is not DrawStatus.CANCELLED:
                self._table[record_key] = record.encode()
            elif recorded is not None:
                del self._table[record_key]  # the order is gone; the balance's `last` answers a repeat
            if licence is not None:
                self._report_usage(licence, balance)
        elif recorded is None and prior is not None and prior.status is not DrawStatus.CANCELLED:
            self._table[record_key] = prior.encode()  # the record a crash lost, written again
        decision = final_decision(request, outcome, snapshot.versions.get("licences"))
        if decision is None or request.order is None:
            return []
        messages = followed_up(self._settings, decision_messages(self._settings, request.order, decision))
        seconds = time.perf_counter() - started
        self._observer.decided(decision, seconds, destination=request.order.destination_country)
        return messages

    def _report_usage(self, licence: Licence, balance: Balance) -> None:
        """The licence's most drawn item, by quantity, stands for the licence."""
        left = balance.left(licence)
        usage = [(item.quantity - left[item.item_id][0], item.quantity) for item in licence.items]
        if usage:
            drawn, granted = max(usage, key=lambda pair: pair[0] / pair[1])
            self._observer.licence_usage(licence.number, drawn, granted)
