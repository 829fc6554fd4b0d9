"""An analyst's day in Debian's Chromium, against the real broker: pages, SLA marks, selection kept
through live updates, bulk actions with four-eyes per order, claims, the CSV export, the closed-holds
and audit views, search, and claims seen by a second console that read them from `holds.claims`.

Screenshots go to test-artifacts/ (console-desk-*.png), next to the other console tests' ones.
"""

from __future__ import annotations

import asyncio
import csv
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Dialog, Page, expect

from pipeline.console.service import serve_console
from pipeline.harness.ports import free_port
from pipeline.settings import Settings
from tests.console import test_console_browser as shared
from tests.console.test_console_browser import (
    ARTIFACTS,
    RunningConsole,
    audit_records,
    publish,
    release,
    sign_in,
)
from tests.holds.samples import licence_hold, party_list_hold

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

# The same browser set-up as the other browser tests (one Chromium per module, a context per page).
chromium = shared.chromium
browser = shared.browser
new_page = shared.new_page


class ReadingConsole(RunningConsole):
    """A second console on the same topics, without the review applier: it knows only what it reads."""

    async def _serve(self) -> None:
        ready = asyncio.Event()

        async def signal() -> None:
            await ready.wait()
            self._ready.set()

        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        signaller = asyncio.create_task(signal())
        try:
            await serve_console(self.settings, apply_reviews=False, ready=ready)
        finally:
            signaller.cancel()


@pytest.fixture(scope="module")
def console(
    isolate: Callable[[str, Path], Settings], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningConsole]:
    yield from shared.running_console("desk", isolate, tmp_path_factory)


def _id(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:6]}"


def _row(page: Page, order_id: str) -> Any:
    return page.locator(f'#holds tr[data-order-id="{order_id}"]')


def test_a_page_of_the_queue_keeps_selection_and_focus_and_bulk_release_is_four_eyes_per_order(
    console: RunningConsole, new_page: Callable[[], Page], tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    late = f"=HYPERLINK-{uuid.uuid4().hex[:6]}"  # an id a spreadsheet would run as a formula
    near, listed, simple, newest = _id("NEAR"), _id("LISTED"), _id("SIMPLE"), _id("NEWEST")
    publish(console.settings, licence_hold(late, evaluated_at=now - timedelta(hours=5)))
    publish(console.settings, licence_hold(near, evaluated_at=now - timedelta(hours=3, minutes=30)))
    publish(console.settings, party_list_hold(listed, evaluated_at=now - timedelta(minutes=20)))
    publish(console.settings, licence_hold(simple, evaluated_at=now - timedelta(minutes=10)))

    page = new_page()
    sign_in(page, console.url, "alice", "/?sort=newest&per_page=3")
    expect(page.locator("#hold-count")).to_have_text("4")
    expect(page.locator("#holds tbody tr")).to_have_count(3)
    expect(page.locator("#pager")).to_contain_text("Page 1 of 2")
    expect(_row(page, near)).to_have_class("sla-near")
    expect(_row(page, listed).locator("td.why")).to_contain_text("Control List")
    _row(page, simple).locator("input.select").check()
    _row(page, listed).locator("input.select").check()  # the focus stays on this checkbox
    expect(page.locator("#selected-count")).to_have_text("2")

    # A new hold arrives by polling: it takes the top row, pushes `near` to page 2, and keeps the rest.
    publish(console.settings, licence_hold(newest))
    expect(_row(page, newest)).to_be_visible()
    expect(_row(page, near)).to_have_count(0)
    expect(page.locator("#hold-count")).to_have_text("5")
    expect(page.locator("#pager-total")).to_have_text("5")
    expect(_row(page, simple).locator("input.select")).to_be_checked()
    expect(_row(page, listed).locator("input.select")).to_be_checked()
    expect(_row(page, newest).locator("input.select")).not_to_be_checked()
    assert page.evaluate("document.activeElement.value").endswith(f"|{listed}")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console-desk-queue.png"), full_page=True)

    page.click('#pager a[rel="next"]')
    expect(_row(page, late)).to_have_class("sla-over")
    expect(_row(page, late).locator("td.age")).to_have_attribute("title", re.compile("past SLA"))
    with page.expect_download() as download:
        page.click("#export")
    saved = tmp_path / "holds.csv"
    download.value.save_as(saved)
    with saved.open(newline="", encoding="utf-8") as exported:
        rows = list(csv.DictReader(exported))
    assert {r["order_id"] for r in rows} == {f"'{late}", near, listed, simple, newest}
    assert {r["order_id"]: r["sla"] for r in rows}[f"'{late}"] == "over"

    page.go_back()
    bulk = page.locator("#bulk")
    bulk.locator("select[name=action]").select_option("release")
    bulk.locator("input[name=justification]").fill("Civil end use confirmed by the consignee")
    bulk.locator("button").click()
    expect(page.locator("h1")).to_have_text("Bulk release")
    expect(page.locator(f'#bulk-results tr[data-order-id="{simple}"] .outcome')).to_have_text("sent")
    expect(page.locator(f'#bulk-results tr[data-order-id="{listed}"] .outcome')).to_have_text(
        "awaiting second approval"
    )
    page.screenshot(path=str(ARTIFACTS / "console-desk-bulk.png"), full_page=True)

    page.click("header .brand")
    expect(_row(page, simple)).to_have_count(0)
    expect(_row(page, listed)).to_contain_text("1 of 2 approvals")
    page.goto(f"{console.url}/holds/{listed}")
    expect(page.locator("#why")).to_contain_text("End user is on the export-control Control List")
    expect(page.locator('form[data-action="license"]')).to_have_count(0)
    expect(page.locator('form[data-action="escalate"]')).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "console-desk-detail.png"), full_page=True)

    bob = new_page()
    sign_in(bob, console.url, "bob", "/?sort=newest&per_page=3")
    _row(bob, listed).locator("input.select").check()
    bob_bulk = bob.locator("#bulk")
    bob_bulk.locator("select[name=action]").select_option("release")
    bob_bulk.locator("input[name=justification]").fill("Agree: a different registered entity")
    bob_bulk.locator("button").click()
    expect(bob.locator(f'#bulk-results tr[data-order-id="{listed}"] .outcome')).to_have_text("sent")
    bob.click("header .brand")
    expect(_row(bob, listed)).to_have_count(0)


def test_claims_closed_holds_audit_and_search_and_a_second_console_sees_the_claims(
    console: RunningConsole,
    new_page: Callable[[], Page],
    topic_reader: Callable[..., list[Any]],
) -> None:
    worked, closed, denied = _id("WORKED"), _id("CLOSED"), _id("DENIED")
    for order_id in (worked, closed, denied):
        publish(console.settings, licence_hold(order_id))
    bob = new_page()
    sign_in(bob, console.url, "bob", f"/holds/{worked}")
    bob.locator("#claim button").click()
    expect(bob.locator(".notice").first).to_have_text("Hold claimed.")
    expect(bob.locator("#claim-state")).to_contain_text("Worked by bob")
    bob.click("header .brand")
    expect(_row(bob, worked).locator("td.claim")).to_have_text("bob")

    alice = new_page()
    sign_in(alice, console.url, "alice", f"/holds/{worked}")
    alice.locator("#claim select[name=assignee]").select_option("alice")
    alice.locator("#claim button").click()
    expect(alice.locator("body")).to_contain_text("claimed by bob; take it over explicitly")
    alice.go_back()
    alice.locator("#claim input[name=take_over]").check()
    alice.locator("#claim button").click()
    expect(alice.locator("#claim-state")).to_contain_text("Worked by alice")

    alice.locator("header input[name=order_id]").fill(closed)
    alice.locator("header .search button").click()
    expect(alice.locator("h1")).to_have_text(f"Order {closed}")
    release(alice, "Licence on file covers this line")
    expect(alice.locator("main")).to_contain_text("route release")
    alice.click('header a[href="/closed"]')
    closed_row = alice.locator(f'#closed tr[data-order-id="{closed}"]')
    expect(closed_row.locator(".closed-as")).to_have_text("released")
    expect(closed_row).to_contain_text("Licence on file covers this line")
    alice.screenshot(path=str(ARTIFACTS / "console-desk-closed.png"), full_page=True)

    audit_records(console.settings, topic_reader, closed, 2)  # on holds.audit before the view is read
    alice.click('header a[href="/audit"]')
    today = datetime.now(UTC).date().isoformat()
    alice.fill("#audit-filters input[name=order]", worked)
    alice.fill("#audit-filters input[name=since]", today)
    alice.fill("#audit-filters input[name=until]", today)
    alice.click("#audit-filters button")
    audit = alice.locator("#audit tbody tr")
    expect(audit).to_have_count(3)
    expect(audit.nth(0)).to_contain_text("alice")  # newest first: the take-over
    expect(audit.nth(1)).to_contain_text("refused")
    expect(audit.nth(2)).to_contain_text("bob")
    alice.fill("#audit-filters input[name=order]", closed)  # the other test released some too
    alice.fill("#audit-filters input[name=actor]", "alice")
    alice.select_option("#audit-filters select[name=action]", "release")
    alice.click("#audit-filters button")
    expect(alice.locator("#audit tbody tr")).to_have_count(2)
    expect(alice.locator("#audit tbody")).to_contain_text(closed)
    alice.screenshot(path=str(ARTIFACTS / "console-desk-audit.png"), full_page=True)

    # A bulk deny asks for a confirmation: dismissed, nothing is sent; accepted, the order is denied.
    alice.goto(f"{console.url}/?order={denied}")
    _row(alice, denied).locator("input.select").check()
    alice.select_option("#bulk select[name=action]", "deny")
    alice.fill("#bulk input[name=justification]", "Consignee refused to state the end use")
    dialogs: list[str] = []

    def answer(accept: bool) -> Callable[[Dialog], None]:
        def handle(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            if accept:
                dialog.accept()
            else:
                dialog.dismiss()

        return handle

    alice.once("dialog", answer(accept=False))
    alice.click("#bulk button")
    expect(alice.locator("h1")).to_contain_text("Open holds")
    alice.once("dialog", answer(accept=True))
    alice.click("#bulk button")
    expect(alice.locator(f'#bulk-results tr[data-order-id="{denied}"] .outcome')).to_have_text("sent")
    assert dialogs == ["Deny 1 selected order(s)? Each block is confirmed and the hold closes."] * 2
    denials = audit_records(console.settings, topic_reader, denied, 2)
    assert [(a.actor, a.action, a.outcome) for a in denials] == [
        ("alice", "deny", "requested"),
        ("alice", "deny", "applied"),
    ]

    # Another console (or this one restarted) knows the claims only from holds.claims.
    second = ReadingConsole(replace(console.settings, console_url=f"http://127.0.0.1:{free_port()}"))
    second.start()
    try:
        elsewhere = new_page()
        sign_in(elsewhere, second.url, "vera", f"/holds/{worked}")
        expect(elsewhere.locator("#claim-state")).to_contain_text("Worked by alice")
        expect(elsewhere.locator("#claim")).to_have_count(0)  # a viewer sees, but may not assign
        elsewhere.goto(f"{second.url}/audit?order={closed}")
        expect(elsewhere.locator("#audit tbody tr")).to_have_count(2)
        # Closed holds, too, come from what it reads (holds.audit), not from what it saw close.
        elsewhere.goto(f"{second.url}/closed?order={closed}")
        released_row = elsewhere.locator(f'#closed tr[data-order-id="{closed}"]')
        expect(released_row.locator(".closed-as")).to_have_text("released")
        expect(released_row).to_contain_text("Licence on file covers this line")
        expect(released_row).to_contain_text("alice")
        elsewhere.goto(f"{second.url}/closed?order={denied}")
        expect(elsewhere.locator(f'#closed tr[data-order-id="{denied}"] .closed-as')).to_have_text("denied")
        elsewhere.screenshot(path=str(ARTIFACTS / "console-desk-closed-second.png"), full_page=True)
        elsewhere.locator("header input[name=order_id]").fill(closed)
        elsewhere.locator("header .search button").click()
        expect(elsewhere.locator("#closed-how")).to_contain_text("The hold is closed: released by alice")
    finally:
        second.stop()
