"""Console sessions kept on the server, behind `aiohttp-session`.

The cookie carries only a random 256-bit key; who is signed in, until when, the CSRF token and a
fingerprint of the user's password hash stay in this process. So sign-out, an admin's revocation, a
password change and a restart each end a session for good: a saved cookie has nothing left to act
with. Several consoles behind one address need sticky routing (or a shared aiohttp-session storage).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web
from aiohttp_session import AbstractStorage, Session

SESSION_COOKIE = "console_session"
# Sessions per user beyond this push out the oldest: sign-ins cannot grow the store without bound.
MAX_SESSIONS_PER_USER = 20


@dataclass(frozen=True, slots=True)
class StoredSession:
    key: str
    user: str
    csrf: str
    fingerprint: str
    created_at: datetime
    expires_at: datetime


class SessionStore(AbstractStorage):
    def __init__(self, *, lifetime: timedelta, clock: Callable[[], datetime], secure: bool) -> None:
        super().__init__(
            cookie_name=SESSION_COOKIE, path="/", secure=secure, httponly=True, samesite="Strict"
        )
        self.lifetime = lifetime
        self._clock = clock
        self._sessions: dict[str, StoredSession] = {}

    def current(self, key: str | None) -> StoredSession | None:
        stored = self._sessions.get(key or "")
        if stored is not None and stored.expires_at <= self._clock():
            del self._sessions[stored.key]
            return None
        return stored

    async def load_session(self, request: web.Request) -> Session:
        stored = self.current(self.load_cookie(request))
        if stored is None:
            return Session(None, data=None, new=True)
        data = {"user": stored.user, "csrf": stored.csrf, "fingerprint": stored.fingerprint}
        return Session(stored.key, data={"created": int(time.time()), "session": data}, new=False)

    async def save_session(
        self,
        request: web.Request,  # noqa: ARG002 - the storage interface passes it; the session has the key
        response: web.StreamResponse,
        session: Session,
    ) -> None:
        if session.empty:
            self.drop(session.identity)
            self.save_cookie(response, "")
            return
        if session.identity is not None:
            return  # a stored session never changes; signing in again starts a new one
        now = self._clock()
        stored = StoredSession(
            key=secrets.token_urlsafe(32),
            user=str(session["user"]),
            csrf=secrets.token_urlsafe(24),
            fingerprint=str(session["fingerprint"]),
            created_at=now,
            expires_at=now + self.lifetime,
        )
        self._forget_expired(now)
        self._keep_room_for(stored.user)
        self._sessions[stored.key] = stored
        self.save_cookie(response, stored.key, max_age=int(self.lifetime.total_seconds()))

    def drop(self, key: object) -> None:
        if isinstance(key, str):
            self._sessions.pop(key, None)

    def revoke_user(self, user: str) -> int:
        """End every session of `user`; the number ended."""
        keys = [key for key, stored in self._sessions.items() if stored.user == user]
        for key in keys:
            del self._sessions[key]
        return len(keys)

    def count_by_user(self) -> dict[str, int]:
        self._forget_expired(self._clock())
        counts: dict[str, int] = {}
        for stored in self._sessions.values():
            counts[stored.user] = counts.get(stored.user, 0) + 1
        return counts

    def _forget_expired(self, now: datetime) -> None:
        for key in [k for k, stored in self._sessions.items() if stored.expires_at <= now]:
            del self._sessions[key]

    def _keep_room_for(self, user: str) -> None:
        own = sorted((s for s in self._sessions.values() if s.user == user), key=lambda s: s.created_at)
        for stored in own[: max(0, len(own) - MAX_SESSIONS_PER_USER + 1)]:
            del self._sessions[stored.key]
