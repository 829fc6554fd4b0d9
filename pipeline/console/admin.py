"""Admins see who has sessions and end a user's sessions (a lost laptop, a leaver, a suspected leak)."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from pipeline.console import pages
from pipeline.console.actions import audit
from pipeline.console.context import CONSOLE, check_post, deny, is_api, signed_in
from pipeline.console.signin import AUDITED_NAME_LENGTH
from pipeline.holds.terminal import bounded
from schemas.review import AuditOutcome, Role


def _is_admin(role: Role) -> bool:
    return role is Role.ADMIN


async def sessions_page(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    session = signed_in(request)
    if not _is_admin(session.role):
        raise deny(request, 403, f"role {session.role} may not see sessions")
    html = pages.sessions_page(
        console.users,
        console.sessions.count_by_user(),
        user=session.user,
        csrf=session.csrf,
        notice=request.query.get("notice", ""),
    )
    return web.Response(text=html, content_type="text/html")


async def revoke_sessions(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    session, _ = await check_post(
        request, allowed=_is_admin, refusal="may not revoke sessions", action="revoke_sessions"
    )
    user = request.match_info["user"]
    revoked = console.sessions.revoke_user(user)
    await audit(
        console.outbox,
        console.clock(),
        session.user,
        "revoke_sessions",
        AuditOutcome.APPLIED,
        detail=f"{revoked} session(s) of {bounded(user, AUDITED_NAME_LENGTH)} revoked",
    )
    if is_api(request):
        return web.json_response({"user": user, "revoked": revoked})
    location = f"/admin/sessions?notice=sessions_revoked#{quote(user, safe='')}"
    raise web.HTTPSeeOther(location)
