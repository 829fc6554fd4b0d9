"""Password hashes, the users setting and the session secret."""

from __future__ import annotations

import pytest

from pipeline.console.auth import (
    ConsoleConfigError,
    check_session_secret,
    hash_password,
    parse_users,
    password_fingerprint,
    verify_password,
)
from schemas.review import Role

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
        check_session_secret("short")
    assert check_session_secret("k" * 32) == "k" * 32


def test_the_password_fingerprint_changes_with_the_hash_and_the_secret() -> None:
    other = hash_password("s3cret", salt=b"fedcba9876543210")
    fingerprint = password_fingerprint("k" * 32, HASH)
    assert fingerprint == password_fingerprint("k" * 32, HASH)
    assert fingerprint != password_fingerprint("k" * 32, other)
    assert fingerprint != password_fingerprint("j" * 32, HASH)
    assert HASH not in fingerprint
