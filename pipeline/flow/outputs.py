"""What the worker publishes for a decision or a refused record, as (topic, key, value) messages."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime

from pipeline.decisions.assemble import assembled, plain_model
from pipeline.decisions.encoding import model_json
from pipeline.decisions.ids import url_uuid
from pipeline.settings import Settings
from schemas.alert import AlertParty, BlockedAlert
from schemas.decision import DeadLetter, DecisionRecord, Outcome, Reason, Route
from schemas.order import OrderEvent

_ALERT = plain_model(BlockedAlert)
_ALERT_FIELDS = frozenset(BlockedAlert.model_fields)
_ALERT_PARTY = plain_model(AlertParty)
_PARTY_FIELDS = frozenset(AlertParty.model_fields)
# Under the brokers' default 1 MB record limit, which the decision and shipments topics keep.
MAX_DECISION_BYTES = 900_000


@dataclass(frozen=True, slots=True)
class Outbound:
    topic: str
    key: bytes | None
    value: bytes
    # Set on a message to the decisions topic: the record `value` serializes.
    decision: DecisionRecord | None = None


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """Where a raw record came from, carried into dead letters and decisions."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


def route_topic(settings: Settings, route: Route) -> str:
    """The topic a decision with `route` goes to besides `screening.decisions`."""
    topics = settings.topics
    if route is Route.HOLD:
        return topics.hold
    return topics.license if route is Route.LICENSE else topics.release


def blocked_alerts(settings: Settings, order: OrderEvent, record: DecisionRecord) -> list[BlockedAlert]:
    """One alert per prohibited reason, with the parties and a link to the hold in the console.

    Assembled, not validated: every value comes from the validated order and decision record.
    """
    prohibited = [reason for reason in record.reasons if reason.outcome is Outcome.PROHIBITED]
    if not prohibited:
        return []
    parties = [
        assembled(_ALERT_PARTY, {"role": role, "name": p.name, "country": p.country}, set(_PARTY_FIELDS))
        for role, p in order.parties()
    ]
    link = f"{settings.console_url.rstrip('/')}/holds/{order.order_id}"
    raised_at = datetime.now(UTC)
    return [
        assembled(
            _ALERT,
            {
                # Stable per decision and reason so a redelivered record yields the same alert id.
                "alert_id": url_uuid(f"{record.decision_id}/{index}/{reason.rule_id}"),
                "order_id": order.order_id,
                "revision": record.revision,
                "decision_id": record.decision_id,
                "rule_id": reason.rule_id,
                "title": reason.title,
                "citation": reason.citation,
                "line_id": reason.line_id,
                "party_role": reason.party_role,
                "explanation": reason.explanation,
                "parties": list(parties),
                "destination_country": order.destination_country,
                "link": link,
                "raised_at": raised_at,
            },
            set(_ALERT_FIELDS),
        )
        for index, reason in enumerate(prohibited)
    ]


def fit_decision(record: DecisionRecord, limit: int = MAX_DECISION_BYTES) -> DecisionRecord:
    """The record, with per-line reasons beyond what fits folded into one reason per rule and outcome.

    An order with thousands of lines gives a decision of several MB, which the broker refuses; the
    send then fails after the source offset is committed and the order is lost. The route, the most
    restrictive reasons and every rule that applied stay; only the repetition across lines is folded.
    """
    kept: list[Reason] = []
    size = 0
    folded: dict[tuple[str, Outcome], list[Reason]] = {}
    for reason in record.reasons:
        reason_size = len(reason.model_dump_json())
        if size + reason_size <= limit // 2:
            kept.append(reason)
            size += reason_size
        else:
            folded.setdefault((reason.rule_id, reason.outcome), []).append(reason)
    for group in folded.values():
        first = group[0]
        lines = sorted({r.line_id for r in group if r.line_id})
        kept.append(
            first.model_copy(
                update={
                    "line_id": None,
                    "explanation": f"{first.explanation} (and {len(group) - 1} more findings of this rule, "
                    f"{len(lines)} lines, folded to fit the topic)",
                    "evidence": {"folded_findings": str(len(group)), "first_lines": ",".join(lines[:50])},
                }
            )
        )
    return record.model_copy(update={"reasons": kept})


def decision_messages(settings: Settings, order: OrderEvent, record: DecisionRecord) -> list[Outbound]:
    key = order.order_id.encode()
    value = model_json(record)
    if len(value) > MAX_DECISION_BYTES:
        record = fit_decision(record)
        value = model_json(record)
    messages = [
        Outbound(route_topic(settings, record.route), key, value),
        Outbound(settings.topics.decisions, key, value, record),
    ]
    messages.extend(
        Outbound(settings.topics.alerts_blocked, key, model_json(alert))
        for alert in blocked_alerts(settings, order, record)
    )
    return messages


def followed_up(settings: Settings, messages: list[Outbound]) -> list[Outbound]:
    """`messages` and, for their decision, a copy (same bytes) on the follow-ups topic: the worker
    holding the order's state reads that topic, not `screening.decisions`."""
    topic = settings.topics.decisions
    copies = [
        Outbound(settings.topics.decision_followups, m.key, m.value)
        for m in messages
        if m.topic == topic and m.decision is not None
    ]
    return [*messages, *copies]


def dead_letter_message(settings: Settings, source: SourceRecord, reason: str, detail: str) -> Outbound:
    letter = DeadLetter(
        reason=reason,
        detail=detail,
        source_topic=source.topic,
        source_partition=source.partition,
        source_offset=source.offset,
        key=source.key.decode("utf-8", errors="replace") if source.key is not None else None,
        original_base64=base64.b64encode(source.value or b"").decode("ascii"),
        received_at=datetime.now(UTC),
    )
    return Outbound(settings.topics.orders_invalid, source.key, letter.model_dump_json().encode())
