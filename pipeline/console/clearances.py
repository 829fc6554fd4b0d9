"""The console's list of reviewers' clearances (`/clearances`, `/api/clearances`): which party match,
who cleared it, when, why and until when, and whether it is still in force."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from pipeline.console import pages
from pipeline.console.context import CONSOLE, signed_in
from pipeline.holds.clearances import ClearanceRegister, ClearanceRow

CLEARANCES = web.AppKey("clearances", ClearanceRegister)


def _row_html(row: ClearanceRow) -> str:
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
        f'<div class="muted">{esc(e.review_id)}</div></td></tr>'
    )


def clearances_page_html(rows: list[ClearanceRow], *, user: str, csrf: str) -> str:
    body = (
        f'<h1>Clearances <span id="clearance-count">{len(rows)}</span></h1>'
        '<table id="clearances"><thead><tr><th>Name as sent</th><th>Listed entry</th><th>Cleared by</th>'
        "<th>When</th><th>Why</th><th>Until</th><th>Order / review</th></tr></thead>"
        f"<tbody>{''.join(_row_html(r) for r in rows)}</tbody></table>"
    )
    return pages._layout("Clearances", body, user=user, csrf=csrf)


def _rows(request: web.Request) -> tuple[list[ClearanceRow], datetime]:
    now = request.app[CONSOLE].clock()
    return request.app[CLEARANCES].rows(now), now


async def clearances_page(request: web.Request) -> web.Response:
    session = signed_in(request)
    rows, _ = _rows(request)
    html = clearances_page_html(rows, user=session.user, csrf=session.csrf)
    return web.Response(text=html, content_type="text/html")


async def clearances_api(request: web.Request) -> web.Response:
    rows, now = _rows(request)
    listed = [{"key": row.key, "active": row.active, **row.entry.model_dump(mode="json")} for row in rows]
    return web.json_response({"now": now.isoformat(), "clearances": listed})


ROUTES = [web.get("/clearances", clearances_page), web.get("/api/clearances", clearances_api)]
