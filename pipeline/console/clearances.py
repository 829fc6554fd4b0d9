"""The console's list of reviewers' clearances (`/clearances`, `/api/clearances`): which party match,
who cleared it, when, why and until when, and whether it is still in force. A reviewer revokes one
with a justification (`POST /clearances/revoke`, `/api/clearances/revoke`): a tombstone on the
allowlist topic and an audit record; the workers re-screen the open orders it released."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from pipeline.console import pages
from pipeline.console.actions import audit
from pipeline.console.context import CONSOLE, check_post, deny, is_api, signed_in
from pipeline.holds.clearances import ClearanceRegister, ClearanceRow
from schemas.review import AuditOutcome, Role

REVOKE = "revoke_clearance"

CLEARANCES = web.AppKey("clearances", ClearanceRegister)


def _revoke_form(key: str, csrf: str) -> str:
    esc = pages.esc
    return (
        '<form method="post" action="/clearances/revoke" class="inline">'
        f'<input type="hidden" name="csrf" value="{esc(csrf)}">'
        f'<input type="hidden" name="key" value="{esc(key)}">'
        '<input name="justification" placeholder="why it no longer holds" required size="18">'
        "<button>Revoke</button></form>"
    )


def _row_html(row: ClearanceRow, revoke: str = "") -> str:
    e = row.entry
    esc = pages.esc
    state = "in force" if row.active else "expired"
    return (
        f'<tr class="{"active" if row.active else "expired"}"><td>{esc(e.name_sent)}'
        f'<div class="muted">{esc(e.party_role)}</div></td><td>{esc(e.listed_name)}'
        f'<div class="muted">{esc(e.list)} {esc(e.entry_id)}</div></td><td>{esc(e.cleared_by)}</td>'
        f"<td>{esc(e.cleared_at.isoformat(timespec='minutes'))}</td><td>{esc(e.reason)}</td>"
        f"<td>{esc(e.expires_at.isoformat(timespec='minutes'))} ({state})</td>"
        f'<td><a href="{esc(pages.hold_url(e.order_id))}">{esc(e.order_id)}</a>'
        f'<div class="muted">{esc(e.review_id)}</div></td><td>{revoke}</td></tr>'
    )


def clearances_page_html(
    rows: list[ClearanceRow], *, user: str, csrf: str, may_act: bool = False, error: str = ""
) -> str:
    listed = "".join(_row_html(r, _revoke_form(r.key, csrf) if may_act else "") for r in rows)
    alert = f'<p class="error" role="alert">{pages.esc(error)}</p>' if error else ""
    body = (
        f'<h1>Clearances <span id="clearance-count">{len(rows)}</span></h1>{alert}'
        '<table id="clearances"><thead><tr><th>Name as sent</th><th>Listed entry</th><th>Cleared by</th>'
        "<th>When</th><th>Why</th><th>Until</th><th>Order / review</th><th></th></tr></thead>"
        f"<tbody>{listed}</tbody></table>"
    )
    return pages.layout("Clearances", body, user=user, csrf=csrf)


def _rows(request: web.Request) -> tuple[list[ClearanceRow], datetime]:
    now = request.app[CONSOLE].clock()
    return request.app[CLEARANCES].rows(now), now


async def clearances_page(request: web.Request) -> web.Response:
    session = signed_in(request)
    rows, _ = _rows(request)
    html = clearances_page_html(rows, user=session.user, csrf=session.csrf, may_act=session.role.may_act)
    return web.Response(text=html, content_type="text/html")


async def clearances_api(request: web.Request) -> web.Response:
    rows, now = _rows(request)
    listed = [{"key": row.key, "active": row.active, **row.entry.model_dump(mode="json")} for row in rows]
    return web.json_response({"now": now.isoformat(), "clearances": listed})


def _may_revoke(role: Role) -> bool:
    return role.may_act


async def revoke(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    session, fields = await check_post(request, allowed=_may_revoke, refusal="may not revoke", action=REVOKE)
    key, why = fields.get("key", ""), fields.get("justification", "").strip()
    entry = request.app[CLEARANCES].get(key)
    if entry is None:
        raise deny(request, 404, "no clearance with this key")
    if not why:
        raise deny(request, 400, "a revocation needs a justification")
    await console.outbox.revoke_clearance(key)
    await audit(
        console.outbox,
        console.clock(),
        session.user,
        REVOKE,
        AuditOutcome.APPLIED,
        order_id=entry.order_id,
        review_id=entry.review_id,
        why=why,
        detail=f"clearance of {entry.name_sent} against {entry.entry_id} by {entry.cleared_by} revoked",
    )
    if is_api(request):
        return web.json_response({"message": "clearance revoked", "key": key}, status=202)
    listing = "/clearances"
    raise web.HTTPSeeOther(listing)


ROUTES = [
    web.get("/clearances", clearances_page),
    web.get("/api/clearances", clearances_api),
    web.post("/clearances/revoke", revoke),
    web.post("/api/clearances/revoke", revoke),
]
