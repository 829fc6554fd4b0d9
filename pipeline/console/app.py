"""The console's aiohttp application: pages, JSON API and the routes of sign-in and session admin.

A signed-in viewer may read everything; acting on a hold needs the reviewer or admin role (else 403);
seeing and revoking sessions needs the admin role. Sign-in and sessions: `signin` and `sessions`.
"""

from __future__ import annotations

import functools
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from aiohttp import web
from aiohttp_session import session_middleware
from prometheus_client import CollectorRegistry

from pipeline.console import admin, desk, pages, signin
from pipeline.console.actions import ActionRequest, perform
from pipeline.console.auth import User, check_session_secret, hash_password
from pipeline.console.clearances import CLEARANCES
from pipeline.console.clearances import ROUTES as CLEARANCE_ROUTES
from pipeline.console.context import (
    CONSOLE,
    Clock,
    Console,
    SignedIn,
    SignInPolicy,
    check_post,
    deny,
    is_api,
    signed_in,
)
from pipeline.console.desk_pages import closed_hold_page, confirm_deny_page
from pipeline.console.paging import paging
from pipeline.console.queue_page import RowView, queue_row
from pipeline.console.queue_page import queue_page as render_queue
from pipeline.console.sessions import SessionStore
from pipeline.console.throttle import SignInThrottle
from pipeline.holds.audit_log import AuditLog
from pipeline.holds.claims import ClaimBook
from pipeline.holds.clearances import ClearanceRegister
from pipeline.holds.closed import ClosedHold, closed_hold, closed_json
from pipeline.holds.outbox import HoldsOutbox
from pipeline.holds.queue import HoldFilter, HoldQueue, SortOrder
from pipeline.metrics.web import metrics_handler
from schemas.review import ReviewAction, Role

STATIC_DIR = Path(__file__).resolve().parent / "static"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _may_act(role: Role) -> bool:
    return role.may_act


def _filter(request: web.Request) -> HoldFilter:
    q = request.query

    def hours(name: str) -> float | None:
        try:
            return float(q[name]) if q.get(name) else None
        except ValueError:
            return None

    sort = SortOrder.NEWEST if q.get("sort") == SortOrder.NEWEST else SortOrder.OLDEST
    return HoldFilter(
        order=q.get("order", "").strip(),
        rule=q.get("rule", "").strip(),
        reason=q.get("reason", "").strip(),
        destination=q.get("destination", "").strip(),
        party=q.get("party", "").strip(),
        min_age_hours=hours("min_age_hours"),
        max_age_hours=hours("max_age_hours"),
        sort=sort,
    )


def _row_view(console: Console, session: SignedIn) -> RowView:
    return RowView(sla_seconds=console.sla_seconds, selectable=session.role.may_act)


async def queue_page(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    session = signed_in(request)
    wanted = _filter(request)
    rows = console.queue.open_holds(console.clock(), wanted)
    pages_ = paging(request.query, len(rows))
    html = render_queue(
        [(row, console.claims.assignee(row.order_id)) for row in pages_.window(rows)],
        wanted,
        pages_,
        request.query,
        _row_view(console, session),
        user=session.user,
        csrf=session.csrf,
        notice=request.query.get("notice", ""),
        admin=session.role is Role.ADMIN,
    )
    return web.Response(text=html, content_type="text/html")


async def holds_api(request: web.Request) -> web.Response:
    """One page of the filtered queue (`page`, `per_page`), each row also as the queue page's HTML."""
    console = request.app[CONSOLE]
    now = console.clock()
    rows = console.queue.open_holds(now, _filter(request))
    pages_ = paging(request.query, len(rows))
    view = _row_view(console, signed_in(request))
    holds = []
    for row in pages_.window(rows):
        assignee = console.claims.assignee(row.order_id)
        holds.append(
            {
                **asdict(row),
                "held_since": row.held_since.isoformat(),
                "claimed_by": assignee,
                "row_html": queue_row(row, assignee, view),
            }
        )
    return web.json_response(
        {
            "version": console.queue.version + console.claims.version,
            "now": now.isoformat(),
            "total": pages_.total,
            "page": pages_.number,
            "pages": pages_.pages,
            "holds": holds,
        }
    )


async def export_csv(request: web.Request) -> web.Response:
    """Every open hold the filter selects, all pages, as CSV."""
    console = request.app[CONSOLE]
    return desk.export_response(console, console.queue.open_holds(console.clock(), _filter(request)))


def _closed_or_404(request: web.Request) -> ClosedHold:
    """How an order missing from the queue closed, from the audit trail; 404 when nothing is known."""
    closed = desk.closed_of(request.app[CONSOLE], request.match_info["order_id"])
    if closed is None:
        raise deny(request, 404, "no decision known for this order")
    return closed


async def hold_page(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    session = signed_in(request)
    entry = request.app[CONSOLE].queue.get(request.match_info["order_id"])
    if entry is None:
        closed = _closed_or_404(request)
        html = closed_hold_page(
            closed, user=session.user, csrf=session.csrf, admin=session.role is Role.ADMIN
        )
        return web.Response(text=html, content_type="text/html")
    html = pages.detail_page(
        entry,
        console.clock(),
        user=session.user,
        csrf=session.csrf,
        may_act=session.role.may_act,
        notice=request.query.get("notice", ""),
        assignee=console.claims.assignee(entry.order_id),
        assignable=desk.assignable(console),
    )
    return web.Response(text=html, content_type="text/html")


async def hold_api(request: web.Request) -> web.Response:
    entry = request.app[CONSOLE].queue.get(request.match_info["order_id"])
    if entry is None or entry.current is None:
        gone = _closed_or_404(request)
        return web.json_response({"order_id": gone.order_id, "open": False, "closed": closed_json(gone)})
    closed = closed_hold(entry)
    return web.json_response(
        {
            "order_id": entry.order_id,
            "open": entry.is_open_hold,
            "closed": closed_json(closed) if closed is not None else None,
            "approvals": list(entry.approvals()),
            "current": entry.current.model_dump(mode="json"),
            "decisions": [d.model_dump(mode="json") for d in entry.decisions],
            "reviews": [r.model_dump(mode="json") for r in entry.reviews],
            "order": entry.order.model_dump(mode="json") if entry.order else None,
        }
    )


async def act(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    session, fields = await check_post(request, allowed=_may_act, refusal="may not act on holds")
    order_id = request.match_info["order_id"]
    if _needs_confirmation(request, fields):
        html = confirm_deny_page(
            f"{pages.hold_url(order_id)}/{ReviewAction.DENY}",
            [order_id],
            fields,
            user=session.user,
            csrf=session.csrf,
            back=pages.hold_url(order_id),
        )
        return web.Response(text=html, content_type="text/html")
    action_request = ActionRequest(
        order_id=order_id,
        action=request.match_info["action"],
        decision_id=fields.get("decision_id", ""),
        justification=fields.get("justification", ""),
        entry_id=fields.get("entry_id", ""),
        name_sent=fields.get("name_sent", ""),
        expires_days=fields.get("expires_days", ""),
    )
    result = await perform(console.queue, console.outbox, session.user, action_request, console.clock())
    if is_api(request):
        return web.json_response(
            {
                "message": result.message,
                "review_id": result.review_id,
                "awaiting_second_approval": result.awaiting_second_approval,
            },
            status=result.status,
        )
    if result.status >= 400:
        entry = console.queue.get(order_id)
        if entry is None:
            raise deny(request, result.status, result.message)
        html = pages.detail_page(
            entry, console.clock(), user=session.user, csrf=session.csrf, may_act=True, error=result.message
        )
        return web.Response(status=result.status, text=html, content_type="text/html")
    location = f"{pages.hold_url(order_id)}?{urlencode({'notice': result.notice})}"
    raise web.HTTPSeeOther(location)


def _needs_confirmation(request: web.Request, fields: dict[str, str]) -> bool:
    """A deny from a page is sent only once confirmed: by the page's dialog, else by a page of its own.
    API clients (the CLI asks on its own) confirm by calling."""
    return (
        request.match_info["action"] == ReviewAction.DENY
        and not is_api(request)
        and bool(fields.get("justification", "").strip())
        and fields.get("confirmed") != "yes"
    )


_SECURITY_HEADERS = {
    # Pages load only their own script and style; no framing, so actions cannot be click-jacked.
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


async def _add_security_headers(_: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(_SECURITY_HEADERS)


async def healthz(_: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def build_app(
    queue: HoldQueue,
    outbox: HoldsOutbox,
    users: dict[str, User],
    secret: str,
    clock: Clock = _utc_now,
    *,
    policy: SignInPolicy | None = None,
    metrics: CollectorRegistry | None = None,
    clearances: ClearanceRegister | None = None,
    claims: ClaimBook | None = None,
    audit_log: AuditLog | None = None,
    hold_sla_seconds: float = 4 * 3600.0,
) -> web.Application:
    policy = policy or SignInPolicy()
    sessions = SessionStore(lifetime=policy.session_lifetime, clock=clock, secure=policy.secure_cookie)
    throttle = SignInThrottle(
        max_failures_per_user=policy.max_failures_per_user,
        max_failures_per_address=policy.max_failures_per_address,
        window_seconds=policy.lockout_seconds,
    )
    hasher = ThreadPoolExecutor(max_workers=2, thread_name_prefix="console-password")
    console = Console(
        queue,
        outbox,
        users,
        check_session_secret(secret),
        sessions,
        throttle,
        hasher,
        decoy_hash=hash_password(secrets.token_urlsafe(16)),
        clock=clock,
        claims=claims or ClaimBook(),
        audit_log=audit_log or AuditLog(),
        sla_seconds=hold_sla_seconds,
    )
    app = web.Application(middlewares=[session_middleware(sessions), signin.require_session])
    app[CONSOLE] = console
    app[CLEARANCES] = clearances if clearances is not None else ClearanceRegister()
    app.on_response_prepare.append(_add_security_headers)
    app.on_cleanup.append(functools.partial(_stop_hasher, hasher))
    app.add_routes(
        [
            web.get("/login", signin.login_form),
            web.post("/login", signin.login),
            web.post("/logout", signin.logout),
            web.get("/", queue_page),
            web.get("/holds/{order_id}", hold_page),
            web.post("/holds/bulk", desk.bulk),
            web.post("/holds/{order_id}/claim", desk.claim),
            web.post("/holds/{order_id}/{action}", act),
            web.get("/api/holds", holds_api),
            web.get("/api/holds/{order_id}", hold_api),
            web.post("/api/holds/bulk", desk.bulk),
            web.post("/api/holds/{order_id}/claim", desk.claim),
            web.post("/api/holds/{order_id}/{action}", act),
            web.get("/closed", desk.closed_view),
            web.get("/audit", desk.audit_view),
            web.get("/search", desk.search),
            web.get("/export.csv", export_csv),
            web.get("/admin/sessions", admin.sessions_page),
            web.post("/admin/sessions/{user}/revoke", admin.revoke_sessions),
            web.post("/api/users/{user}/revoke-sessions", admin.revoke_sessions),
            web.get("/healthz", healthz),
            web.static("/static", STATIC_DIR),
            *CLEARANCE_ROUTES,
        ]
    )
    if metrics is not None:
        app.router.add_get("/metrics", metrics_handler(metrics))
    return app


async def _stop_hasher(hasher: ThreadPoolExecutor, _: web.Application) -> None:
    hasher.shutdown(wait=False, cancel_futures=True)


__all__ = ["Role", "build_app"]
