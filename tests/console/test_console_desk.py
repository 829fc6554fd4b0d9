"""An analyst's day without a broker: claims, bulk actions, the deny confirmation, search, the audit and
closed views, the CSV export, pages and SLA marks, as the console serves them."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from schemas.review import AuditOutcome, ReviewAction
from tests.console.harness import NOW, Client, Harness, run, sign_in
from tests.holds.samples import licence_hold, party_list_hold


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr data-order-id="([^"]+)"', page)


def test_claims_are_shared_audited_and_taking_over_is_explicit() -> None:
    async def scenario(h: Harness, client: Client) -> None:
        h.add(licence_hold("o-1", evaluated_at=NOW))
        alice = await sign_in(client, "alice")
        claimed = await client.post("/api/holds/o-1/claim", json={}, headers={"X-CSRF-Token": alice})
        assert (claimed.status, (await claimed.json())["assignee"]) == (200, "alice")
        listing = await (await client.get("/api/holds")).json()
        assert [x["claimed_by"] for x in listing["holds"]] == ["alice"]
        assert '<span class="claimed">alice</span>' in listing["holds"][0]["row_html"]

        client.session.cookie_jar.clear()
        bob = await sign_in(client, "bob")
        refused = await client.post("/api/holds/o-1/claim", json={}, headers={"X-CSRF-Token": bob})
        assert (refused.status, "claimed by alice" in (await refused.json())["message"]) == (409, True)
        unknown = await client.post(
            "/api/holds/o-1/claim",
            json={"assignee": "vera", "take_over": "yes"},
            headers={"X-CSRF-Token": bob},
        )
        assert unknown.status == 409  # vera is a viewer: holds are not assigned to her
        form = await client.post(
            "/holds/o-1/claim",
            data={"csrf": bob, "assignee": "bob", "take_over": "yes"},
            allow_redirects=False,
        )
        assert (form.status, form.headers["Location"]) == (303, "/holds/o-1?notice=claimed")
        detail = await (await client.get("/holds/o-1?notice=claimed")).text()
        assert "Hold claimed." in detail
        assert 'Worked by <b class="claimed">bob</b>' in detail

        client.session.cookie_jar.clear()
        vera = await sign_in(client, "vera")
        viewer = await client.post("/api/holds/o-1/claim", json={}, headers={"X-CSRF-Token": vera})
        assert viewer.status == 403

    h = run(scenario)
    assert [(c.order_id, c.assignee, c.by) for c in h.outbox.claims] == [
        ("o-1", "alice", "alice"),
        ("o-1", "bob", "bob"),
    ]
    claims = [(a.actor, a.action, a.outcome) for a in h.outbox.audits if a.action in {"claim", "assign"}]
    assert claims == [
        ("alice", "claim", AuditOutcome.APPLIED),
        ("bob", "claim", AuditOutcome.REFUSED),
        ("bob", "assign", AuditOutcome.REFUSED),
        ("bob", "claim", AuditOutcome.APPLIED),
        ("vera", "claim", AuditOutcome.REFUSED),
    ]


def test_a_bulk_release_reports_per_order_what_was_sent_awaits_a_second_reviewer_or_was_refused() -> None:
    async def scenario(h: Harness, client: Client) -> None:
        simple = h.add(licence_hold("o-simple", evaluated_at=NOW))
        prohibited = h.add(party_list_hold("o-listed", evaluated_at=NOW))
        h.add(licence_hold("o-stale", evaluated_at=NOW))
        alice = await sign_in(client, "alice")
        data = [
            ("csrf", alice),
            ("action", "release"),
            ("justification", "civil end use confirmed"),
            ("order_id", f"{simple.decision_id}|o-simple"),
            ("order_id", f"{prohibited.decision_id}|o-listed"),
            ("order_id", "an-older-decision|o-stale"),
            ("order_id", "o-unknown"),
        ]
        page = await (await client.post("/holds/bulk", data=data)).text()
        results = dict(re.findall(r'data-order-id="([^"]+)" class="result-([a-z_]+)"', page))
        assert results == {
            "o-simple": "sent",
            "o-listed": "awaiting_second_approval",
            "o-stale": "refused",
            "o-unknown": "refused",
        }
        assert "2 of 4 accepted, 2 refused." in page
        assert "the current decision is" in page
        await h.apply_reviews()
        remaining = await (await client.get("/api/holds")).json()
        assert [(x["order_id"], x["approvals"]) for x in remaining["holds"]] == [
            ("o-listed", ["alice"]),
            ("o-stale", []),
        ]
        # Four-eyes holds in bulk too: alice cannot give the second approval herself.
        again = await client.post(
            "/api/holds/bulk",
            json={"action": "release", "justification": "again", "orders": [{"order_id": "o-listed"}]},
            headers={"X-CSRF-Token": alice},
        )
        [result] = (await again.json())["results"]
        assert (result["outcome"], "different reviewer" in result["message"]) == ("refused", True)
        empty = await client.post(
            "/api/holds/bulk", json={"action": "release"}, headers={"X-CSRF-Token": alice}
        )
        assert empty.status == 400

    h = run(scenario)
    assert [(r.order_id, r.reviewer) for r in h.outbox.reviews] == [
        ("o-simple", "alice"),
        ("o-listed", "alice"),
    ]
    assert [d.order_id for d in h.applied.decisions] == ["o-simple"]


def test_bulk_actions_need_the_csrf_token_and_a_role_that_may_act() -> None:
    async def scenario(h: Harness, client: Client) -> None:
        h.add(licence_hold("o-1", evaluated_at=NOW))
        body = {"action": "release", "justification": "x", "orders": [{"order_id": "o-1"}]}
        vera = await sign_in(client, "vera")
        viewer = await client.post("/api/holds/bulk", json=body, headers={"X-CSRF-Token": vera})
        assert viewer.status == 403
        page = await (await client.get("/")).text()
        assert 'id="bulk"' not in page
        assert 'class="select"' not in page
        client.session.cookie_jar.clear()
        await sign_in(client, "alice")
        forged = await client.post("/holds/bulk", data={"action": "release", "order_id": "o-1", "csrf": "x"})
        assert forged.status == 403
        unjustified = await client.post(
            "/holds/bulk", data={"action": "deny", "order_id": "o-1", "csrf": await _csrf(client)}
        )
        text = await unjustified.text()
        assert "Confirm deny" not in text
        assert "deny needs a justification" in text

    h = run(scenario)
    assert h.outbox.reviews == []
    assert [(a.actor, a.action, a.outcome) for a in h.outbox.audits if a.action != "sign_in"] == [
        ("vera", "bulk", AuditOutcome.REFUSED),
        ("alice", "deny", AuditOutcome.REFUSED),
    ]


async def _csrf(client: Client) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', await (await client.get("/")).text())
    assert found is not None
    return found.group(1)


def test_deny_from_a_page_is_sent_only_after_a_confirmation() -> None:
    async def scenario(h: Harness, client: Client) -> None:
        decision = h.add(licence_hold("o-<1>", evaluated_at=NOW))
        h.add(licence_hold("o-2", evaluated_at=NOW))
        csrf = await sign_in(client, "alice")
        fields = {"csrf": csrf, "decision_id": decision.decision_id, "justification": "end user refused"}
        asked = await client.post("/holds/o-%3C1%3E/deny", data=fields, allow_redirects=False)
        page = await asked.text()
        assert asked.status == 200
        assert "Confirm deny" in page
        assert "o-&lt;1&gt;" in page
        assert 'name="confirmed" value="yes"' in page
        assert 'action="/holds/o-%3C1%3E/deny"' in page
        assert h.outbox.reviews == []
        confirmed = await client.post(
            "/holds/o-%3C1%3E/deny", data={**fields, "confirmed": "yes"}, allow_redirects=False
        )
        assert confirmed.status == 303

        bulk = [
            ("csrf", csrf),
            ("action", "deny"),
            ("justification", "sanctioned buyer"),
            ("order_id", "o-2"),
        ]
        bulk_page = await (await client.post("/holds/bulk", data=bulk)).text()
        assert "Confirm deny" in bulk_page
        assert len(h.outbox.reviews) == 1
        done = await (await client.post("/holds/bulk", data=[*bulk, ("confirmed", "yes")])).text()
        assert "1 of 1 accepted" in done

    h = run(scenario)
    assert [(r.order_id, r.action, r.justification) for r in h.outbox.reviews] == [
        ("o-<1>", ReviewAction.DENY, "end user refused"),
        ("o-2", ReviewAction.DENY, "sanctioned buyer"),
    ]


def test_the_queue_pages_marks_the_sla_and_exports_the_whole_filter_as_safe_csv() -> None:
    async def scenario(h: Harness, client: Client) -> None:
        h.add(licence_hold("=HYPERLINK(1)", evaluated_at=NOW - timedelta(hours=5)))
        h.add(licence_hold("o-near", evaluated_at=NOW - timedelta(hours=3, minutes=30)))
        for n in range(3):
            h.add(licence_hold(f"o-new-{n}", evaluated_at=NOW - timedelta(minutes=10 - n)))
        h.add(party_list_hold("o-listed", evaluated_at=NOW - timedelta(minutes=1)))
        await sign_in(client, "alice")
        first = await (await client.get("/?per_page=2")).text()
        assert _rows(first) == ["=HYPERLINK(1)", "o-near"]
        assert '<tr data-order-id="=HYPERLINK(1)" class="sla-over">' in first
        assert '<tr data-order-id="o-near" class="sla-near">' in first
        assert 'Page <b id="page-number">1</b> of <span id="page-count">3</span>' in first
        last = await (await client.get("/?per_page=2&page=3")).text()
        assert _rows(last) == ["o-new-2", "o-listed"]
        assert 'class="sla-' not in last
        api = await (await client.get("/api/holds?per_page=2&page=2")).json()
        assert (api["total"], api["page"], api["pages"]) == (6, 2, 3)
        assert [x["order_id"] for x in api["holds"]] == ["o-new-0", "o-new-1"]

        export = await client.get("/export.csv?reason=review&per_page=2")
        assert export.headers["Content-Type"].startswith("text/csv")
        assert "attachment" in export.headers["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(await export.text())))
        assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(1)", "o-near", "o-new-0", "o-new-1", "o-new-2"]

        searched = await client.get("/search?order_id=o-listed", allow_redirects=False)
        assert searched.headers["Location"] == "/holds/o-listed"
        missing = await client.get("/search?order_id=new", allow_redirects=False)
        assert missing.headers["Location"] == "/?order=new&notice=order_not_found"
        narrowed = await (await client.get(missing.headers["Location"])).text()
        assert _rows(narrowed) == ["o-new-0", "o-new-1", "o-new-2"]
        assert "No order with that id is known" in narrowed

    run(scenario)


def test_the_hold_page_leads_with_its_most_severe_finding_and_offers_only_actions_that_apply() -> None:
    async def scenario(h: Harness, client: Client) -> None:
        listed = party_list_hold("o-listed", evaluated_at=NOW)
        second_line = listed.reasons[1].model_copy(update={"line_id": "2"})
        h.add(listed.model_copy(update={"reasons": [listed.reasons[1], second_line, listed.reasons[0]]}))
        h.add(licence_hold("o-simple", evaluated_at=NOW))
        await sign_in(client, "alice")
        page = await (await client.get("/holds/o-listed")).text()
        why = re.search(r'<p id="why"[^>]*>(.*?)</p>', page)
        assert why is not None
        assert "End user is on the export-control Control List" in why.group(1)
        rules = re.findall(r'<tr class="outcome-[a-z_]+" data-rule="([^"]+)">', page)
        assert rules == ["cn.party-list.control-list", "cn.dual-use.licence-required"]
        assert '<td class="concerns">line 1, line 2</td>' in page
        assert 'data-action="license"' not in page
        assert 'data-action="deny"' in page
        simple = await (await client.get("/holds/o-simple")).text()
        assert 'data-action="license"' in simple

    run(scenario)


def test_the_audit_and_closed_views_search_and_escape() -> None:
    async def scenario(h: Harness, client: Client) -> None:
        decision = h.add(licence_hold("<i>o-1</i>", evaluated_at=NOW - timedelta(hours=2)))
        h.add(licence_hold("o-2", evaluated_at=NOW))
        alice = await sign_in(client, "alice")
        body = {"decision_id": decision.decision_id, "justification": "civil <b>use</b>"}
        sent = await client.post(
            "/api/holds/%3Ci%3Eo-1%3C%2Fi%3E/release", json=body, headers={"X-CSRF-Token": alice}
        )
        assert sent.status == 202
        await client.post("/api/holds/o-2/claim", json={}, headers={"X-CSRF-Token": alice})
        await h.apply_reviews()
        h.read_back_audit()

        audit = await (await client.get("/audit?actor=alice&action=release")).text()
        outcomes = re.findall(r"<td>alice</td><td>release</td><td>([a-z_]+)</td>", audit)
        assert sorted(outcomes) == ["applied", "requested"]
        assert "&lt;i&gt;o-1&lt;/i&gt;" in audit
        assert "<i>o-1</i>" not in audit
        assert "civil &lt;b&gt;use&lt;/b&gt;" in audit
        claims = await (await client.get("/audit?order=o-2")).text()
        assert re.findall(r"<td>alice</td><td>([a-z_]+)</td>", claims) == ["claim"]
        today = NOW.date().isoformat()
        dated = await (await client.get(f"/audit?since={today}&until={today}&action=claim")).text()
        assert len(re.findall(r"<tr data-audit-id=", dated)) == 1
        earlier = await (await client.get("/audit?until=2026-03-01")).text()
        assert re.findall(r"<tr data-audit-id=", earlier) == []
        bad = await (await client.get("/audit?since=yesterday")).text()
        assert "not a date (YYYY-MM-DD): since" in bad

        closed = await (await client.get("/closed")).text()
        assert _rows(closed) == ["&lt;i&gt;o-1&lt;/i&gt;"]
        assert (
            '<td class="closed-as">released</td><td>alice</td><td>civil &lt;b&gt;use&lt;/b&gt;</td>' in closed
        )
        assert _rows(await (await client.get("/closed?order=o-2")).text()) == []

    run(scenario)


def test_a_replayed_claim_topic_rebuilds_the_same_claims() -> None:
    """What a restarted console sees: the claims read back in log order (one key, one partition)."""

    async def scenario(h: Harness, client: Client) -> None:
        h.add(licence_hold("o-1", evaluated_at=NOW))
        alice = await sign_in(client, "alice")
        await client.post("/api/holds/o-1/claim", json={}, headers={"X-CSRF-Token": alice})
        h.now = NOW + timedelta(minutes=1)
        await client.post("/api/holds/o-1/claim", json={"assignee": "bob"}, headers={"X-CSRF-Token": alice})

    h = run(scenario)
    restarted = Harness()
    for claim in [*h.outbox.claims, *h.outbox.claims]:  # read twice: a replay changes nothing
        restarted.claims.add(claim)
    assert (restarted.claims.assignee("o-1"), restarted.claims.version) == ("bob", 2)
    # A claim this console made and then reads back behind a newer one from another console is ignored.
    assert not restarted.claims.add(h.outbox.claims[0])


def test_a_console_restarted_from_the_audit_trail_shows_how_its_holds_closed() -> None:
    """A console that saw nothing live (restarted, or a second one): `holds.current` has no closed
    hold, so `/closed`, the order search and a closed order's page come from the replayed audit log."""

    async def scenario(h: Harness, client: Client) -> None:
        released = h.add(licence_hold("o-rel", evaluated_at=NOW - timedelta(hours=2)))
        denied = h.add(licence_hold("o-den", evaluated_at=NOW - timedelta(hours=1)))
        h.add(licence_hold("o-open", evaluated_at=NOW))
        alice = await sign_in(client, "alice")
        for order_id, action, decision in (
            ("o-rel", ReviewAction.RELEASE, released),
            ("o-den", ReviewAction.DENY, denied),
        ):
            h.now += timedelta(minutes=5)
            body = {"decision_id": decision.decision_id, "justification": f"{action} <b>checked</b>"}
            sent = await client.post(
                f"/api/holds/{order_id}/{action}", json=body, headers={"X-CSRF-Token": alice}
            )
            assert sent.status == 202
            await h.apply_reviews()

    first = run(scenario)
    restarted = Harness()
    restarted.add(licence_hold("o-open", evaluated_at=NOW))
    for record in [*first.outbox.audits, *first.applied.audits, *first.applied.audits]:
        restarted.audit_log.add(record)  # replayed, one copy read twice

    async def after_restart(h: Harness, client: Client) -> None:
        await sign_in(client, "vera")
        closed = await (await client.get("/closed")).text()
        assert _rows(closed) == ["o-den", "o-rel"]
        assert '<span id="closed-count">2</span>' in closed
        assert (
            '<td class="closed-as">released</td><td>alice</td><td>release &lt;b&gt;checked&lt;/b&gt;</td>'
            in closed
        )
        assert _rows(await (await client.get("/closed?order=REL")).text()) == ["o-rel"]
        paged = await (await client.get("/closed?per_page=1&page=2")).text()
        assert _rows(paged) == ["o-rel"]

        found = await client.get("/search?order_id=o-den", allow_redirects=False)
        assert (found.status, found.headers["Location"]) == (303, "/holds/o-den")
        page = await (await client.get("/holds/o-den")).text()
        assert re.search(r'id="closed-how"[^>]*>The hold is closed: denied by alice at', page)
        assert "deny &lt;b&gt;checked&lt;/b&gt;" in page
        api = await (await client.get("/api/holds/o-rel")).json()
        assert (api["open"], api["closed"]["closed_as"], api["closed"]["closed_by"]) == (
            False,
            "released",
            "alice",
        )
        unknown = await client.get("/search?order_id=o-none", allow_redirects=False)
        assert "notice=order_not_found" in unknown.headers["Location"]
        assert (await client.get("/api/holds/o-none")).status == 404

    run(after_restart, restarted)
