"""Console users and password hashes.

Users come from `Settings.console_users` ("name:role:hash,..."); hashes are scrypt from the stdlib,
written as `scrypt$n$r$p$salt$hash` (hex) so no colon or comma appears in them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from schemas.review import Role

_SCRYPT_N = 2**14
_SCRYPT_R = 8
_SCRYPT_P = 1
_SCRYPT_LEN = 32
MIN_SECRET_LENGTH = 32


class ConsoleConfigError(ValueError):
    """The console's users or session secret are missing or malformed; the console refuses to start."""


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: Role
    password_hash: str


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


def password_fingerprint(secret: str, password_hash: str) -> str:
    """What a session remembers of its user's password hash: a new password ends older sessions."""
    return hmac.new(secret.encode(), password_hash.encode(), hashlib.sha256).hexdigest()


def check_session_secret(secret: str) -> str:
    if len(secret) < MIN_SECRET_LENGTH:
        msg = f"the console session secret must be at least {MIN_SECRET_LENGTH} characters"
        raise ConsoleConfigError(msg)
    return secret
