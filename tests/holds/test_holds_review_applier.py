"""The review applier against the real broker: forged reviews refused and audited, and exactly one
follow-up per review however many appliers run (one of them leaving half-way)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import pytest
from pydantic import SecretStr

from pipeline.console.auth import hash_password
from pipeline.holds.apply import follow_up_decision_id
from pipeline.holds.signing import ReviewSigner
from pipeline.kafka import clients, review_applier
from pipeline.settings import Settings
from schemas.decision import DecisionRecord
from schemas.review import AuditOutcome, AuditRecord, CurrentHold, Review, ReviewAction
from tests.holds.samples import licence_hold, party_list_hold

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(240)]

KEY = "the applier test's review signing key"
SIGNER = ReviewSigner(KEY.encode())
_HASH = hash_password("pw")


@pytest.fixture
def reviews_env(isolated: Settings) -> Settings:
    users = ",".join(
        f"{n}:{r}:{_HASH}" for n, r in (("alice", "reviewer"), ("bob", "admin"), ("vera", "viewer"))
    )
    return replace(isolated, console_users=users, review_signing_key=SecretStr(KEY))


def made(
    decision: DecisionRecord,
    review_id: str,
    reviewer: str = "alice",
    action: ReviewAction = ReviewAction.ESCALATE,
) -> Review:
    return Review(
        review_id=review_id,
        order_id=decision.order_id,
        decision_id=decision.decision_id,
        action=action,
        reviewer=reviewer,
        justification="documents on file",
        created_at=decision.evaluated_at,
    )


def publish(settings: Settings, topic: str, records: list[tuple[str, bytes]]) -> None:
    producer = clients.producer(settings, "test", linger_ms=5)
    for key, value in records:
        producer.send(topic, value, key=key.encode())
    producer.flush(timeout=60)
    producer.close()


def read_committed(
    settings: Settings,
    topic: str,
    until: Callable[[list[tuple[str, bytes | None]]], bool],
    timeout_s: float = 90,
) -> list[tuple[str, bytes | None]]:
    """(key, value) of `topic` from the start, committed records only, until `until` holds."""
    from kafka import TopicPartition

    consumer = clients.consumer(settings, "check", isolation_level="read_committed", fetch_max_wait_ms=100)
    seen: list[tuple[str, bytes | None]] = []
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        deadline = time.monotonic() + timeout_s
        while not until(seen):
            if time.monotonic() > deadline:
                pytest.fail(f"{topic}: only {len(seen)} records after {timeout_s} s")
            for records in consumer.poll(timeout_ms=200).values():
                seen.extend(((r.key or b"").decode(), r.value) for r in records)
    finally:
        consumer.close()
    return seen


def assignments(settings: Settings) -> list[dict[str, list[int]]]:
    """Per member of the applier group: topic -> assigned partitions."""
    admin = clients.admin(settings, "check")
    try:
        group = admin.describe_groups([review_applier.group_id(settings)])[review_applier.group_id(settings)]
    finally:
        admin.close()
    return [
        {a["topic"]: sorted(a["partitions"]) for a in member["member_assignment"]["assigned_partitions"]}
        for member in group["members"]
    ]


def wait_for_two_members(settings: Settings) -> list[dict[str, list[int]]]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        members = assignments(settings)
        if len(members) == 2 and all(members):
            return members
        time.sleep(0.5)
    pytest.fail(f"the applier group never shared its partitions: {assignments(settings)}")


@contextlib.asynccontextmanager
async def applier(settings: Settings) -> AsyncIterator[asyncio.Task[None]]:
    started = asyncio.Event()
    task = asyncio.create_task(review_applier.run(settings, started=started))
    waiter = asyncio.create_task(started.wait())
    done, _ = await asyncio.wait({task, waiter}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        task.result()
    assert waiter in done, "the applier did not start within 60 s"
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def test_forged_replayed_and_stale_reviews_are_refused_and_audited(reviews_env: Settings) -> None:
    settings = reviews_env
    topics = settings.topics
    hold = licence_hold("ORD-FORGE-1")
    genuine = SIGNER.sign(made(hold, "genuine"))
    forged = {
        "unsigned": made(hold, "unsigned", reviewer="mallory"),
        "wrong-key": ReviewSigner(b"an attacker's key of 32 bytes ..").sign(made(hold, "wrong-key")),
        "unknown": SIGNER.sign(made(hold, "unknown", reviewer="mallory")),
        "viewer": SIGNER.sign(made(hold, "viewer", reviewer="vera")),
        "altered": SIGNER.sign(made(hold, "altered")).model_copy(update={"action": ReviewAction.RELEASE}),
    }
    stale = SIGNER.sign(made(hold, "stale", reviewer="bob", action=ReviewAction.LICENSE))
    review_bytes = [
        *(r.model_dump_json().encode() for r in forged.values()),
        b'{"review_id": "broken", "order_id": "ORD-FORGE-1"',
        genuine.model_dump_json().encode(),
        genuine.model_dump_json().encode(),  # the same record again: a replay
        stale.model_dump_json().encode(),  # made on the decision the genuine review replaced
    ]

    async def scenario() -> None:
        async with applier(settings):
            await asyncio.to_thread(
                publish, settings, topics.decisions, [(hold.order_id, hold.model_dump_json().encode())]
            )
            await asyncio.to_thread(
                publish, settings, topics.holds_reviews, [(hold.order_id, v) for v in review_bytes]
            )
            await asyncio.to_thread(read_committed, settings, topics.audit, lambda seen: len(seen) >= 9)

    asyncio.run(scenario())
    audits = [
        AuditRecord.model_validate_json(v or b"")
        for _, v in read_committed(settings, topics.audit, lambda s: len(s) >= 9)
    ]
    by_review = {(a.review_id or "?", a.outcome): a.detail for a in audits}
    assert len(audits) == 9
    assert by_review[("genuine", AuditOutcome.APPLIED)] == "follow-up decision routes to hold"
    refused = sorted(
        (rid, detail) for (rid, outcome), detail in by_review.items() if outcome is AuditOutcome.REFUSED
    )
    assert [rid for rid, _ in refused] == [
        "?",
        "altered",
        "genuine",
        "stale",
        "unknown",
        "unsigned",
        "viewer",
        "wrong-key",
    ]
    reasons = dict(refused)
    assert reasons["unsigned"] == "unsigned review"
    assert reasons["wrong-key"].startswith("bad signature")
    assert reasons["altered"].startswith("bad signature")
    assert reasons["unknown"] == "unknown reviewer 'mallory'"
    assert "role viewer, which may not escalate" in reasons["viewer"]
    assert reasons["genuine"].startswith("replayed: review genuine")
    assert reasons["stale"].startswith(f"decision {hold.decision_id} is not current")
    assert reasons["?"].startswith("unreadable review")

    followups = read_committed(settings, topics.decision_followups, lambda seen: len(seen) >= 1)
    time.sleep(1)
    followups = read_committed(settings, topics.decision_followups, lambda seen: len(seen) >= 1)
    assert [DecisionRecord.model_validate_json(v or b"").decision_id for _, v in followups] == [
        follow_up_decision_id("genuine")
    ]
    current = read_committed(settings, topics.holds_current, lambda seen: len(seen) >= 2)
    latest = CurrentHold.model_validate_json(current[-1][1] or b"")
    assert (latest.order_id, latest.decision.decision_id, latest.applied_review_ids) == (
        hold.order_id,
        follow_up_decision_id("genuine"),
        ["genuine"],
    )


def test_two_appliers_at_once_give_one_follow_up_per_review(reviews_env: Settings) -> None:
    settings = reviews_env
    topics = settings.topics
    singles = [licence_hold(f"ORD-EOS-{n:02}") for n in range(16)]
    pairs = [party_list_hold(f"ORD-EOS-P{n:02}") for n in range(6)]
    decisions = [(d.order_id, d.model_dump_json().encode()) for d in (*singles, *pairs)]
    first_half = [SIGNER.sign(made(d, f"r-{d.order_id}")) for d in singles[:8]]
    first_half += [SIGNER.sign(made(d, f"a-{d.order_id}", "alice", ReviewAction.RELEASE)) for d in pairs]
    second_half = [SIGNER.sign(made(d, f"r-{d.order_id}")) for d in singles[8:]]
    second_half += [SIGNER.sign(made(d, f"b-{d.order_id}", "bob", ReviewAction.RELEASE)) for d in pairs]
    applying = [r.review_id for r in (*first_half[:8], *second_half)]

    def as_records(reviews: list[Review]) -> list[tuple[str, bytes]]:
        return [(r.order_id, r.model_dump_json().encode()) for r in reviews]

    async def scenario() -> None:
        async with applier(settings), applier(settings):
            members = await asyncio.to_thread(wait_for_two_members, settings)
            # Co-partitioned: each applier owns the same partitions of reviews and decisions.
            assert all(m[topics.holds_reviews] == m[topics.decisions] for m in members)
            assert sorted(p for m in members for p in m[topics.decisions]) == list(
                range(settings.order_partitions)
            )
            await asyncio.to_thread(publish, settings, topics.decisions, decisions)
            await asyncio.to_thread(publish, settings, topics.holds_reviews, as_records(first_half))
            # The same reviews again: replays, refused by whichever applier owns their partition.
            await asyncio.to_thread(publish, settings, topics.holds_reviews, as_records(first_half))
            await asyncio.to_thread(
                read_committed, settings, topics.decision_followups, lambda s: len(s) >= 8
            )
        async with applier(settings), applier(settings):
            await asyncio.to_thread(publish, settings, topics.holds_reviews, as_records(second_half))
            await asyncio.to_thread(
                read_committed, settings, topics.decision_followups, lambda s: len(s) >= len(applying)
            )
            await asyncio.sleep(2)

    asyncio.run(scenario())
    followups = read_committed(settings, topics.decision_followups, lambda s: len(s) >= len(applying))
    ids = Counter(DecisionRecord.model_validate_json(v or b"").decision_id for _, v in followups)
    assert ids == Counter(follow_up_decision_id(rid) for rid in applying)
    audits = [
        AuditRecord.model_validate_json(v or b"")
        for _, v in read_committed(settings, topics.audit, lambda s: len(s) >= 42)
    ]
    outcomes = Counter((a.review_id or "", a.outcome) for a in audits)
    assert sorted(
        rid for (rid, outcome), n in outcomes.items() if outcome is AuditOutcome.APPLIED and n == 1
    ) == sorted(applying)
    assert all(n == 1 for n in outcomes.values())
    assert Counter(a.outcome for a in audits)[AuditOutcome.REFUSED] == len(first_half)  # the replays
