"""No licence over-drawn: what the current releases drew on each licence item stays within its balance.

Each current release lists, per covered line, the licence and item it drew on (`licence.drawn`
reasons). The line's quantity and value come from the order revision the decision is for, so the
check needs no access to the workers' ledgers: it adds up what users were told was covered.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from schemas.decision import DecisionRecord, Route
from schemas.licence import LicenceFile
from schemas.order import OrderEvent

DRAWN_RULE = "licence.drawn"
# Float sums of many lines: a rounding difference is not an over-draw.
_TOLERANCE = 1e-6


@dataclass(frozen=True, slots=True)
class Overdraw:
    licence: str
    item: str
    drawn_quantity: float
    allowed_quantity: float
    drawn_value: float
    allowed_value: float

    def __str__(self) -> str:
        return (
            f"{self.licence} item {self.item}: drew {self.drawn_quantity:g} of {self.allowed_quantity:g}, "
            f"value {self.drawn_value:g} of {self.allowed_value:g}"
        )


def drawn_totals(
    current: Iterable[DecisionRecord], orders: Mapping[tuple[str, int], OrderEvent]
) -> dict[tuple[str, str], tuple[float, float]]:
    """(licence, item) -> (quantity, value) drawn by the current releases."""
    totals: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for decision in current:
        order = orders.get((decision.order_id, decision.revision))
        if decision.route is not Route.RELEASE or order is None:
            continue
        lines = {line.line_id: line for line in order.lines}
        for reason in decision.reasons:
            line = lines.get(reason.line_id or "")
            if reason.rule_id != DRAWN_RULE or line is None:
                continue
            total = totals[(reason.evidence.get("licence", ""), reason.evidence.get("item", ""))]
            total[0] += line.quantity
            total[1] += line.value
    return {key: (quantity, value) for key, (quantity, value) in totals.items()}


def overdrawn(
    current: Iterable[DecisionRecord], orders: Mapping[tuple[str, int], OrderEvent], licences: LicenceFile
) -> list[Overdraw]:
    items = {(lic.number, item.item_id): item for lic in licences.licences for item in lic.items}
    found = []
    for (number, item_id), (quantity, value) in sorted(drawn_totals(current, orders).items()):
        item = items.get((number, item_id))
        allowed_quantity = item.quantity if item else 0.0
        allowed_value = item.value if item else 0.0
        if quantity > allowed_quantity + _TOLERANCE or value > allowed_value + _TOLERANCE:
            found.append(Overdraw(number, item_id, quantity, allowed_quantity, value, allowed_value))
    return found
