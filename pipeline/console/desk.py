"""Handlers of an analyst's day besides single reviews: claims, bulk actions, search, the audit trail,
closed holds and the CSV export.

Claims go to the compacted `holds.claims` topic (through the outbox) and into the console's
`ClaimBook` at once, so this console shows them before the topic is read back and every other console
and a restart see them from the topic. A bulk action is the single action repeated per order, with
the same checks, four-eyes and audit records, and a report per order.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from pipeline.console.actions import ActionRequest, perform
from pipeline.console.context import CONSOLE, Console, check_post, deny, is_api, signed_in
from pipeline.console.desk_pages import (
    ItemResult,
    audit_page,
    bulk_result_page,
    closed_page,
    confirm_deny_page,
)
from pipeline.console.export import queue_csv
from pipeline.console.pages import hold_url
from pipeline.console.paging import paging
from pipeline.holds.audit_log import AuditQuery
from pipeline.holds.claims import ClaimRefusedError, next_claim
from pipeline.holds.closed import ClosedHold, closed_holds, closed_order
from schemas.review import AuditOutcome, AuditRecord, ReviewAction, Role

MAX_BULK_ITEMS = 500
CLAIM = "claim"


def _may_act(role: Role) -> bool:
    return role.may_act


def assignable(console: Console) -> list[str]:
    """Users a hold may be assigned to: those who may act on it."""
    return sorted(name for name, user in console.users.items() if user.role.may_act)


async def claim_hold(
    console: Console, actor: str, order_id: str, assignee: str | None, *, take_over: bool
) -> ItemResult:
    """Claim, assign or unassign one open hold; every outcome is audited."""
    now = console.clock()
    entry = console.queue.get(order_id)
    action = CLAIM if assignee == actor else ("assign" if assignee else "unassign")
    try:
        if entry is None or not entry.is_open_hold:
            msg = f"order {order_id} is not an open hold"
            raise ClaimRefusedError(msg)
        if assignee is not None and assignee not in assignable(console):
            msg = f"{assignee} is not a reviewer who may work holds"
            raise ClaimRefusedError(msg)
        claim = next_claim(console.claims, order_id, actor, assignee, now, take_over=take_over)
    except ClaimRefusedError as refused:
        await _audit(console, actor, action, AuditOutcome.REFUSED, order_id=order_id, detail=refused.reason)
        return ItemResult(order_id, "refused", refused.reason)
    await console.outbox.claim(claim)
    console.claims.add(claim)
    message = f"assigned to {assignee}" if assignee else "unassigned"
    await _audit(console, actor, action, AuditOutcome.APPLIED, order_id=order_id, detail=message)
    return ItemResult(order_id, "sent", message)


async def _audit(
    console: Console, actor: str, action: str, outcome: AuditOutcome, *, order_id: str, detail: str
) -> None:
    record = AuditRecord(
        audit_id=str(uuid.uuid4()),
        at=console.clock(),
        actor=actor,
        action=action,
        outcome=outcome,
        order_id=order_id,
        detail=detail,
    )
    await console.outbox.audit(record)
    console.audit_log.add(record)


async def claim(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    session, fields = await check_post(request, allowed=_may_act, refusal="may not claim holds", action=CLAIM)
    order_id = request.match_info["order_id"]
    wanted = fields.get("assignee", session.user).strip() or None
    result = await claim_hold(
        console, session.user, order_id, wanted, take_over=fields.get("take_over") in {"yes", "true", "1"}
    )
    status = 409 if result.outcome == "refused" else 200
    if is_api(request):
        return web.json_response({"message": result.message, "assignee": wanted}, status=status)
    if status != 200:
        raise deny(request, 409, result.message)
    notice = "claimed" if wanted == session.user else ("assigned" if wanted else "unassigned")
    location = f"{hold_url(order_id)}?{urlencode({'notice': notice})}"
    raise web.HTTPSeeOther(location)


async def _bulk_items(request: web.Request) -> list[tuple[str, str]]:
    """(order id, decision id seen) of each selected hold; "" when the client sent no decision id.

    The queue's checkboxes carry `<decision id>|<order id>`, so an order whose decision changed after it
    was selected is refused as stale rather than acted on unseen.
    """
    if request.content_type == "application/json":
        body: Any = await request.json()
        raw = body.get("orders", []) if isinstance(body, dict) else []
        items = [
            (str(o.get("order_id", "")), str(o.get("decision_id", ""))) for o in raw if isinstance(o, dict)
        ]
    else:
        form = await request.post()
        items = []
        for value in form.getall("order_id", []):
            if isinstance(value, str):
                decision_id, sep, order_id = value.partition("|")
                items.append((order_id, decision_id) if sep else (value, ""))
    return list(dict.fromkeys(items))


async def bulk(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    session, fields = await check_post(
        request, allowed=_may_act, refusal="may not act on holds", action="bulk"
    )
    action = fields.get("action", "")
    items = await _bulk_items(request)
    if not items:
        raise deny(request, 400, "select at least one hold")
    if len(items) > MAX_BULK_ITEMS:
        message = f"at most {MAX_BULK_ITEMS} holds at once"
        raise deny(request, 400, message)
    if action != CLAIM and action not in set(ReviewAction) - {ReviewAction.CLEAR_MATCH}:
        message = f"unknown bulk action {action!r}"
        raise deny(request, 400, message)
    # As for one hold: a deny without a justification is refused (per order) without asking first.
    justified = bool(fields.get("justification", "").strip())
    if action == ReviewAction.DENY and justified and not is_api(request) and fields.get("confirmed") != "yes":
        html = confirm_deny_page(
            "/holds/bulk",
            [o for o, _ in items],
            fields,
            user=session.user,
            csrf=session.csrf,
            back="/",
            selection=[f"{d}|{o}" if d else o for o, d in items],
        )
        return web.Response(text=html, content_type="text/html")
    results = [await _one(console, session.user, action, fields, (order, seen)) for order, seen in items]
    if is_api(request):
        return web.json_response({"action": action, "results": [_dict(r) for r in results]})
    html = bulk_result_page(
        action, results, user=session.user, csrf=session.csrf, admin=session.role is Role.ADMIN
    )
    return web.Response(text=html, content_type="text/html")


def _dict(result: ItemResult) -> dict[str, str]:
    return {"order_id": result.order_id, "outcome": result.outcome, "message": result.message}


async def _one(
    console: Console, user: str, action: str, fields: dict[str, str], item: tuple[str, str]
) -> ItemResult:
    order_id, seen = item
    if action == CLAIM:
        return await claim_hold(console, user, order_id, user, take_over=False)
    request = ActionRequest(
        order_id=order_id, action=action, decision_id=seen, justification=fields.get("justification", "")
    )
    result = await perform(console.queue, console.outbox, user, request, console.clock())
    if result.status >= 400:
        return ItemResult(order_id, "refused", result.message)
    outcome = "awaiting_second_approval" if result.awaiting_second_approval else "sent"
    return ItemResult(order_id, outcome, result.message)


async def search(request: web.Request) -> web.Response:
    """An order id to its page, open or closed; otherwise the open holds whose id contains it."""
    console = request.app[CONSOLE]
    wanted = request.query.get("order_id", "").strip()
    if wanted and (console.queue.get(wanted) is not None or closed_of(console, wanted) is not None):
        raise web.HTTPSeeOther(hold_url(wanted))
    location = f"/?{urlencode({'order': wanted, 'notice': 'order_not_found'})}"
    raise web.HTTPSeeOther(location)


def closed_of(console: Console, order_id: str) -> ClosedHold | None:
    """How the order's hold closed, from what this console saw or the audit trail; None if open or unknown."""
    return closed_order(console.queue.get(order_id), console.audit_log.closing(order_id))


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


async def audit_view(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    session = signed_in(request)
    q = request.query
    query = AuditQuery(
        order=q.get("order", "").strip(),
        actor=q.get("actor", "").strip(),
        action=q.get("action", "").strip(),
        since=_date(q.get("since", "")),
        until=_date(q.get("until", "")),
    )
    bad = [name for name in ("since", "until") if q.get(name) and _date(q[name]) is None]
    found = console.audit_log.search(query)
    pages = paging(q, len(found))
    html = audit_page(
        pages.window(found),
        query,
        pages,
        q,
        console.audit_log.actions(),
        user=session.user,
        csrf=session.csrf,
        admin=session.role is Role.ADMIN,
        dropped=console.audit_log.dropped,
        error=f"not a date (YYYY-MM-DD): {', '.join(bad)}" if bad else "",
    )
    return web.Response(text=html, content_type="text/html")


async def closed_view(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    session = signed_in(request)
    order = request.query.get("order", "").strip()
    found = closed_holds(console.queue.files(), order, console.audit_log.closings())
    pages = paging(request.query, len(found))
    html = closed_page(
        pages.window(found),
        order,
        pages,
        request.query,
        user=session.user,
        csrf=session.csrf,
        admin=session.role is Role.ADMIN,
    )
    return web.Response(text=html, content_type="text/html")


def export_response(console: Console, rows: Sequence[Any]) -> web.Response:
    body = queue_csv(((row, console.claims.assignee(row.order_id)) for row in rows), console.sla_seconds)
    stamp = console.clock().strftime("%Y%m%dT%H%M%SZ")
    return web.Response(
        text=body,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="holds-{stamp}.csv"'},
    )
