"""The console in Debian's Chromium, driven by Playwright, against the real broker.

The console (with the review applier) runs in a background thread on 127.0.0.1; the tests produce
hold decisions to `screening.decisions`, act in the browser, and read the outcome back from
`shipments.release` and `holds.audit`. Screenshots of the queue and of a detail page go to
test-artifacts/.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, expect, sync_playwright
from pydantic import SecretStr

from pipeline.console.auth import hash_password
from pipeline.console.service import serve_console
from pipeline.harness.ports import free_port
from pipeline.kafka import clients
from pipeline.settings import PROJECT_ROOT, Settings
from schemas.decision import DecisionRecord
from schemas.review import AuditRecord
from tests.holds.samples import licence_hold, party_list_hold

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
PASSWORD = "correct horse battery staple"
SECRET = "browser-test-session-secret-0123456789"
LIVE_TIMEOUT_MS = 20_000
# Live updates arrive by 2 s polling after a round trip through Kafka: wait longer than expect's 5 s.
expect.set_options(timeout=LIVE_TIMEOUT_MS)


class RunningConsole:
    """`serve_console` on its own event loop in a daemon thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = settings.console_url
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._run, name="console", daemon=True)

    def _run(self) -> None:
        try:
            # asyncio.run also finishes the clients' closing tasks before it closes the loop.
            asyncio.run(self._serve())
        except asyncio.CancelledError:
            pass
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread by start()
            self._error = exc
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        ready = asyncio.Event()

        async def signal() -> None:
            await ready.wait()
            self._ready.set()

        signaller = asyncio.create_task(signal())
        try:
            await serve_console(self.settings, apply_reviews=True, ready=ready)
        finally:
            signaller.cancel()

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(60) or self._error is not None:
            msg = f"console did not start: {self._error!r}"
            raise RuntimeError(msg)

    def stop(self) -> None:
        if self._loop is not None and self._task is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(30)


@pytest.fixture(scope="session")
def chromium() -> str:
    subprocess.run([str(PROJECT_ROOT / "deploy" / "tools" / "install-browser.sh")], check=True)
    return CHROMIUM


def running_console(
    name: str, isolate: Callable[[str, Path], Settings], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningConsole]:
    """A console with the review applier on its own `name` topics: reviewers alice and bob, viewer vera."""
    users = ",".join(
        f"{user}:{role}:{hash_password(PASSWORD)}"
        for user, role in (("alice", "reviewer"), ("bob", "reviewer"), ("vera", "viewer"))
    )
    settings = replace(
        isolate(name, tmp_path_factory.mktemp(name)),
        console_users=users,
        console_session_secret=SecretStr(SECRET),
        console_url=f"http://127.0.0.1:{free_port()}",
        review_signing_key=SecretStr("k" * 32),
    )
    running = RunningConsole(settings)
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def console(
    isolate: Callable[[str, Path], Settings], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningConsole]:
    yield from running_console("console", isolate, tmp_path_factory)


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[[], Page]]:
    """Pages in separate contexts: each has its own cookies, as two reviewers at two desks."""
    contexts: list[BrowserContext] = []

    def make() -> Page:
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        context.set_default_timeout(LIVE_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def publish(settings: Settings, decision: DecisionRecord, order: dict[str, Any] | None = None) -> None:
    """The order (when given) on `orders`, then its hold decision on `screening.decisions`."""
    producer = clients.producer(settings, "test")
    key = decision.order_id.encode()
    try:
        if order is not None:
            producer.send(settings.topics.orders, json.dumps(order).encode(), key=key).get(timeout=30)
        producer.send(settings.topics.decisions, decision.model_dump_json().encode(), key=key).get(timeout=30)
    finally:
        producer.close()


def sign_in(page: Page, base: str, user: str, path: str = "/") -> None:
    page.goto(base + path)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("header .who")).to_contain_text(user)


def release(page: Page, justification: str) -> None:
    form = page.locator('form[data-action="release"]')
    form.locator("textarea").fill(justification)
    form.locator("button").click()


def released_decisions(
    settings: Settings, read: Callable[..., list[Any]], order_id: str
) -> list[DecisionRecord]:
    def found(records: list[Any]) -> bool:
        return any(json.loads(r.value)["order_id"] == order_id for r in records)

    records = read(settings, [settings.topics.release], until=found, timeout_s=30)
    decisions = [DecisionRecord.model_validate_json(r.value) for r in records]
    return [d for d in decisions if d.order_id == order_id]


def audit_records(
    settings: Settings, read: Callable[..., list[Any]], order_id: str, count: int
) -> list[AuditRecord]:
    def enough(records: list[Any]) -> bool:
        matching = [r for r in records if AuditRecord.model_validate_json(r.value).order_id == order_id]
        return len(matching) >= count

    records = read(settings, [settings.topics.audit], until=enough, timeout_s=30)
    audits = [AuditRecord.model_validate_json(r.value) for r in records]
    return sorted((a for a in audits if a.order_id == order_id), key=lambda a: a.at)


def test_sign_in_see_a_new_hold_release_it_and_see_it_leave_the_queue(
    console: RunningConsole, new_page: Callable[[], Page], topic_reader: Callable[..., list[Any]]
) -> None:
    page = new_page()
    sign_in(page, console.url, "alice")
    order_id = f"ORD-{uuid.uuid4().hex[:8]}"
    publish(console.settings, licence_hold(order_id))

    row = page.locator(f'#holds tr[data-order-id="{order_id}"]')
    expect(row).to_be_visible()  # arrives through polling, without a reload
    expect(row.locator("td.age")).to_have_text(re.compile(r"^\d+ (s|min)$"))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console-queue.png"), full_page=True)

    row.locator("a").click()
    expect(page.locator("h1")).to_have_text(f"Order {order_id}")
    expect(page.locator("table.findings")).to_contain_text("MOFCOM Announcement 2024 No. 51")
    page.screenshot(path=str(ARTIFACTS / "console-detail.png"), full_page=True)

    release(page, "End use confirmed in writing: civil optics")
    expect(page.locator(".notice").first).to_have_text("Release sent.")
    # The applier's follow-up shows without a reload: as a banner, or in the state line when it won the
    # race with the redirect after the form post.
    expect(page.locator("main")).to_contain_text("route release")
    page.click("header .brand")
    expect(page.locator(f'#holds tr[data-order-id="{order_id}"]')).to_have_count(0)

    [decision] = released_decisions(console.settings, topic_reader, order_id)
    assert decision.review is not None
    assert (decision.review["approved_by"], decision.review["justification"]) == (
        "alice",
        "End use confirmed in writing: civil optics",
    )
    audits = audit_records(console.settings, topic_reader, order_id, 2)
    assert [(a.actor, a.action, a.outcome) for a in audits] == [
        ("alice", "release", "requested"),
        ("alice", "release", "applied"),
    ]


def test_a_prohibited_finding_is_released_only_by_two_different_reviewers(
    console: RunningConsole,
    new_page: Callable[[], Page],
    topic_reader: Callable[..., list[Any]],
    make_order: Callable[..., dict[str, Any]],
) -> None:
    order_id = f"ORD-{uuid.uuid4().hex[:8]}"
    decision = party_list_hold(order_id)
    end_user = {"name": decision.party_matches[0].name_sent, "country": "JP", "address": "Nagoya"}
    publish(
        console.settings, decision, make_order(order_id=order_id, end_user=end_user, destination_country="JP")
    )
    alice = new_page()
    sign_in(alice, console.url, "alice", f"/holds/{order_id}")
    expect(alice.locator("table.matches")).to_contain_text("Mitsubishi Heavy Industries Aero Engines, Ltd.")
    expect(alice.locator("table.lines")).to_contain_text("Germanium ingot")
    ARTIFACTS.mkdir(exist_ok=True)
    alice.screenshot(path=str(ARTIFACTS / "console-detail-party-match.png"), full_page=True)
    release(alice, "Different entity: registration 0104-01-012345")
    expect(alice.locator(".notice").first).to_contain_text("second, different reviewer")
    release(alice, "Trying again on my own")
    expect(alice.locator(".error")).to_contain_text("different reviewer must approve")

    bob = new_page()
    sign_in(bob, console.url, "bob", f"/holds/{order_id}")
    expect(bob.locator(".four-eyes").first).to_contain_text("alice")
    release(bob, "Agree: registration number differs from the listed entity")
    expect(bob.locator(".notice").first).to_have_text("Release sent.")
    bob.click("header .brand")
    expect(bob.locator(f'#holds tr[data-order-id="{order_id}"]')).to_have_count(0)

    [decision] = released_decisions(console.settings, topic_reader, order_id)
    assert decision.review is not None
    assert decision.review["approved_by"] == "alice,bob"
    audits = audit_records(console.settings, topic_reader, order_id, 5)
    assert [(a.actor, a.outcome) for a in audits if a.action == "release"] == [
        ("alice", "requested"),
        ("alice", "awaiting_second_approval"),
        ("alice", "refused"),
        ("bob", "requested"),
        ("bob", "applied"),
    ]


def test_unauthenticated_gets_401_and_a_viewer_gets_403(
    console: RunningConsole, new_page: Callable[[], Page]
) -> None:
    order_id = f"ORD-{uuid.uuid4().hex[:8]}"
    publish(console.settings, licence_hold(order_id))
    page = new_page()
    assert page.request.get(f"{console.url}/api/holds").status == 401
    assert page.request.post(f"{console.url}/api/holds/{order_id}/release", data={}).status == 401

    sign_in(page, console.url, "vera", f"/holds/{order_id}")
    expect(page.locator("h1")).to_have_text(f"Order {order_id}")
    expect(page.locator("form[data-action]")).to_have_count(0)
    csrf = page.locator("header input[name=csrf]").input_value()
    refused = page.request.post(
        f"{console.url}/api/holds/{order_id}/release",
        data={"justification": "viewers may not release"},
        headers={"X-CSRF-Token": csrf},
    )
    assert refused.status == 403
    assert page.request.get(f"{console.url}/api/holds/{order_id}").json()["open"] is True


def test_deny_asks_for_a_justification_and_a_confirmation(
    console: RunningConsole, new_page: Callable[[], Page], topic_reader: Callable[..., list[Any]]
) -> None:
    order_id = f"ORD-{uuid.uuid4().hex[:8]}"
    publish(console.settings, licence_hold(order_id))
    page = new_page()
    sign_in(page, console.url, "alice", f"/holds/{order_id}")
    form = page.locator('form[data-action="deny"]')
    dialogs: list[str] = []
    accepting = [True]

    def answer(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        if accepting[-1]:
            dialog.accept()
        else:
            dialog.dismiss()

    page.on("dialog", answer)
    # Without a justification the browser does not send the form: nothing asks, nothing happens.
    form.locator("button").click()
    expect(form.locator("textarea")).to_have_js_property("validity.valueMissing", value=True)
    expect(page.locator(".notice")).to_have_count(0)
    assert dialogs == []

    form.locator("textarea").fill("End user named on a MOFCOM notice; shipment refused")
    accepting.append(False)
    form.locator("button").click()
    expect(page.locator(".notice")).to_have_count(0)
    assert len(dialogs) == 1
    assert order_id in dialogs[0]

    accepting.append(True)
    form.locator("button").click()
    expect(page.locator(".notice").first).to_have_text("Deny sent.")
    # The applier's follow-up: a banner, or already the state line when it won the race with the redirect.
    expect(page.locator("main")).to_contain_text(re.compile("A newer decision replaced this one|denied"))
    page.reload()
    expect(page.locator("#hold-state")).to_contain_text("denied: the block is confirmed")
    expect(page.locator('form[data-action="deny"]')).to_have_count(0)
    assert len(dialogs) == 2

    audits = audit_records(console.settings, topic_reader, order_id, 2)
    assert [(a.actor, a.action, a.outcome, a.why) for a in audits] == [
        ("alice", "deny", "requested", "End user named on a MOFCOM notice; shipment refused"),
        ("alice", "deny", "applied", "End user named on a MOFCOM notice; shipment refused"),
    ]


def test_a_saved_cookie_does_not_act_after_sign_out(
    console: RunningConsole, new_page: Callable[[], Page]
) -> None:
    page = new_page()
    sign_in(page, console.url, "bob")
    saved = [(c["name"], c["value"]) for c in page.context.cookies()]
    assert page.request.get(f"{console.url}/api/holds").status == 200
    page.click("header .who button")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.context.add_cookies([{"name": name, "value": value, "url": console.url} for name, value in saved])
    assert page.request.get(f"{console.url}/api/holds").status == 401
