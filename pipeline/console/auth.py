"""Console users, password hashes and signed session cookies.

Users come from `Settings.console_users` ("name:role:hash,..."); hashes are scrypt from the stdlib,
written as `scrypt$n$r$p$salt$hash` (hex) so no colon or comma appears in them. A session cookie is
`payload.signature`: base64 JSON (user, role, expiry, CSRF token) signed with HMAC-SHA256 under the
session secret, so the server keeps no session state and a restart keeps everyone signed in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas.review import Role

_SCRYPT_N = 2**14
_SCRYPT_R = 8
_SCRYPT_P = 1
_SCRYPT_LEN = 32
SESSION_LIFETIME = timedelta(hours=10)
MIN_SECRET_LENGTH = 32


class ConsoleConfigError(ValueError):
    """The console's users or session secret are missing or malformed; the console refuses to start."""


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: Role
    password_hash: str


@dataclass(frozen=True, slots=True)
class Session:
    user: str
    role: Role
    expires_at: datetime
    csrf: str


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=_SCRYPT_LEN
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        scheme, n, r, p, salt, expected = encoded.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode(),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected) // 2,
        )
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), expected)


def parse_users(spec: str) -> dict[str, User]:
    """Users from "name:role:hash,..."; an unknown role or a malformed entry stops start-up."""
    users: dict[str, User] = {}
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        parts = item.split(":")
        if len(parts) != 3 or not parts[0] or not parts[2].startswith("scrypt$"):
            msg = f"console user entry {parts[0] or '?'!r} is not name:role:scrypt-hash"
            raise ConsoleConfigError(msg)
        name, role, password_hash = parts
        try:
            users[name] = User(name, Role(role), password_hash)
        except ValueError as exc:
            msg = f"console user {name!r} has unknown role {role!r} (viewer, reviewer or admin)"
            raise ConsoleConfigError(msg) from exc
    return users


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    def __init__(self, secret: str) -> None:
        if len(secret) < MIN_SECRET_LENGTH:
            msg = f"the console session secret must be at least {MIN_SECRET_LENGTH} characters"
            raise ConsoleConfigError(msg)
        self._key = secret.encode()

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def issue(self, user: User, now: datetime) -> tuple[str, Session]:
        session = Session(user.name, user.role, now + SESSION_LIFETIME, secrets.token_urlsafe(24))
        body = {
            "u": session.user,
            "r": session.role.value,
            "e": int(session.expires_at.timestamp()),
            "c": session.csrf,
        }
        payload = _b64(json.dumps(body, separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload)}", session

    def verify(self, cookie: str, now: datetime) -> Session | None:
        """The session in a cookie, or None when it is forged, malformed or expired."""
        payload, _, signature = cookie.partition(".")
        if not signature or not hmac.compare_digest(signature, self._sign(payload)):
            return None
        try:
            body = json.loads(_unb64(payload))
            expires_at = datetime.fromtimestamp(int(body["e"]), tz=now.tzinfo)
            session = Session(str(body["u"]), Role(body["r"]), expires_at, str(body["c"]))
        except (ValueError, KeyError, TypeError):
            return None
        return session if session.expires_at > now else None
