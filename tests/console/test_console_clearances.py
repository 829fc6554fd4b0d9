"""The console lists reviewers' clearances (who, when, why, until, in force or not) from the allowlist
topic's records, and the hold view of an order shows a match a clearance silenced."""

from __future__ import annotations

from datetime import timedelta

from pipeline.console.clearances import CLEARANCES, clearances_page_html
from pipeline.decisions.record import CLEARED_RULE
from schemas.decision import Outcome, Reason
from schemas.review import AllowlistEntry, AuditOutcome, allowlist_key
from tests.console.harness import NOW, Client, Harness, run, sign_in
from tests.console.test_console_api import watch_list_hold
from tests.holds.samples import licence_hold

WHY = "not the listed <Aero> company: registry no. 1800-01"


def test_a_clearance_made_in_the_console_is_listed_with_who_when_why_and_until() -> None:
    async def scenario(h: Harness, client: Client) -> None:
        decision = h.add(watch_list_hold("o-1"))
        match = decision.party_matches[0]
        csrf = await sign_in(client, "alice")
        body = {
            "decision_id": decision.decision_id,
            "justification": WHY,
            "entry_id": match.entry_id,
            "name_sent": match.name_sent,
            "expires_days": "30",
        }
        response = await client.post("/api/holds/o-1/clear_match", json=body, headers={"X-CSRF-Token": csrf})
        assert response.status == 202, await response.text()
        await h.apply_reviews()
        register = h.app[CLEARANCES]
        (entry,) = h.applied.allowlisted
        register.apply(allowlist_key(entry), entry.model_dump_json().encode())
        register.apply("cl-x|Someone", b"{broken")

        listed = (await (await client.get("/api/clearances")).json())["clearances"]
        assert [
            (c["key"], c["active"], c["cleared_by"], c["reason"], c["expires_at"], c["order_id"])
            for c in listed
        ] == [
            (
                allowlist_key(entry),
                True,
                "alice",
                WHY,
                (NOW + timedelta(days=30)).isoformat().replace("+00:00", "Z"),
                "o-1",
            )
        ]
        assert register.unreadable == 1
        page = await (await client.get("/clearances")).text()
        assert "not the listed &lt;Aero&gt; company" in page
        assert "<Aero>" not in page
        assert "(in force)" in page

        # A month on (the session would have lapsed: the register is asked directly).
        later = register.rows(NOW + timedelta(days=31))
        assert [row.active for row in later] == [False]
        assert "(expired)" in clearances_page_html(later, user="alice", csrf="x")

        register.apply(allowlist_key(entry), None)
        assert (await (await client.get("/api/clearances")).json())["clearances"] == []

    run(scenario)


def test_viewers_see_the_clearances_and_signed_out_visitors_do_not() -> None:
    async def scenario(_: Harness, client: Client) -> None:
        assert (await client.get("/api/clearances", allow_redirects=False)).status in {302, 303, 401}
        await sign_in(client, "vera")
        assert (await client.get("/api/clearances")).status == 200

    run(scenario)


def test_the_hold_view_shows_a_cleared_match_with_its_clearance() -> None:
    cleared = Reason(
        rule_id=CLEARED_RULE,
        title="Party match cleared by a reviewer",
        outcome=Outcome.INFO,
        party_role="end_user",
        explanation="Zephyr GmbH matched Zephyr (CN-ECL cl-9); cleared by alice on 2026-03-01 09:00 UTC: "
        "different registry number (clearance rv-1, until 2026-04-01)",
        evidence={"clearance_id": "rv-1", "cleared_by": "alice", "why": "different registry number"},
    )

    async def scenario(h: Harness, client: Client) -> None:
        base = licence_hold("o-2")
        h.add(base.model_copy(update={"reasons": [*base.reasons, cleared]}))
        await sign_in(client, "alice")
        page = await (await client.get("/holds/o-2")).text()
        shown = (CLEARED_RULE, "cleared by alice on 2026-03-01", "clearance rv-1", "until 2026-04-01")
        assert [text in page for text in shown] == [True] * len(shown)

    run(scenario)


def _cleared_entry(h: Harness) -> AllowlistEntry:
    entry = watch_list_hold("o-9").party_matches[0]
    record = AllowlistEntry(
        entry_id=entry.entry_id,
        name_sent=entry.name_sent,
        party_role=entry.role,
        list=entry.list,
        listed_name=entry.listed_name,
        expires_at=NOW + timedelta(days=30),
        cleared_at=NOW,
        cleared_by="alice",
        reason=WHY,
        order_id="o-9",
        decision_id="d-9",
        review_id="rv-9",
        party_key="id:P-9",
        entry_hash="h",
    )
    h.app[CLEARANCES].apply(allowlist_key(record), record.model_dump_json().encode())
    return record


def test_a_reviewer_revokes_a_clearance_with_a_justification_and_it_is_audited() -> None:
    async def scenario(h: Harness, client: Client) -> None:
        record = _cleared_entry(h)
        key = allowlist_key(record)
        csrf = await sign_in(client, "bob")
        page = await (await client.get("/clearances")).text()
        assert 'action="/clearances/revoke"' in page
        headers = {"X-CSRF-Token": csrf}
        refused = await client.post("/api/clearances/revoke", json={"key": key}, headers=headers)
        assert refused.status == 400
        unknown = await client.post(
            "/api/clearances/revoke", json={"key": "nope", "justification": "x"}, headers=headers
        )
        assert unknown.status == 404
        form = await client.post(
            "/clearances/revoke",
            data={"csrf": csrf, "key": key, "justification": "registry shows the same director"},
            allow_redirects=False,
        )
        assert (form.status, form.headers["Location"]) == (303, "/clearances")

    h = run(scenario)
    assert h.outbox.revoked == [allowlist_key(_cleared_entry(h))]
    revoked = [a for a in h.outbox.audits if a.action == "revoke_clearance"]
    assert [(a.actor, a.outcome, a.why, a.order_id, a.review_id) for a in revoked] == [
        ("bob", AuditOutcome.APPLIED, "registry shows the same director", "o-9", "rv-9")
    ]


def test_a_viewer_may_not_revoke_and_the_refusal_is_audited() -> None:
    async def scenario(h: Harness, client: Client) -> None:
        key = allowlist_key(_cleared_entry(h))
        csrf = await sign_in(client, "vera")
        assert 'action="/clearances/revoke"' not in await (await client.get("/clearances")).text()
        response = await client.post(
            "/api/clearances/revoke", json={"key": key, "justification": "x"}, headers={"X-CSRF-Token": csrf}
        )
        assert response.status == 403

    h = run(scenario)
    assert h.outbox.revoked == []
    assert [(a.actor, a.action, a.outcome) for a in h.outbox.audits if a.action == "revoke_clearance"] == [
        ("vera", "revoke_clearance", AuditOutcome.REFUSED)
    ]
