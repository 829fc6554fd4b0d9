"""Which licence on file covers which controlled order line, before any balance is drawn.

A licence covers a line when it is valid on the order's date, names the order's exporter as holder
and its destination, for single licences also its consignee and end user, and has an item naming the
line's control code (or a parent paragraph) or customs code, in the line's unit and currency. Parties
on the Watch List may only be served under a single licence (Dual-Use Regs Art. 26).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from schemas.codes import control_code_covers
from schemas.licence import Licence, LicenceItem, LicenceParty, LicenceType
from schemas.order import OrderEvent, Party


@dataclass(frozen=True, slots=True)
class LicensableLine:
    """A line the rule engine says needs a licence, with what a licence item is matched on."""

    line_id: str
    control_codes: tuple[str, ...]
    hs_code: str | None
    quantity: float
    unit: str
    value: float
    currency: str


@dataclass(frozen=True, slots=True)
class Uncovered:
    line_id: str
    # Why no licence named on the order covers the line, one clause per licence tried.
    why: str


def _norm(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in folded).split())


def same_party(named: LicenceParty, party: Party) -> bool:
    """Party ids decide when both sides carry one; otherwise normalised name and country."""
    if named.party_id and party.party_id:
        return named.party_id == party.party_id
    return named.country == party.country and _norm(named.name) == _norm(party.name)


def _item_names_line(item: LicenceItem, line: LicensableLine) -> bool:
    if item.unit.casefold() != line.unit.casefold() or item.currency != line.currency:
        return False
    if item.control_code and any(control_code_covers(item.control_code, code) for code in line.control_codes):
        return True
    return bool(item.hs_code and line.hs_code and line.hs_code.startswith(item.hs_code))


def licence_unusable(licence: Licence, order: OrderEvent, as_of: date, *, watch_listed: bool) -> str | None:
    """Why the licence cannot serve this order at all, or None when it can."""
    problem: str | None = None
    if not licence.valid_from <= as_of <= licence.valid_until:
        problem = f"not valid on {as_of.isoformat()} ({licence.valid_from} to {licence.valid_until})"
    elif not same_party(licence.holder, order.exporter):
        problem = f"held by {licence.holder.name}, not the exporter {order.exporter.name}"
    elif order.destination_country not in licence.destinations:
        problem = f"does not cover destination {order.destination_country}"
    elif licence.type is LicenceType.GENERAL and watch_listed:
        problem = "is a general licence and a party is on the Watch List (single licence only)"
    elif licence.type is LicenceType.SINGLE and not (
        licence.consignee is not None
        and licence.end_user is not None
        and same_party(licence.consignee, order.consignee)
        and same_party(licence.end_user, order.end_user)
    ):
        problem = "names a different consignee or end user"
    return problem


@dataclass(frozen=True, slots=True)
class CoverPlan:
    """The one licence to draw every line from, with the item per line, or why there is none."""

    licence_number: str | None
    items: dict[str, str]
    uncovered: tuple[Uncovered, ...]


def plan_cover(
    licences: Mapping[str, Licence],
    order: OrderEvent,
    lines: Sequence[LicensableLine],
    as_of: date,
    *,
    watch_listed: bool,
) -> CoverPlan:
    """The first licence named on the order that covers every line; draws go to one licence per order
    so that all of an order's draws are applied together, in the partition that owns that licence."""
    unusable: dict[str, str] = {}
    usable: list[Licence] = []
    for number in order.licence_numbers:
        licence = licences.get(number)
        problem = (
            "is not on file"
            if licence is None
            else licence_unusable(licence, order, as_of, watch_listed=watch_listed)
        )
        if licence is not None and problem is None:
            usable.append(licence)
        else:
            unusable[number] = problem or ""
    covers: dict[str, dict[str, str]] = {}
    for licence in usable:
        covers[licence.number] = {
            line.line_id: item.item_id
            for line in lines
            for item in reversed(licence.items)
            if _item_names_line(item, line)
        }
        if len(covers[licence.number]) == len(lines):
            return CoverPlan(licence.number, covers[licence.number], ())
    uncovered: list[Uncovered] = []
    for line in lines:
        holders = [number for number, items in covers.items() if line.line_id in items]
        if holders:
            why = f"only licence {', '.join(holders)} covers it, and no single licence covers the whole order"
        else:
            clauses = [f"licence {number} {problem}" for number, problem in unusable.items()]
            clauses.extend(f"licence {number} has no item for it" for number in covers)
            why = "; ".join(clauses) or "the order names no licence"
        uncovered.append(Uncovered(line.line_id, why))
    return CoverPlan(None, {}, tuple(uncovered))
