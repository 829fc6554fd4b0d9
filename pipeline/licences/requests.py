"""From a "licence required" decision to the draw request sent to the licence's partition.

The order worker knows the order and the rule engine's findings; the licence agent knows the balance.
The request carries both the order and the provisional decision, so the licence agent can publish
the final decision without looking anything up, keyed by licence number so that every draw on one
licence is applied serially in one partition, whichever worker owns it.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from pipeline.enrichment.enrich import line_facts
from pipeline.enrichment.products import ProductMaster
from pipeline.licences.coverage import LicensableLine, plan_cover
from pipeline.licences.ledger import DrawLine
from schemas.decision import DecisionRecord, Outcome, Reason, Route
from schemas.licence import Licence
from schemas.order import OrderEvent

WATCH_LIST_PROGRAM = "CN-ECWL"
NO_COVER_RULE = "licence.not-covered"


class DrawItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    line_id: str
    item_id: str
    quantity: float
    value: float

    def as_draw(self) -> DrawLine:
        return DrawLine(self.line_id, self.item_id, self.quantity, self.value)


class DrawRequest(BaseModel):
    """One order revision's draw on one licence; `cancelled` returns whatever the order drew, and
    `closed` (the order shipped) keeps its draw drawn and forgets the order's draw record."""

    model_config = ConfigDict(frozen=True)

    licence_number: str
    order_id: str
    revision: int
    cancelled: bool = False
    closed: bool = False
    lines: tuple[DrawItem, ...] = ()
    order: OrderEvent | None = None
    decision: DecisionRecord | None = None


def licensable_lines(
    order: OrderEvent, record: DecisionRecord, products: ProductMaster | None
) -> list[LicensableLine] | None:
    """The lines the findings say need a licence; None when a finding needs one for the whole order."""
    required = [reason for reason in record.reasons if reason.outcome is Outcome.LICENCE_REQUIRED]
    if any(reason.line_id is None for reason in required):
        return None
    wanted = {reason.line_id for reason in required}
    found: list[LicensableLine] = []
    for line in order.lines:
        if line.line_id not in wanted:
            continue
        facts = line_facts(line, products)
        found.append(
            LicensableLine(
                line.line_id,
                facts.control_codes,
                facts.hs_code,
                line.quantity,
                line.unit,
                line.value,
                line.currency,
            )
        )
    return found


def watch_listed(record: DecisionRecord) -> bool:
    """A Watch List party on the order: only a single licence may serve it (Dual-Use Regs Art. 26)."""
    return any(match.program == WATCH_LIST_PROGRAM for match in record.party_matches)


def plan_draw(
    order: OrderEvent,
    record: DecisionRecord,
    licences: Mapping[str, Licence],
    products: ProductMaster | None,
) -> DrawRequest | DecisionRecord | None:
    """A draw request, or the decision explaining which lines no licence covers, or None when the
    decision does not depend on a licence (not routed to licensing, or the order names none)."""
    if record.route is not Route.LICENSE or not order.licence_numbers:
        return None
    lines = licensable_lines(order, record, products)
    if not lines:
        return None
    plan = plan_cover(licences, order, lines, record.as_of, watch_listed=watch_listed(record))
    if plan.licence_number is None:
        reasons = [
            Reason(
                rule_id=NO_COVER_RULE,
                title="No licence covers the line",
                outcome=Outcome.LICENCE_REQUIRED,
                line_id=gap.line_id,
                explanation=f"No licence covers line {gap.line_id}: {gap.why}.",
            )
            for gap in plan.uncovered
        ]
        return record.model_copy(update={"reasons": [*record.reasons, *reasons]})
    by_id = {line.line_id: line for line in lines}
    return DrawRequest(
        licence_number=plan.licence_number,
        order_id=order.order_id,
        revision=order.revision,
        lines=tuple(
            DrawItem(
                line_id=line_id, item_id=item_id, quantity=by_id[line_id].quantity, value=by_id[line_id].value
            )
            for line_id, item_id in plan.items.items()
        ),
        order=order,
        decision=record,
    )
