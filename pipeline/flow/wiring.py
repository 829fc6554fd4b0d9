"""One worker's stateful order flow, broker-free: what each of the worker's agents does with a record.

`OrderFlow` wires the record processor, the order tracker, the current decisions, the licence desk
and the re-screener over two tables (the order states and the licence ledger): faust tables in the
worker (pipeline/worker/agents.py), dicts in the bench (bench/processing.py) and the tests.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial

from pipeline.flow.current import CurrentDecisions
from pipeline.flow.licence_desk import LicenceDesk, draw_message
from pipeline.flow.outputs import Outbound, SourceRecord
from pipeline.flow.processing import RecordProcessor
from pipeline.flow.rescreen import Rescreener
from pipeline.flow.state import Table
from pipeline.flow.tracking import OrderTracker, utc_today
from pipeline.reference.store import LiveScreener, ReferenceStore
from pipeline.screening import Screener
from pipeline.settings import Settings
from pipeline.worker.observer import NullObserver, PipelineObserver


class OrderFlow:
    def __init__(
        self,
        settings: Settings,
        store: ReferenceStore,
        states: Table,
        ledger: Table,
        *,
        observer: PipelineObserver | None = None,
        screener: Screener | None = None,
        today: Callable[[], date] = utc_today,
    ) -> None:
        reporting: PipelineObserver = observer or NullObserver()
        self.settings = settings
        self.store = store
        self.screener = LiveScreener(store)
        self.tracker = OrderTracker(settings, store, states, partial(draw_message, settings), today)
        self.current = CurrentDecisions(self.tracker)
        self.desk = LicenceDesk(settings, store, ledger, reporting)
        self.rescreener = Rescreener(settings, self.tracker, self.screener, states, reporting)
        self.processor = RecordProcessor(
            settings, screener or self.screener, reporting, self.tracker.finish, self.tracker.close_open
        )

    def on_order(self, source: SourceRecord) -> list[Outbound]:
        """The orders agent: expired states of the record's partition go, then the record is handled."""
        return [*self.tracker.sweep(source.partition), *self.processor.process(source)]

    def on_draw(self, raw: bytes) -> list[Outbound]:
        """The licence agent: one draw request."""
        return self.desk.handle(raw)

    def on_decision(self, raw: bytes) -> None:
        """The tracking agent: a follow-up decision (licence outcome, reviewer) for an open order."""
        self.current.handle(raw)

    def on_rescreen(self, order_id: str, kind: str = "") -> list[Outbound]:
        """The re-screening agent: one open order, against the reference data now in force."""
        return self.rescreener.handle(order_id, kind)
