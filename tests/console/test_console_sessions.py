"""Sessions live on the server: sign-out, a password change, an admin's revocation, expiry and a
restart each end them, and a saved cookie acts no more."""

from __future__ import annotations

from datetime import timedelta

from aiohttp.test_utils import TestServer

from pipeline.console.auth import User, hash_password
from schemas.review import AuditOutcome, Role
from tests.console.harness import NOW, PASSWORD, Client, Harness, another_desk, login_token, run, sign_in
from tests.holds.samples import licence_hold

COOKIE = "console_session"


def saved_cookie(client: Client) -> str:
    [cookie] = [c for c in client.session.cookie_jar if c.key == COOKIE]
    return cookie.value


def test_a_saved_cookie_no_longer_acts_after_sign_out() -> None:
    async def scenario(h: Harness, client: Client) -> None:
        h.add(licence_hold("o-1", evaluated_at=NOW))
        csrf = await sign_in(client, "alice")
        cookie = saved_cookie(client)
        signed_out = await client.post("/logout", data={"csrf": csrf}, allow_redirects=False)
        assert signed_out.status == 303
        client.session.cookie_jar.update_cookies({COOKIE: cookie})
        assert (await client.get("/api/holds")).status == 401
        replayed = await client.post(
            "/api/holds/o-1/release", json={"justification": "replayed"}, headers={"X-CSRF-Token": csrf}
        )
        assert replayed.status == 401

    h = run(scenario)
    assert h.outbox.reviews == []
    assert [(a.actor, a.action) for a in h.outbox.audits] == [("alice", "sign_in"), ("alice", "sign_out")]


def test_a_revoked_session_stays_revoked_when_the_console_restarts() -> None:
    async def scenario(h: Harness, client: Client) -> None:
        csrf = await sign_in(client, "alice")
        cookie = saved_cookie(client)
        await client.post("/logout", data={"csrf": csrf}, allow_redirects=False)
        restarted = h.build_app()
        async with Client(TestServer(restarted)) as after_restart:
            after_restart.session.cookie_jar.update_cookies({COOKIE: cookie})
            assert (await after_restart.get("/api/holds")).status == 401

    run(scenario)


def test_a_password_change_ends_the_users_sessions() -> None:
    async def scenario(h: Harness, client: Client) -> None:
        await sign_in(client, "bob")
        assert (await client.get("/api/holds")).status == 200
        h.users["bob"] = User("bob", Role.REVIEWER, hash_password("a new password"))
        assert (await client.get("/api/holds")).status == 401

    run(scenario)


def test_sessions_end_when_their_lifetime_is_over() -> None:
    async def scenario(h: Harness, client: Client) -> None:
        await sign_in(client, "alice")
        h.now = NOW + timedelta(hours=1, minutes=59)
        assert (await client.get("/api/holds")).status == 200
        h.now = NOW + timedelta(hours=2)
        assert (await client.get("/api/holds")).status == 401

    run(scenario, Harness(session_lifetime=timedelta(hours=2)))


def test_sign_in_starts_a_new_session_id() -> None:
    async def scenario(_: Harness, client: Client) -> None:
        client.session.cookie_jar.update_cookies({COOKIE: "chosen-by-an-attacker"})
        token = await login_token(client)
        response = await client.post(
            "/login", data={"username": "alice", "password": PASSWORD, "csrf": token}, allow_redirects=False
        )
        assert response.status == 303
        assert response.cookies[COOKIE].value not in {"", "chosen-by-an-attacker"}
        client.session.cookie_jar.clear()
        client.session.cookie_jar.update_cookies({COOKIE: "chosen-by-an-attacker"})
        assert (await client.get("/api/holds")).status == 401

    run(scenario)


def test_an_admin_revokes_a_users_sessions() -> None:
    async def scenario(h: Harness, bob: Client) -> None:
        await sign_in(bob, "bob")
        async with another_desk(h) as ada, another_desk(h) as alice:
            ada_csrf = await sign_in(ada, "ada")
            alice_csrf = await sign_in(alice, "alice")
            refused = await alice.post("/api/users/bob/revoke-sessions", headers={"X-CSRF-Token": alice_csrf})
            assert refused.status == 403
            assert (await bob.get("/api/holds")).status == 200

            page = await ada.get("/admin/sessions")
            assert page.status == 200
            assert 'data-user="bob"' in await page.text()
            revoked = await ada.post("/api/users/bob/revoke-sessions", headers={"X-CSRF-Token": ada_csrf})
            assert revoked.status == 200
            assert (await revoked.json())["revoked"] == 1
            assert (await bob.get("/api/holds")).status == 401
            assert (await ada.get("/api/holds")).status == 200
            assert (await alice.get("/api/holds")).status == 200

    h = run(scenario)
    revocations = [a for a in h.outbox.audits if a.action == "revoke_sessions"]
    assert [(a.actor, a.outcome, a.detail) for a in revocations] == [
        ("alice", AuditOutcome.REFUSED, "role reviewer may not revoke sessions"),
        ("ada", AuditOutcome.APPLIED, "1 session(s) of bob revoked"),
    ]


def test_the_admin_page_revokes_by_form() -> None:
    async def scenario(h: Harness, bob: Client) -> None:
        await sign_in(bob, "bob")
        async with another_desk(h) as ada:
            csrf = await sign_in(ada, "ada")
            response = await ada.post(
                "/admin/sessions/bob/revoke", data={"csrf": csrf}, allow_redirects=False
            )
            assert response.status == 303
            followed = await (await ada.get(response.headers["Location"])).text()
            assert "Sessions revoked." in followed
            assert (await bob.get("/api/holds")).status == 401

    run(scenario)
