"""Signing in and out, and the middleware that lets only signed-in users past.

HTML requests without a session are redirected to the sign-in page; `/api/` requests and other POSTs
get 401. Sign-in is throttled per user name and per client address; every attempt that reaches the
password check runs scrypt once, in the hashing threads, for unknown names too. Refused attempts are
audited under a bounded, visible rendering of the name typed, never with the password.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode, urlsplit

from aiohttp import web
from aiohttp_session import get_session, new_session

from pipeline.console import pages
from pipeline.console.actions import audit
from pipeline.console.auth import User, password_fingerprint, verify_password
from pipeline.console.context import (
    CONSOLE,
    SIGNED_IN,
    Console,
    SignedIn,
    check_post,
    deny,
    is_api,
    read_fields,
)
from pipeline.holds.terminal import bounded
from schemas.review import AuditOutcome

LOGIN_CSRF_COOKIE = "console_login_csrf"
# Longer names are no user's (reviewer names are at most 100 characters in a review).
MAX_NAME_LENGTH = 100
AUDITED_NAME_LENGTH = 64
MAX_NEXT_LENGTH = 2000
# Prometheus scrapes /metrics without a session: it carries counts and ages, never order data.
_ALLOWED_WITHOUT_SESSION = ("/login", "/static/", "/healthz", "/metrics")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def local_path(candidate: str) -> str:
    """`candidate` when it is a path on this console, else "/": no redirect off the host after sign-in.

    Browsers drop tabs and newlines from URLs and read a backslash as a slash, so `/\\t/evil` and `/\\evil`
    would leave the host; anything that is not printable, any whitespace, and any backslash is refused.
    """
    parts = urlsplit(candidate)
    if (
        not candidate.startswith("/")
        or candidate.startswith("//")
        or "\\" in candidate
        or len(candidate) > MAX_NEXT_LENGTH
        or not candidate.isprintable()
        or any(ch.isspace() for ch in candidate)
        or parts.scheme
        or parts.netloc
    ):
        return "/"
    return candidate


@web.middleware
async def require_session(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(_ALLOWED_WITHOUT_SESSION):
        return await handler(request)
    console = request.app[CONSOLE]
    session = await get_session(request)
    stored = console.sessions.current(session.identity if isinstance(session.identity, str) else None)
    user = console.users.get(stored.user) if stored else None
    # The role comes from the configuration, not the session: a changed or removed user takes effect at
    # once, and a changed password ends the sessions signed in with the old one.
    if (
        stored is not None
        and user is not None
        and hmac.compare_digest(stored.fingerprint, password_fingerprint(console.secret, user.password_hash))
    ):
        request[SIGNED_IN] = SignedIn(user.name, user.role, stored.csrf, stored.key)
        return await handler(request)
    if stored is not None:
        console.sessions.drop(stored.key)
    if is_api(request) or request.method != "GET":
        raise deny(request, 401, "sign in first")
    raise web.HTTPFound("/login?" + urlencode({"next": request.path_qs}))


async def login_form(request: web.Request) -> web.Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    next_url = local_path(request.query.get("next", "/"))
    response = web.Response(text=pages.login_page(token, next_url=next_url), content_type="text/html")
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="Strict", path="/login")
    return response


async def _signing_in(console: Console, name: str, password: str) -> User | None:
    """The user whose name and password these are, or None."""
    user = console.users.get(name) if len(name) <= MAX_NAME_LENGTH else None
    encoded = user.password_hash if user is not None else console.decoy_hash
    loop = asyncio.get_running_loop()
    matches = await loop.run_in_executor(console.hasher, verify_password, password, encoded)
    return user if matches else None


def _refused_page(status: int, token: str, error: str, next_url: str) -> web.Response:
    return web.Response(
        status=status,
        text=pages.login_page(token, error=error, next_url=next_url),
        content_type="text/html",
    )


async def login(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    fields = await read_fields(request)
    token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    next_url = local_path(fields.get("next", "/"))
    if not token or not hmac.compare_digest(token, fields.get("csrf", "")):
        raise deny(request, 403, "missing or wrong CSRF token")
    name = fields.get("username", "")
    address = request.remote or "unknown"
    if wait := console.throttle.admit(name, address):
        refused = _refused_page(429, token, "Too many failed sign-ins. Try again later.", next_url)
        refused.headers["Retry-After"] = str(wait)
        return refused
    user: User | None = None
    try:
        user = await _signing_in(console, name, fields.get("password", ""))
    finally:
        # Settled even when the request is cancelled mid-hash, as a failure: the attempt was made.
        locked = console.throttle.settle(name, address, succeeded=user is not None)
    if user is None:
        detail = "wrong user or password" + (
            f"; locked out for up to {console.throttle.window_seconds} s" if locked else ""
        )
        actor = bounded(name, AUDITED_NAME_LENGTH) or "?"
        await audit(console.outbox, console.clock(), actor, "sign_in", AuditOutcome.REFUSED, detail=detail)
        return _refused_page(401, token, "Wrong user or password.", next_url)
    previous = await get_session(request)
    console.sessions.drop(previous.identity)
    session = await new_session(request)
    session["user"] = user.name
    session["fingerprint"] = password_fingerprint(console.secret, user.password_hash)
    await audit(
        console.outbox,
        console.clock(),
        user.name,
        "sign_in",
        AuditOutcome.APPLIED,
        detail=f"role {user.role}",
    )
    response = web.HTTPSeeOther(next_url)
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/login")
    raise response


async def logout(request: web.Request) -> web.Response:
    signed, _ = await check_post(request)
    console = request.app[CONSOLE]
    (await get_session(request)).invalidate()
    console.sessions.drop(signed.session_key)
    await audit(console.outbox, console.clock(), signed.user, "sign_out", AuditOutcome.APPLIED)
    signed_out = "/login"
    raise web.HTTPSeeOther(signed_out)
