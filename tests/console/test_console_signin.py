"""Sign-in hardening: redirects only on this host, throttling and lockout, the same work for unknown
users, password hashing off the event loop, bounded and sanitised audit names, the Secure cookie."""

from __future__ import annotations

import asyncio
import hashlib
import statistics
import threading
import time
from typing import Any

import pytest

from pipeline.holds.outbox import MemoryOutbox
from pipeline.settings import load_settings
from schemas.review import AuditOutcome, AuditRecord
from tests.console.harness import PASSWORD, Client, Harness, login_token, run, sign_in

# What Kafka refuses by default (max.request.size): the outbox of these tests refuses it too.
KAFKA_MAX_RECORD_BYTES = 1_048_576


class SizeLimitedOutbox(MemoryOutbox):
    async def audit(self, record: AuditRecord) -> None:
        key = record.order_id or record.actor  # how the Kafka outbox keys audit records
        if len(key) + len(record.model_dump_json()) > KAFKA_MAX_RECORD_BYTES:
            msg = "the record is larger than the producer's max.request.size"
            raise ValueError(msg)
        await super().audit(record)


async def attempt(client: Client, user: str, password: str, next_url: str = "/") -> Any:
    token = await login_token(client)
    return await client.post(
        "/login",
        data={"username": user, "password": password, "csrf": token, "next": next_url},
        allow_redirects=False,
    )


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "\t//evil.example",
        " //evil.example",
        "/%09/evil.example\x00",
        "javascript:alert(1)",
        "http:/evil.example",
        "/\x7f/evil.example",
        "/\u2028/evil.example",
        "",
    ],
)
def test_sign_in_redirects_only_to_a_path_on_this_host(next_url: str) -> None:
    async def scenario(_: Harness, client: Client) -> None:
        response = await attempt(client, "alice", PASSWORD, next_url)
        assert (response.status, response.headers["Location"]) == (303, "/")

    run(scenario)


@pytest.mark.parametrize("next_url", ["/holds/o-1", "/?sort=newest&rule=party-list", "/holds/a%2Fb"])
def test_sign_in_returns_to_the_page_asked_for(next_url: str) -> None:
    async def scenario(_: Harness, client: Client) -> None:
        response = await attempt(client, "alice", PASSWORD, next_url)
        assert (response.status, response.headers["Location"]) == (303, next_url)

    run(scenario)


def test_the_sign_in_page_does_not_carry_a_foreign_next_into_its_form() -> None:
    async def scenario(_: Harness, client: Client) -> None:
        page = await client.get("/login", params={"next": "/\t/evil.example"})
        assert 'name="next" value="/"' in await page.text()

    run(scenario)


def test_a_user_is_locked_out_after_repeated_failures_even_with_the_right_password() -> None:
    async def scenario(_: Harness, client: Client) -> None:
        for _attempt in range(3):
            assert (await attempt(client, "alice", "guess")).status == 401
        locked = await attempt(client, "alice", PASSWORD)
        assert locked.status == 429
        assert int(locked.headers["Retry-After"]) > 0
        assert "Too many failed sign-ins" in await locked.text()
        assert (await client.get("/api/holds")).status == 401
        # Another user at the same desk is not locked out by alice's failures.
        assert await sign_in(client, "bob") != ""

    h = run(scenario, Harness(max_failures_per_user=3, max_failures_per_address=10))
    assert [(a.actor, a.action, a.outcome, a.detail) for a in h.outbox.audits] == [
        ("alice", "sign_in", AuditOutcome.REFUSED, "wrong user or password"),
        ("alice", "sign_in", AuditOutcome.REFUSED, "wrong user or password"),
        ("alice", "sign_in", AuditOutcome.REFUSED, "wrong user or password; locked out for up to 900 s"),
        ("bob", "sign_in", AuditOutcome.APPLIED, "role reviewer"),
    ]


def test_unknown_users_are_locked_out_like_known_ones() -> None:
    async def scenario(_: Harness, client: Client) -> None:
        statuses = [(await attempt(client, "nobody", "guess")).status for _ in range(4)]
        assert statuses == [401, 401, 401, 429]

    run(scenario, Harness(max_failures_per_user=3, max_failures_per_address=10))


def test_a_client_address_is_throttled_across_user_names() -> None:
    async def scenario(_: Harness, client: Client) -> None:
        statuses = [(await attempt(client, f"guess-{n}", "guess")).status for n in range(4)]
        assert statuses == [401, 401, 401, 401]
        assert (await attempt(client, "bob", PASSWORD)).status == 429

    run(scenario, Harness(max_failures_per_user=3, max_failures_per_address=4))


def test_concurrent_guesses_cannot_overtake_the_lockout() -> None:
    """Attempts whose hash is still running count too: six at once against a limit of three."""

    async def scenario(_: Harness, client: Client) -> None:
        token = await login_token(client)
        guesses = [
            client.post(
                "/login",
                data={"username": "alice", "password": f"guess {n}", "csrf": token},
                allow_redirects=False,
            )
            for n in range(6)
        ]
        statuses = sorted(response.status for response in await asyncio.gather(*guesses))
        assert statuses == [401, 401, 401, 429, 429, 429]

    h = run(scenario, Harness(max_failures_per_user=3, max_failures_per_address=10))
    assert len(h.outbox.audits) == 3


def test_a_lockout_ends_after_its_time() -> None:
    async def scenario(_: Harness, client: Client) -> None:
        for _attempt in range(2):
            assert (await attempt(client, "alice", "guess")).status == 401
        assert (await attempt(client, "alice", PASSWORD)).status == 429
        await asyncio.sleep(1.2)
        assert (await attempt(client, "alice", PASSWORD)).status == 303

    run(scenario, Harness(max_failures_per_user=2, max_failures_per_address=10, lockout_seconds=1))


def test_unknown_users_take_as_long_to_refuse_as_known_ones() -> None:
    """The hash runs for unknown names too: medians of a few attempts agree within a factor of 3."""
    known: list[float] = []
    unknown: list[float] = []

    async def timed(client: Client, user: str) -> float:
        token = await login_token(client)
        started = time.perf_counter()
        response = await client.post(
            "/login", data={"username": user, "password": "guess", "csrf": token}, allow_redirects=False
        )
        elapsed = time.perf_counter() - started
        assert response.status == 401
        return elapsed

    async def scenario(_: Harness, client: Client) -> None:
        for n in range(5):
            known.append(await timed(client, "alice"))
            unknown.append(await timed(client, f"mallory-{n}"))

    run(scenario, Harness(max_failures_per_user=100, max_failures_per_address=100))
    ratio = statistics.median(known) / statistics.median(unknown)
    assert 1 / 3 < ratio < 3, (known, unknown)


def test_password_hashing_does_not_stall_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """A sign-in whose hash never finishes leaves /healthz answering at once."""
    release = threading.Event()
    real_scrypt = hashlib.scrypt

    def stuck_scrypt(*args: Any, **kwargs: Any) -> bytes:
        release.wait(5)
        return real_scrypt(*args, **kwargs)

    async def scenario(_: Harness, client: Client) -> None:
        token = await login_token(client)
        monkeypatch.setattr(hashlib, "scrypt", stuck_scrypt)
        signing_in = asyncio.create_task(
            client.post(
                "/login",
                data={"username": "alice", "password": PASSWORD, "csrf": token},
                allow_redirects=False,
            )
        )
        await asyncio.sleep(0.2)
        started = time.perf_counter()
        health = await client.get("/healthz")
        answered_in = time.perf_counter() - started
        assert not signing_in.done()
        release.set()
        assert (await signing_in).status == 303
        assert health.status == 200
        assert answered_in < 1.0

    run(scenario)


def test_a_huge_user_name_is_refused_cleanly_and_audited_truncated() -> None:
    async def scenario(_: Harness, client: Client) -> None:
        response = await attempt(client, "x" * 1_000_000, "guess")
        assert 400 <= response.status < 500

    harness = Harness()
    harness.outbox = SizeLimitedOutbox()
    harness.app = harness.build_app()
    h = run(scenario, harness)
    [record] = h.outbox.audits
    assert (record.action, record.outcome) == ("sign_in", AuditOutcome.REFUSED)
    assert record.actor.startswith("xxxx")
    assert len(record.actor) < 100


def test_refused_sign_ins_are_audited_with_visible_names_and_never_the_password() -> None:
    async def scenario(_: Harness, client: Client) -> None:
        assert (await attempt(client, "root\x1b[2J\r\nalice\u202e", "hunter2-secret")).status == 401

    h = run(scenario)
    [record] = h.outbox.audits
    assert record.actor == "root\\x1b[2J\\r\\nalice\\u202e"
    assert "hunter2-secret" not in record.model_dump_json()


@pytest.mark.parametrize(
    ("env", "secure"),
    [
        ({}, False),
        ({"SCREENING_CONSOLE_URL": "http://127.0.0.1:8080"}, False),
        ({"SCREENING_CONSOLE_URL": "http://localhost:8080"}, False),
        ({"SCREENING_CONSOLE_URL": "http://[::1]:8080"}, False),
        ({"SCREENING_CONSOLE_URL": "https://console.example"}, True),
        ({"SCREENING_CONSOLE_URL": "http://0.0.0.0:8080"}, True),
        ({"SCREENING_CONSOLE_URL": "http://0.0.0.0:8080", "SCREENING_CONSOLE_SECURE_COOKIE": "false"}, False),
        ({"SCREENING_CONSOLE_SECURE_COOKIE": "true"}, True),
    ],
)
def test_the_secure_cookie_setting_is_on_by_default_outside_loopback(
    env: dict[str, str], secure: bool
) -> None:
    assert load_settings(env).console_secure_cookie is secure


@pytest.mark.parametrize("secure", [True, False])
def test_the_session_cookie_carries_the_secure_flag_when_set(secure: bool) -> None:
    async def scenario(_: Harness, client: Client) -> None:
        response = await attempt(client, "alice", PASSWORD)
        cookie = response.cookies["console_session"]
        assert (bool(cookie["secure"]), bool(cookie["httponly"]), cookie["samesite"]) == (
            secure,
            True,
            "Strict",
        )

    run(scenario, Harness(secure_cookie=secure))
