"""What every console handler shares: the console's state, the signed-in session, errors, POST bodies.

A POST body is a form or a JSON object; anything else, malformed JSON included, is a 400. Every POST
carries the session's CSRF token (form field `csrf` or header `X-CSRF-Token`).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from pipeline.console.actions import audit
from pipeline.console.auth import User
from pipeline.console.sessions import SessionStore
from pipeline.console.throttle import SignInThrottle
from pipeline.holds.audit_log import AuditLog
from pipeline.holds.claims import ClaimBook
from pipeline.holds.outbox import HoldsOutbox
from pipeline.holds.queue import HoldQueue
from pipeline.settings import Settings
from schemas.review import AuditOutcome, Role

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class SignInPolicy:
    """How long sessions last, whether their cookie is Secure, and when sign-ins are refused."""

    session_lifetime: timedelta = timedelta(hours=10)
    secure_cookie: bool = False
    max_failures_per_user: int = 5
    max_failures_per_address: int = 20
    lockout_seconds: int = 900

    @classmethod
    def from_settings(cls, settings: Settings) -> SignInPolicy:
        return cls(
            session_lifetime=timedelta(hours=settings.console_session_hours),
            secure_cookie=settings.console_secure_cookie,
            max_failures_per_user=settings.console_signin_max_failures,
            max_failures_per_address=settings.console_signin_max_failures_per_address,
            lockout_seconds=settings.console_lockout_seconds,
        )


@dataclass(slots=True)
class Console:
    queue: HoldQueue
    outbox: HoldsOutbox
    users: dict[str, User]
    secret: str
    sessions: SessionStore
    throttle: SignInThrottle
    # scrypt runs here, never on the event loop; two threads bound its CPU and memory (16 MiB each).
    hasher: ThreadPoolExecutor
    # Unknown users are checked against this hash, so they take as long to refuse as known ones.
    decoy_hash: str
    clock: Clock
    claims: ClaimBook = field(default_factory=ClaimBook)
    audit_log: AuditLog = field(default_factory=AuditLog)
    # A hold older than this is highlighted as past its review SLA (Settings.hold_sla_seconds).
    sla_seconds: float = 4 * 3600.0


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The request's user, with the role from the configuration (not from the session)."""

    user: str
    role: Role
    csrf: str
    session_key: str


CONSOLE = web.AppKey("console", Console)
SIGNED_IN = web.RequestKey("signed_in", SignedIn)


def is_api(request: web.Request) -> bool:
    return request.path.startswith("/api/")


_ERRORS: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest,
    401: web.HTTPUnauthorized,
    403: web.HTTPForbidden,
    404: web.HTTPNotFound,
    409: web.HTTPConflict,
    503: web.HTTPServiceUnavailable,
}


def deny(request: web.Request, status: int, message: str) -> web.HTTPException:
    """An error to raise: JSON for the API, plain text for pages."""
    error = _ERRORS[status]
    if is_api(request):
        return error(text=json.dumps({"error": message}), content_type="application/json")
    return error(text=message, content_type="text/plain")


async def read_fields(request: web.Request) -> dict[str, str]:
    """The fields of a form or of a JSON object; a malformed body is refused with 400."""
    if request.content_type == "application/json":
        try:
            body: Any = await request.json()
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError alike
            raise deny(request, 400, "malformed JSON body") from exc
        if not isinstance(body, dict):
            raise deny(request, 400, "the JSON body must be an object")
        return {str(k): str(v) for k, v in body.items()}
    try:
        form = await request.post()
    except ValueError as exc:
        raise deny(request, 400, "malformed form body") from exc
    return {k: v for k, v in form.items() if isinstance(v, str)}


def signed_in(request: web.Request) -> SignedIn:
    return request[SIGNED_IN]


async def check_post(
    request: web.Request,
    *,
    allowed: Callable[[Role], bool] | None = None,
    refusal: str = "",
    action: str = "",
) -> tuple[SignedIn, dict[str, str]]:
    """The session and fields of a POST after the CSRF check and, when `allowed` is given, the role check
    (a refusal is audited)."""
    session = signed_in(request)
    fields = await read_fields(request)
    token = request.headers.get("X-CSRF-Token") or fields.get("csrf", "")
    if not hmac.compare_digest(token, session.csrf):
        raise deny(request, 403, "missing or wrong CSRF token")
    if allowed is not None and not allowed(session.role):
        console = request.app[CONSOLE]
        message = f"role {session.role} {refusal}"
        await audit(
            console.outbox,
            console.clock(),
            session.user,
            action or request.match_info.get("action", "post"),
            AuditOutcome.REFUSED,
            order_id=request.match_info.get("order_id"),
            why=fields.get("justification", ""),
            detail=message,
        )
        raise deny(request, 403, message)
    return session, fields
