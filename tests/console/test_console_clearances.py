"""The console lists reviewers' clearances (who, when, why, until, in force or not) from the allowlist
topic's records, and the hold view of an order shows a match a clearance silenced."""

from __future__ import annotations

from datetime import timedelta

from pipeline.console.clearances import CLEARANCES, clearances_page_html
from pipeline.decisions.record import CLEARED_RULE
from schemas.decision import Outcome, Reason
from schemas.review import allowlist_key
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
