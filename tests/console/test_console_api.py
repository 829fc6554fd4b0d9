"""The console's HTTP API and forms without a broker: the projection is fed directly, the outbox is memory.

Every action is checked for its review event, its audit record (who, when, what, why) and, after the
review applier ran, its effect on the queue.
"""

from __future__ import annotations

import asyncio
import html
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry
from yarl import URL

from pipeline.console.context import CONSOLE
from pipeline.metrics.holds import register_hold_queue_metrics
from schemas.decision import DecisionRecord, Outcome, Route
from schemas.review import AuditOutcome, ReviewAction
from tests.console.harness import CSRF_RE, NOW, PASSWORD, Client, Harness, run, sign_in
from tests.holds.samples import licence_hold, party_list_hold


def test_unauthenticated_requests_get_401_or_the_sign_in_page() -> None:
    async def scenario(h: Harness, client: Client) -> None:
        h.add(licence_hold("o-1", evaluated_at=NOW))
        assert (await client.get("/api/holds")).status == 401
        assert (await client.get("/api/holds/o-1")).status == 401
        assert (await client.post("/api/holds/o-1/release", json={})).status == 401
        assert (await client.post("/holds/o-1/release", data={})).status == 401
        page = await client.get("/holds/o-1", allow_redirects=False)
        assert page.status == 302
        assert URL(page.headers["Location"]).path == "/login"
        assert URL(page.headers["Location"]).query["next"] == "/holds/o-1"
        forged = client.session.cookie_jar
        forged.update_cookies({"console_session": "eyJ1IjoiYWRhIn0.forged"})
        assert (await client.get("/api/holds")).status == 401

    h = run(scenario)
    assert h.outbox.reviews == []


def test_wrong_password_is_refused_and_audited() -> None:
    async def scenario(_: Harness, client: Client) -> None:
        assert await sign_in(client, "alice", "guess") == ""
        assert (await client.get("/api/holds")).status == 401

    h = run(scenario)
    assert [(a.actor, a.action, a.outcome) for a in h.outbox.audits] == [
        ("alice", "sign_in", AuditOutcome.REFUSED)
    ]


def test_viewer_reads_but_gets_403_on_every_action() -> None:
    async def scenario(h: Harness, client: Client) -> None:
        h.add(licence_hold("o-1", evaluated_at=NOW - timedelta(hours=3, minutes=12)))
        csrf = await sign_in(client, "vera")
        listing = await (await client.get("/api/holds")).json()
        assert [(x["order_id"], x["age"]) for x in listing["holds"]] == [("o-1", "3 h 12 min")]
        page = await client.get("/holds/o-1")
        assert page.status == 200
        assert 'data-action="release"' not in await page.text()
        for action in ReviewAction:
            response = await client.post(
                f"/api/holds/o-1/{action}", json={"justification": "x"}, headers={"X-CSRF-Token": csrf}
            )
            assert response.status == 403

    h = run(scenario)
    assert h.outbox.reviews == []
    refused = [a for a in h.outbox.audits if a.outcome is AuditOutcome.REFUSED]
    assert [(a.actor, a.action, a.order_id) for a in refused] == [
        ("vera", str(a), "o-1") for a in ReviewAction
    ]


def test_posts_without_the_csrf_token_are_refused() -> None:
    async def scenario(h: Harness, client: Client) -> None:
        h.add(licence_hold("o-1", evaluated_at=NOW))
        await sign_in(client, "alice")
        api = await client.post("/api/holds/o-1/deny", json={"justification": "x"})
        form = await client.post("/holds/o-1/deny", data={"justification": "x", "csrf": "wrong"})
        assert (api.status, form.status) == (403, 403)

    assert run(scenario).outbox.reviews == []


def watch_list_hold(order_id: str) -> DecisionRecord:
    """A list match that is not prohibited (Watch List), so one reviewer may clear it."""
    base = party_list_hold(order_id, evaluated_at=NOW)
    reasons = [
        r.model_copy(update={"outcome": Outcome.REVIEW}) if "party-list" in r.rule_id else r
        for r in base.reasons
    ]
    return base.model_copy(update={"reasons": reasons})


@pytest.mark.parametrize(
    ("action", "extra", "route", "still_open"),
    [
        (ReviewAction.RELEASE, {}, Route.RELEASE, False),
        (ReviewAction.DENY, {}, Route.HOLD, False),
        (ReviewAction.ESCALATE, {}, Route.HOLD, True),
        (ReviewAction.LICENSE, {}, Route.LICENSE, False),
        (ReviewAction.CLEAR_MATCH, {"expires_days": "30"}, Route.LICENSE, False),
    ],
)
def test_every_action_publishes_a_review_an_audit_record_and_its_follow_up(
    action: ReviewAction, extra: dict[str, str], route: Route, still_open: bool
) -> None:
    async def scenario(h: Harness, client: Client) -> None:
        decision = h.add(watch_list_hold("o-1"))
        match = decision.party_matches[0]
        csrf = await sign_in(client, "alice")
        body = {
            "decision_id": decision.decision_id,
            "justification": "documents checked",
            "entry_id": match.entry_id,
            "name_sent": match.name_sent,
            **extra,
        }
        response = await client.post(f"/api/holds/o-1/{action}", json=body, headers={"X-CSRF-Token": csrf})
        assert response.status == 202, await response.text()
        await h.apply_reviews()
        listing = await (await client.get("/api/holds")).json()
        assert [x["order_id"] for x in listing["holds"]] == (["o-1"] if still_open else [])
        detail = await (await client.get("/api/holds/o-1")).json()
        assert detail["current"]["route"] == route
        assert detail["current"]["review"]["reviewer"] == "alice"

    h = run(scenario)
    assert [(r.action, r.reviewer, r.justification) for r in h.outbox.reviews] == [
        (action, "alice", "documents checked")
    ]
    requested = [a for a in h.outbox.audits if a.action == action]
    assert [(a.actor, a.outcome, a.why, a.at, a.order_id) for a in requested] == [
        ("alice", AuditOutcome.REQUESTED, "documents checked", NOW, "o-1")
    ]
    assert [(d.route, d.order_id) for d in h.applied.decisions] == [(route, "o-1")]
    assert [a.outcome for a in h.applied.audits] == [AuditOutcome.APPLIED]
    if action is ReviewAction.CLEAR_MATCH:
        assert [
            (c.entry_id, c.party_role, c.cleared_by, c.reason, c.expires_at) for c in h.applied.allowlisted
        ] == [("cl-mhi-aero-engines", "end_user", "alice", "documents checked", NOW + timedelta(days=30))]


def test_prohibited_release_needs_two_different_reviewers() -> None:
    async def scenario(h: Harness, client: Client) -> None:
        h.add(party_list_hold("o-2", evaluated_at=NOW))
        alice = await sign_in(client, "alice")
        body = {"justification": "not the listed entity: different registration number"}
        first = await client.post("/api/holds/o-2/release", json=body, headers={"X-CSRF-Token": alice})
        assert (first.status, (await first.json())["awaiting_second_approval"]) == (202, True)
        again = await client.post("/api/holds/o-2/release", json=body, headers={"X-CSRF-Token": alice})
        assert again.status == 409
        assert "different reviewer" in (await again.json())["message"]
        await h.apply_reviews()
        assert [x["approvals"] for x in (await (await client.get("/api/holds")).json())["holds"]] == [
            ["alice"]
        ]

        client.session.cookie_jar.clear()
        bob = await sign_in(client, "bob")
        second = await client.post("/api/holds/o-2/release", json=body, headers={"X-CSRF-Token": bob})
        assert (second.status, (await second.json())["awaiting_second_approval"]) == (202, False)
        await h.apply_reviews()
        assert (await (await client.get("/api/holds")).json())["holds"] == []

    h = run(scenario)
    assert [r.reviewer for r in h.outbox.reviews] == ["alice", "bob"]
    assert [(a.actor, a.outcome) for a in h.outbox.audits if a.action == "release"] == [
        ("alice", AuditOutcome.REQUESTED),
        ("alice", AuditOutcome.REFUSED),
        ("bob", AuditOutcome.REQUESTED),
    ]
    assert [d.review["approved_by"] if d.review else "" for d in h.applied.decisions] == ["alice,bob"]


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("/api/holds/o-3/release", {"justification": ""}, 400, "justification"),
        ("/api/holds/o-3/release", {"justification": "ok", "decision_id": "stale"}, 409, "current decision"),
        ("/api/holds/o-3/teleport", {"justification": "ok"}, 404, "unknown action"),
        ("/api/holds/nope/deny", {}, 404, "no decision"),
        (
            "/api/holds/o-3/clear_match",
            {"justification": "x", "entry_id": "e", "name_sent": "n"},
            409,
            "no match",
        ),
        ("/api/holds/o-3/clear_match", {"justification": "x", "expires_days": "900"}, 400, "1 to 365 days"),
    ],
)
def test_refused_actions_are_reported_and_audited(
    path: str, body: dict[str, str], status: int, message: str
) -> None:
    async def scenario(h: Harness, client: Client) -> None:
        h.add(licence_hold("o-3", evaluated_at=NOW))
        csrf = await sign_in(client, "ada")
        response = await client.post(path, json=body, headers={"X-CSRF-Token": csrf})
        assert response.status == status
        assert message in (await response.json())["message"]

    h = run(scenario)
    assert h.outbox.reviews == []
    assert [(a.actor, a.outcome) for a in h.outbox.audits if a.action != "sign_in"] == [
        ("ada", AuditOutcome.REFUSED)
    ]


def test_form_post_redirects_with_a_notice_and_the_detail_page_explains_the_hold() -> None:
    async def scenario(h: Harness, client: Client) -> None:
        decision = h.add(party_list_hold("o-4", evaluated_at=NOW - timedelta(minutes=45)))
        csrf = await sign_in(client, "alice")
        page = await (await client.get("/holds/o-4")).text()
        for expected in (
            "Mitsubishi Heavy Ind. Aero Engines Ltd",
            "Mitsubishi Heavy Industries Aero Engines, Ltd.",
            "0.93",
            "cn.party-list.control-list",
            "MOFCOM Announcement 2024 No. 51",
            "on hold for 45 min",
            "release needs two different reviewers",
        ):
            assert expected in page
        response = await client.post(
            "/holds/o-4/escalate",
            data={"csrf": csrf, "decision_id": decision.decision_id, "justification": "<b>legal</b> to look"},
            allow_redirects=False,
        )
        assert response.status == 303
        followed = await (await client.get(response.headers["Location"])).text()
        assert "Escalate sent." in followed
        assert "&lt;b&gt;legal&lt;/b&gt; to look" in followed

    assert [r.action for r in run(scenario).outbox.reviews] == [ReviewAction.ESCALATE]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["old", "new"]),
        ("?sort=newest", ["new", "old"]),
        ("?rule=party-list", ["new"]),
        ("?destination=DE", ["old"]),
        ("?party=MITSUBISHI", ["new"]),
        ("?min_age_hours=2", ["old"]),
        ("?reason=prohibited", ["new"]),
    ],
)
def test_queue_filters(query: str, expected: list[str]) -> None:
    async def scenario(h: Harness, client: Client) -> None:
        h.add(licence_hold("old", evaluated_at=NOW - timedelta(hours=5)))
        h.add(party_list_hold("new", evaluated_at=NOW - timedelta(minutes=5)))
        await sign_in(client, "vera")
        listing = await (await client.get(f"/api/holds{query}")).json()
        assert [x["order_id"] for x in listing["holds"]] == expected

    run(scenario)


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "/\\evil.example/"])
def test_sign_in_never_redirects_off_the_console(next_url: str) -> None:
    async def scenario(_: Harness, client: Client) -> None:
        page = await client.get("/login")
        token = CSRF_RE.search(await page.text())
        assert token is not None
        assert page.headers["X-Frame-Options"] == "DENY"
        response = await client.post(
            "/login",
            data={"username": "alice", "password": PASSWORD, "csrf": token.group(1), "next": next_url},
            allow_redirects=False,
        )
        assert (response.status, response.headers["Location"]) == (303, "/")

    run(scenario)


def test_a_user_removed_from_the_configuration_loses_access_at_once() -> None:
    async def scenario(h: Harness, client: Client) -> None:
        await sign_in(client, "bob")
        assert (await client.get("/api/holds")).status == 200
        del h.app[CONSOLE].users["bob"]
        assert (await client.get("/api/holds")).status == 401

    run(scenario)


def test_metrics_are_served_without_a_session_and_count_open_holds() -> None:
    harness = Harness()
    registry = CollectorRegistry()
    register_hold_queue_metrics(registry, harness.queue, hold_sla_seconds=3600, clock=lambda: NOW)
    app = harness.build_app(metrics=registry)
    harness.queue.add_decision(licence_hold("o-1", evaluated_at=NOW - timedelta(minutes=30)))

    async def main() -> str:
        async with TestClient(TestServer(app)) as client:
            response = await client.get("/metrics")
            assert response.status == 200
            return await response.text()

    text = asyncio.run(main())
    assert "screening_hold_oldest_age_seconds 1800.0" in text
    assert "screening_hold_sla_seconds 3600.0" in text


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/holds/o-5/release", b"{not json"),
        ("/api/holds/o-5/release", b'{"justification": "cut off'),
        ("/api/holds/o-5/release", b"\xff\xfe"),
        ("/api/holds/o-5/release", b'["a list, not an object"]'),
        ("/api/holds/o-5/deny", b"null"),
        ("/api/users/bob/revoke-sessions", b"{not json"),
        ("/logout", b"{not json"),
    ],
)
def test_malformed_json_is_a_400(path: str, body: bytes) -> None:
    async def scenario(h: Harness, client: Client) -> None:
        h.add(licence_hold("o-5", evaluated_at=NOW))
        csrf = await sign_in(client, "ada")
        response = await client.post(
            path, data=body, headers={"Content-Type": "application/json", "X-CSRF-Token": csrf}
        )
        assert response.status == 400
        assert "JSON" in await response.text()

    assert run(scenario).outbox.reviews == []


@pytest.mark.parametrize(
    "notice", ["Call +1 555 0100 to confirm your password", "<b>x</b>", "Release sent", "release_sent "]
)
def test_notice_banners_come_only_from_a_fixed_set(notice: str) -> None:
    async def scenario(h: Harness, client: Client) -> None:
        h.add(licence_hold("o-6", evaluated_at=NOW))
        await sign_in(client, "alice")
        for path in ("/", "/holds/o-6"):
            page = await (await client.get(path, params={"notice": notice})).text()
            assert 'class="notice"' not in page
            assert notice.strip() not in page
            assert html.escape(notice.strip()) not in page

    run(scenario)


def test_deny_without_a_justification_is_refused_with_400() -> None:
    async def scenario(h: Harness, client: Client) -> None:
        h.add(licence_hold("o-7", evaluated_at=NOW))
        csrf = await sign_in(client, "alice")
        for body in ({}, {"justification": ""}, {"justification": "   "}):
            response = await client.post("/api/holds/o-7/deny", json=body, headers={"X-CSRF-Token": csrf})
            assert response.status == 400
            assert "deny needs a justification" in (await response.json())["message"]
        form = await client.post("/holds/o-7/deny", data={"csrf": csrf, "justification": ""})
        assert form.status == 400
        page = await client.get("/holds/o-7")
        text = await page.text()
        assert 'data-action="deny"' in text
        deny_form = text[text.index('data-action="deny"') :]
        assert "required" in deny_form[: deny_form.index("</form>")]
        accepted = await client.post(
            "/api/holds/o-7/deny",
            json={"justification": "end user confirmed military"},
            headers={"X-CSRF-Token": csrf},
        )
        assert accepted.status == 202

    h = run(scenario)
    assert [(r.action, r.justification) for r in h.outbox.reviews] == [
        (ReviewAction.DENY, "end user confirmed military")
    ]
    assert [a.outcome for a in h.outbox.audits if a.action == "deny"] == [AuditOutcome.REFUSED] * 4 + [
        AuditOutcome.REQUESTED
    ]
