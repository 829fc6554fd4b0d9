"""What an analyst's clicks cost the console, offline: one queue poll (`/api/holds`, a page of 50),
the CSV export of the whole queue, and an audit search, with N open holds and M audit records.

    python bench/console_desk.py --runs 5 --holds 200 5000 --audit 200000

Requests go through the real aiohttp app (routing, session check, rendering, JSON) with an in-memory
outbox; the figures are milliseconds per request, medians over `--runs` rounds of 20 requests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import secrets
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta

from aiohttp.test_utils import TestClient, TestServer

from pipeline.console.app import build_app
from pipeline.console.auth import hash_password, parse_users
from pipeline.holds.audit_log import AuditLog
from pipeline.holds.outbox import MemoryOutbox
from pipeline.holds.queue import HoldQueue
from schemas.decision import Citation, DecisionRecord, Outcome, Reason, Route
from schemas.review import AuditOutcome, AuditRecord

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
# A fresh password per run: the bench signs in once, through the real form.
PASSWORD = secrets.token_urlsafe(12)
CITATION = Citation(
    authority="MOFCOM", instrument="2024 No. 51", date=date(2024, 11, 15), url="https://x.example"
)
REQUESTS = 20


def _hold(n: int) -> DecisionRecord:
    reasons = [
        Reason(
            rule_id=f"cn.rule-{k}",
            title=f"Finding {k}",
            outcome=(Outcome.PROHIBITED, Outcome.REVIEW, Outcome.LICENCE_REQUIRED)[k],
            citation=CITATION,
            line_id=str(k + 1),
            explanation="why",
            evidence={"destination_country": "DE"},
        )
        for k in range(3)
    ]
    at = NOW - timedelta(minutes=n)
    return DecisionRecord(
        decision_id=str(uuid.uuid4()),
        order_id=f"ORD-{n:07d}",
        revision=1,
        route=Route.HOLD,
        as_of=at.date(),
        evaluated_at=at,
        reasons=reasons,
    )


def _audit(n: int) -> AuditRecord:
    return AuditRecord(
        audit_id=str(n),
        at=NOW - timedelta(seconds=n),
        actor=("alice", "bob", "carol")[n % 3],
        action=("release", "deny", "claim", "escalate")[n % 4],
        outcome=AuditOutcome.REQUESTED,
        order_id=f"ORD-{n % 50_000:07d}",
    )


async def _measure(holds: int, audits: int, runs: int) -> dict[str, float]:
    queue = HoldQueue()
    for n in range(holds):
        queue.add_decision(_hold(n))
    audit_log = AuditLog()
    for n in range(audits):
        audit_log.add(_audit(n))
    users = parse_users(f"alice:reviewer:{hash_password(PASSWORD)}")
    app = build_app(queue, MemoryOutbox(), users, "s" * 40, clock=lambda: NOW, audit_log=audit_log)
    async with TestClient(TestServer(app)) as client:
        page = await (await client.get("/login")).text()
        token = re.search(r'name="csrf" value="([^"]+)"', page)
        assert token is not None
        form = {"username": "alice", "password": PASSWORD, "csrf": token.group(1), "next": "/"}
        await client.post("/login", data=form)
        paths = {
            "poll_ms": "/api/holds?per_page=50",
            "export_ms": "/export.csv",
            "audit_search_ms": "/audit?actor=bob&action=deny&since=2026-03-01",
        }
        result: dict[str, float] = {}
        for name, path in paths.items():
            rounds = []
            for _ in range(runs):
                start = time.perf_counter()
                for _ in range(REQUESTS):
                    response = await client.get(path)
                    assert response.status == 200, path
                    await response.read()
                rounds.append((time.perf_counter() - start) * 1000 / REQUESTS)
            result[name] = round(statistics.median(rounds), 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--holds", type=int, nargs="+", default=[200, 5000])
    parser.add_argument("--audit", type=int, default=200_000)
    args = parser.parse_args()
    figures = {str(n): asyncio.run(_measure(n, args.audit, args.runs)) for n in args.holds}
    print(json.dumps({"runs": args.runs, "audit_records": args.audit, "by_open_holds": figures}, indent=2))


if __name__ == "__main__":
    main()
