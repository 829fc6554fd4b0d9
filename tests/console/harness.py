"""The console app without a broker, for the API, sign-in and session tests: the projection is fed
directly, the outbox is memory, the clock is the test's."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from pipeline.console.app import build_app
from pipeline.console.auth import hash_password, parse_users
from pipeline.console.context import SignInPolicy
from pipeline.holds.applier import ReviewApplier
from pipeline.holds.audit_log import AuditLog
from pipeline.holds.claims import ClaimBook
from pipeline.holds.outbox import MemoryOutbox
from pipeline.holds.queue import HoldQueue
from pipeline.holds.signing import ReviewSigner
from pipeline.holds.trust import ReviewTrust
from schemas.decision import DecisionRecord

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
USERS = parse_users(
    ",".join(
        f"{name}:{role}:{hash_password(PASSWORD)}"
        for name, role in (("vera", "viewer"), ("alice", "reviewer"), ("bob", "reviewer"), ("ada", "admin"))
    )
)
SECRET = "s" * 40
SIGNER = ReviewSigner(b"k" * 32)
Client = TestClient[web.Request, web.Application]
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


class Harness:
    def __init__(self, **policy: Any) -> None:
        self.now = NOW
        self.queue = HoldQueue()
        self.outbox = MemoryOutbox(signer=SIGNER)
        self.applied = MemoryOutbox()
        self.users = dict(USERS)
        self.claims = ClaimBook()
        self.audit_log = AuditLog()
        self.sla_seconds = 4 * 3600.0
        self.applier = ReviewApplier(ReviewTrust(SIGNER, self.users))
        self._forwarded = 0
        self.server: TestServer | None = None
        self.app = self.build_app(**policy)

    def build_app(self, *, metrics: CollectorRegistry | None = None, **policy: Any) -> web.Application:
        """A console over this harness's queue and outbox; a second call is the console restarted."""
        return build_app(
            self.queue,
            self.outbox,
            self.users,
            SECRET,
            clock=lambda: self.now,
            policy=SignInPolicy(**policy),
            metrics=metrics,
            claims=self.claims,
            audit_log=self.audit_log,
            hold_sla_seconds=self.sla_seconds,
        )

    def read_back_audit(self) -> None:
        """What the console's reader of holds.audit does: every record sent so far reaches the log."""
        for record in [*self.outbox.audits, *self.applied.audits]:
            self.audit_log.add(record)

    async def apply_reviews(self) -> None:
        """What the review applier does once the reviews reach holds.reviews; its follow-ups reach the
        console's queue as they would through `screening.decisions`."""
        for review in self.outbox.reviews[self._forwarded :]:
            _, effects = self.applier.on_review(review, decisions_complete=True, now=self.now)
            for decision in effects.decisions:
                await self.applied.decision(decision)
                self.queue.add_decision(decision)
            for entry in effects.allowlist:
                await self.applied.allowlist(entry)
            for record in effects.audits:
                await self.applied.audit(record)
        self._forwarded = len(self.outbox.reviews)

    def add(self, decision: DecisionRecord) -> DecisionRecord:
        self.queue.add_decision(decision)
        self.applier.on_decision(decision)
        return decision


def another_desk(harness: Harness) -> Client:
    """A second browser on the console `run` serves: its own cookies."""
    assert harness.server is not None
    return TestClient(harness.server)


async def login_token(client: Client) -> str:
    page = await client.get("/login")
    token = CSRF_RE.search(await page.text())
    assert token is not None
    return token.group(1)


async def sign_in(client: Client, user: str, password: str = PASSWORD) -> str:
    """Sign in through the form; return the session's CSRF token ("" when refused)."""
    token = await login_token(client)
    response = await client.post(
        "/login",
        data={"username": user, "password": password, "csrf": token, "next": "/"},
        allow_redirects=False,
    )
    if response.status != 303:
        return ""
    queue_page = await client.get("/")
    csrf = CSRF_RE.search(await queue_page.text())
    assert csrf is not None
    return csrf.group(1)


Scenario = Callable[[Harness, Client], Awaitable[None]]


def run(scenario: Scenario, harness: Harness | None = None) -> Harness:
    harness = harness or Harness()

    async def main() -> None:
        harness.server = TestServer(harness.app)
        async with TestClient(harness.server) as client:
            await scenario(harness, client)

    asyncio.run(main())
    return harness
