"""Password hashes, the users setting and signed session cookies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pipeline.console.auth import (
    SESSION_LIFETIME,
    ConsoleConfigError,
    SessionSigner,
    User,
    hash_password,
    parse_users,
    verify_password,
)
from schemas.review import Role

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
HASH = hash_password("s3cret", salt=b"0123456789abcdef")


@pytest.mark.parametrize(
    ("password", "encoded", "ok"),
    [
        ("s3cret", HASH, True),
        ("S3cret", HASH, False),
        ("s3cret", HASH.replace("scrypt", "md5", 1), False),
        ("s3cret", "scrypt$not$a$hash", False),
        ("s3cret", "scrypt$16384$8$1$zz$00", False),
    ],
)
def test_verify_password(password: str, encoded: str, ok: bool) -> None:
    assert verify_password(password, encoded) is ok


def test_hashes_are_salted() -> None:
    assert hash_password("same") != hash_password("same")


def test_parse_users() -> None:
    users = parse_users(f" alice:reviewer:{HASH}, ,root:admin:{HASH},vera:viewer:{HASH}")
    assert {name: user.role for name, user in users.items()} == {
        "alice": Role.REVIEWER,
        "root": Role.ADMIN,
        "vera": Role.VIEWER,
    }


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (f"alice:boss:{HASH}", "unknown role"),
        ("alice:reviewer:plaintext", "name:role:scrypt-hash"),
        ("alice:reviewer", "name:role:scrypt-hash"),
    ],
)
def test_malformed_users_stop_start_up(spec: str, message: str) -> None:
    with pytest.raises(ConsoleConfigError, match=message):
        parse_users(spec)


def test_a_short_session_secret_stops_start_up() -> None:
    with pytest.raises(ConsoleConfigError, match="at least 32"):
        SessionSigner("short")


def test_sessions_are_signed_and_expire() -> None:
    signer = SessionSigner("k" * 32)
    cookie, issued = signer.issue(User("alice", Role.REVIEWER, HASH), NOW)
    assert signer.verify(cookie, NOW + timedelta(hours=1)) == issued
    assert signer.verify(cookie, NOW + SESSION_LIFETIME) is None
    assert SessionSigner("j" * 32).verify(cookie, NOW) is None
    payload, _, signature = cookie.partition(".")
    assert signer.verify(payload[:-2] + "xx." + signature, NOW) is None
    assert signer.verify("garbage", NOW) is None
