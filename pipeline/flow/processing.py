"""One raw record -> the messages to publish. Synchronous and broker-free, so it is unit-testable.

Nothing here may raise: a screening crash becomes a fail-closed hold, anything else a dead letter
with reason `processing_error`. The worker must never die on a record.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache

from pipeline.decisions.assemble import updated
from pipeline.decisions.encoding import model_json
from pipeline.decisions.ids import url_uuid
from pipeline.flow.outputs import Outbound, SourceRecord, dead_letter_message, decision_messages
from pipeline.intake import InvalidReason, Rejection, parse_order
from pipeline.screening import Screener
from pipeline.settings import Settings
from pipeline.worker.observer import NullObserver, WorkerObserver
from schemas.decision import DecisionRecord, Outcome, Reason, Route
from schemas.order import OrderEvent

log = logging.getLogger(__name__)

SCREENING_FAILED_RULE = "pipeline.screening-error"

# Stateful last step (order state, revisions, licence draws): may replace a screened order's messages.
Finisher = Callable[[OrderEvent, DecisionRecord, list[Outbound], SourceRecord], list[Outbound]]
# Stateful first step: the messages for an order event that needs no screening (a revision closing
# an open order), or None to screen it.
Closer = Callable[[OrderEvent], list[Outbound] | None]


def fail_closed_decision(order: OrderEvent, error: BaseException) -> DecisionRecord:
    """The decision for an order the screener could not handle: hold it and say why."""
    return DecisionRecord(
        decision_id=str(uuid.uuid4()),
        order_id=order.order_id,
        revision=order.revision,
        route=Route.HOLD,
        as_of=order.as_of,
        evaluated_at=datetime.now(UTC),
        event_time=order.event_time,
        reasons=[
            Reason(
                rule_id=SCREENING_FAILED_RULE,
                title="Screening failed",
                outcome=Outcome.REVIEW,
                explanation=f"Screening raised {type(error).__name__}; the order is held until reviewed.",
                evidence={"error": str(error)[:500]},
            )
        ],
        fail_closed=True,
    )


@lru_cache(maxsize=64)
def versions_text(versions: tuple[tuple[str, str], ...]) -> str:
    """`kind=version` pairs sorted by kind: the same for every order screened with one snapshot."""
    return ",".join(f"{kind}={version}" for kind, version in sorted(versions))


def replay_decision_id(order: OrderEvent, record: DecisionRecord) -> str:
    """The same order screened with the same reference versions always gets the same decision id.

    A record redelivered after a crash (at-least-once) then republishes its decision instead of
    publishing a second, competing decision for the same order revision.
    """
    versions = versions_text(tuple(record.versions.items()))
    # The order's canonical JSON (pydantic's bytes, written by orjson: tests/flow/test_flow_replay_id.py).
    content = hashlib.sha256(model_json(order)).hexdigest()
    return url_uuid(f"decision:{order.order_id}:{order.revision}:{versions}:{content}")


class RecordProcessor:
    def __init__(
        self,
        settings: Settings,
        screener: Screener,
        observer: WorkerObserver | None = None,
        finisher: Finisher | None = None,
        closer: Closer | None = None,
    ) -> None:
        self._settings = settings
        self._screener = screener
        self._observer: WorkerObserver = observer or NullObserver()
        self._finisher = finisher
        self._closer = closer

    def process(self, source: SourceRecord) -> list[Outbound]:
        started = time.perf_counter()
        try:
            parsed = parse_order(source.value)
            if isinstance(parsed, Rejection):
                self._observer.rejected(parsed.reason)
                return [dead_letter_message(self._settings, source, parsed.reason, parsed.detail)]
            closed = self._closer(parsed) if self._closer is not None else None
            if closed is not None:
                return closed
            record = self._screen(parsed)
            record = updated(
                record,
                {
                    "decision_id": replay_decision_id(parsed, record),
                    "source": {"topic": source.topic, "partition": source.partition, "offset": source.offset},
                },
            )
            messages = decision_messages(self._settings, parsed, record)
            if self._finisher is not None:
                messages = self._finisher(parsed, record, messages, source)
            # A licence order's decision is counted by the licence agent once its draw is applied.
            if any(message.topic == self._settings.topics.decisions for message in messages):
                seconds = time.perf_counter() - started
                self._observer.decided(record, seconds, destination=parsed.destination_country)
        except Exception as exc:  # one bad record must not stop the worker
            log.exception("processing failed at %s[%d]@%d", source.topic, source.partition, source.offset)
            self._observer.failed("process", exc)
            self._observer.rejected(InvalidReason.PROCESSING_ERROR)
            detail = f"{type(exc).__name__}: {exc}"[:1000]
            return [dead_letter_message(self._settings, source, InvalidReason.PROCESSING_ERROR, detail)]
        return messages

    def _screen(self, order: OrderEvent) -> DecisionRecord:
        try:
            return self._screener.screen(order)
        except Exception as exc:  # fail closed: an unscreenable order is held
            log.exception("screening failed for order %s", order.order_id)
            self._observer.failed("screen", exc)
            return fail_closed_decision(order, exc)
