"""The console's aiohttp application: pages, JSON API, sign-in, CSRF and role checks.

HTML requests without a session are redirected to the sign-in page; `/api/` requests get 401. A
signed-in viewer may read everything; acting on a hold needs the reviewer or admin role (else 403).
Every POST carries the session's CSRF token (form field `csrf` or header `X-CSRF-Token`).
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from prometheus_client import CollectorRegistry

from pipeline.console import pages
from pipeline.console.actions import ActionRequest, audit, perform
from pipeline.console.auth import Session, SessionSigner, User, verify_password
from pipeline.holds.outbox import HoldsOutbox
from pipeline.holds.queue import HoldFilter, HoldQueue, SortOrder
from pipeline.metrics.web import metrics_handler
from schemas.review import AuditOutcome, Role

STATIC_DIR = Path(__file__).resolve().parent / "static"
SESSION_COOKIE = "console_session"
LOGIN_CSRF_COOKIE = "console_login_csrf"
# Prometheus scrapes /metrics without a session: it carries counts and ages, never order data.
_ALLOWED_WITHOUT_SESSION = ("/login", "/static/", "/healthz", "/metrics")

Clock = Callable[[], datetime]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(slots=True)
class Console:
    queue: HoldQueue
    outbox: HoldsOutbox
    users: dict[str, User]
    signer: SessionSigner
    clock: Clock


CONSOLE = web.AppKey("console", Console)
SESSION = web.RequestKey("session", Session)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _is_api(request: web.Request) -> bool:
    return request.path.startswith("/api/")


_ERRORS: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest,
    401: web.HTTPUnauthorized,
    403: web.HTTPForbidden,
    404: web.HTTPNotFound,
    409: web.HTTPConflict,
}


def _deny(request: web.Request, status: int, message: str) -> web.HTTPException:
    """An error to raise: JSON for the API, plain text for pages."""
    error = _ERRORS[status]
    if _is_api(request):
        return error(text=json.dumps({"error": message}), content_type="application/json")
    return error(text=message, content_type="text/plain")


@web.middleware
async def _session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    console = request.app[CONSOLE]
    session = console.signer.verify(request.cookies.get(SESSION_COOKIE, ""), console.clock())
    user = console.users.get(session.user) if session else None
    # The role comes from the configuration, not the cookie: a changed or removed user takes effect at once.
    if session is not None and user is not None:
        request[SESSION] = Session(user.name, user.role, session.expires_at, session.csrf)
    elif not request.path.startswith(_ALLOWED_WITHOUT_SESSION):
        if _is_api(request) or request.method != "GET":
            raise _deny(request, 401, "sign in first")
        raise web.HTTPFound("/login?" + urlencode({"next": request.path_qs}))
    return await handler(request)


def _session(request: web.Request) -> Session:
    return request[SESSION]


async def _check_post(request: web.Request, *, needs_action_role: bool) -> tuple[Session, dict[str, str]]:
    """The session and the form or JSON fields of a POST, after the CSRF and role checks."""
    session = _session(request)
    fields: dict[str, str]
    if request.content_type == "application/json":
        body: Any = await request.json()
        fields = {str(k): str(v) for k, v in body.items()} if isinstance(body, dict) else {}
        token = request.headers.get("X-CSRF-Token", "")
    else:
        form = await request.post()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        token = fields.get("csrf", "")
    if not hmac.compare_digest(token, session.csrf):
        raise _deny(request, 403, "missing or wrong CSRF token")
    if needs_action_role and not session.role.may_act:
        console = request.app[CONSOLE]
        await audit(
            console.outbox,
            console.clock(),
            session.user,
            request.match_info.get("action", "post"),
            AuditOutcome.REFUSED,
            order_id=request.match_info.get("order_id"),
            why=fields.get("justification", ""),
            detail=f"role {session.role} may not act on holds",
        )
        raise _deny(request, 403, f"role {session.role} may not act on holds")
    return session, fields


def _filter(request: web.Request) -> HoldFilter:
    q = request.query

    def hours(name: str) -> float | None:
        try:
            return float(q[name]) if q.get(name) else None
        except ValueError:
            return None

    sort = SortOrder.NEWEST if q.get("sort") == SortOrder.NEWEST else SortOrder.OLDEST
    return HoldFilter(
        rule=q.get("rule", "").strip(),
        reason=q.get("reason", "").strip(),
        destination=q.get("destination", "").strip(),
        party=q.get("party", "").strip(),
        min_age_hours=hours("min_age_hours"),
        max_age_hours=hours("max_age_hours"),
        sort=sort,
    )


async def login_form(request: web.Request) -> web.Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = web.Response(
        text=pages.login_page(token, next_url=request.query.get("next", "/")), content_type="text/html"
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="Strict", path="/login")
    return response


async def login(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    form = await request.post()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    next_url = fields.get("next", "/")
    if not next_url.startswith("/") or next_url.startswith("//") or "\\" in next_url:
        next_url = "/"  # only paths on this console: no open redirect after sign-in
    if not token or not hmac.compare_digest(token, fields.get("csrf", "")):
        raise _deny(request, 403, "missing or wrong CSRF token")
    name = fields.get("username", "")
    user = console.users.get(name)
    now = console.clock()
    if user is None or not verify_password(fields.get("password", ""), user.password_hash):
        await audit(
            console.outbox, now, name or "?", "sign_in", AuditOutcome.REFUSED, detail="wrong user or password"
        )
        return web.Response(
            status=401,
            text=pages.login_page(token, error="Wrong user or password.", next_url=next_url),
            content_type="text/html",
        )
    cookie, _ = console.signer.issue(user, now)
    await audit(console.outbox, now, user.name, "sign_in", AuditOutcome.APPLIED, detail=f"role {user.role}")
    response = web.HTTPSeeOther(next_url)
    response.set_cookie(SESSION_COOKIE, cookie, httponly=True, samesite="Strict", path="/")
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/login")
    raise response


async def logout(request: web.Request) -> web.Response:
    session, _ = await _check_post(request, needs_action_role=False)
    console = request.app[CONSOLE]
    await audit(console.outbox, console.clock(), session.user, "sign_out", AuditOutcome.APPLIED)
    response = web.HTTPSeeOther("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


async def queue_page(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    session = _session(request)
    wanted = _filter(request)
    rows = console.queue.open_holds(console.clock(), wanted)
    html = pages.queue_page(
        rows, wanted, user=session.user, csrf=session.csrf, notice=request.query.get("notice", "")
    )
    return web.Response(text=html, content_type="text/html")


async def holds_api(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    now = console.clock()
    rows = console.queue.open_holds(now, _filter(request))
    holds = [
        {**asdict(row), "held_since": row.held_since.isoformat(), "row_html": pages.queue_row(row)}
        for row in rows
    ]
    return web.json_response({"version": console.queue.version, "now": now.isoformat(), "holds": holds})


def _entry_or_404(request: web.Request) -> Any:
    entry = request.app[CONSOLE].queue.get(request.match_info["order_id"])
    if entry is None:
        raise _deny(request, 404, "no decision known for this order")
    return entry


async def hold_page(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    session = _session(request)
    entry = _entry_or_404(request)
    html = pages.detail_page(
        entry,
        console.clock(),
        user=session.user,
        csrf=session.csrf,
        may_act=session.role.may_act,
        notice=request.query.get("notice", ""),
    )
    return web.Response(text=html, content_type="text/html")


async def hold_api(request: web.Request) -> web.Response:
    entry = _entry_or_404(request)
    return web.json_response(
        {
            "order_id": entry.order_id,
            "open": entry.is_open_hold,
            "approvals": list(entry.approvals()),
            "current": entry.current.model_dump(mode="json"),
            "decisions": [d.model_dump(mode="json") for d in entry.decisions],
            "reviews": [r.model_dump(mode="json") for r in entry.reviews],
            "order": entry.order.model_dump(mode="json") if entry.order else None,
        }
    )


async def act(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    session, fields = await _check_post(request, needs_action_role=True)
    order_id = request.match_info["order_id"]
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
    if _is_api(request):
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
            raise _deny(request, result.status, result.message)
        html = pages.detail_page(
            entry, console.clock(), user=session.user, csrf=session.csrf, may_act=True, error=result.message
        )
        return web.Response(status=result.status, text=html, content_type="text/html")
    location = f"{pages.hold_url(order_id)}?{urlencode({'notice': result.message})}"
    raise web.HTTPSeeOther(location)


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
    signer: SessionSigner,
    clock: Clock = _utc_now,
    *,
    metrics: CollectorRegistry | None = None,
) -> web.Application:
    app = web.Application(middlewares=[_session_middleware])
    app[CONSOLE] = Console(queue, outbox, users, signer, clock)
    app.on_response_prepare.append(_add_security_headers)
    app.add_routes(
        [
            web.get("/login", login_form),
            web.post("/login", login),
            web.post("/logout", logout),
            web.get("/", queue_page),
            web.get("/holds/{order_id}", hold_page),
            web.post("/holds/{order_id}/{action}", act),
            web.get("/api/holds", holds_api),
            web.get("/api/holds/{order_id}", hold_api),
            web.post("/api/holds/{order_id}/{action}", act),
            web.get("/healthz", healthz),
            web.static("/static", STATIC_DIR),
        ]
    )
    if metrics is not None:
        app.router.add_get("/metrics", metrics_handler(metrics))
    return app


__all__ = ["Role", "build_app"]
