"""Clearances in the stream on the real broker: a clearance made through the console's action path
and applied by `screening holds apply-reviews` releases the other orders held on that match and the
next order, without a worker restart, and each such close is on the audit trail once; a malformed
allowlist record is refused with a reason and the clearance in force stays; a tombstone revokes it
for the orders screened after, and the orders it released stay released. A clearance made while no
worker runs releases the held orders when a worker starts, once, however often it restarts."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from stateful_support import (  # type: ignore[import-not-found]
    Worker,
    current_of,
    decided,
    produce,
    read_decisions,
)

from pipeline.console.actions import ActionRequest, ActionResult, perform
from pipeline.console.auth import hash_password
from pipeline.decisions.record import CLEARED_RULE
from pipeline.holds.stream_close import CLEARANCE_ACTION
from pipeline.kafka import clients
from pipeline.kafka.holds import KafkaOutbox, read_snapshot
from pipeline.kafka.readback import Received, read_from_start
from pipeline.kafka.reference import publish
from pipeline.reference.envelope import envelope_for
from pipeline.settings import BUNDLED_DATA, PROJECT_ROOT, Settings, settings_env
from schemas.decision import DecisionRecord, Route
from schemas.reference import ReferenceRefusal
from schemas.review import AuditRecord, ReviewAction
from tests.order_flow import ZEPHYR, chair_line
from tests.order_flow import gallium_order_body as order

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

StartWorkers = Callable[..., list[Worker]]
LISTS = BUNDLED_DATA / "parties" / "cn-mofcom-party-lists.csv"
NEW_ROW = (
    "List of Export Controls,Company,Zephyr Precision Optics GmbH,,,Germany,01.03.2026,,"
    "test designation,https://www.mofcom.gov.cn/,\n"
)
SIGNING_KEY = "the clearance test's review signing key"
WHY = "Zephyr Precision Optics GmbH of Jena (HRB 5020) is not the listed Zephyr"


def _zephyr(order_id: str, **fields: Any) -> dict[str, Any]:
    fields.setdefault("lines", chair_line())
    return order(order_id, consignee=ZEPHYR, end_user=ZEPHYR, licence_numbers=[], **fields)


def _unclassified() -> list[dict[str, Any]]:
    return [{**chair_line()[0], "sku": "NO-SUCH-SKU", "description": "assorted parts"}]


@pytest.fixture
def flow(flow: Settings) -> Settings:
    """The stateful topics, with alice a known reviewer and the key reviews are signed with."""
    return replace(
        flow,
        console_users=f"alice:reviewer:{hash_password('not used to sign in here')}",
        review_signing_key=SecretStr(SIGNING_KEY),
    )


@pytest.fixture
def applier(flow: Settings, tmp_path: Path) -> Iterator[None]:
    """`screening holds apply-reviews` as its own process, as operations run it."""
    log = (tmp_path / "applier.log").open("ab")
    trust = {"SCREENING_CONSOLE_USERS": flow.console_users, "SCREENING_REVIEW_SIGNING_KEY": SIGNING_KEY}
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "holds", "apply-reviews"],
        cwd=PROJECT_ROOT,
        env={**os.environ, **settings_env(flow), **trust},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


async def _clear_match(settings: Settings, held: DecisionRecord) -> ActionResult:
    """What the console does when a reviewer clears the Zephyr match on `held`."""
    match = next(m for m in held.party_matches if m.listed_name == ZEPHYR["name"])
    queue = await read_snapshot(settings)
    deadline = asyncio.get_running_loop().time() + 60
    while queue.get(held.order_id) is None and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.5)  # the applier has not written the hold to holds.current yet
        queue = await read_snapshot(settings)
    outbox = KafkaOutbox(settings)
    await outbox.start()
    try:
        request = ActionRequest(
            order_id=held.order_id,
            action=ReviewAction.CLEAR_MATCH,
            decision_id=held.decision_id,
            justification=WHY,
            entry_id=match.entry_id,
            name_sent=match.name_sent,
            expires_days="30",
        )
        return await perform(queue, outbox, "alice", request, datetime.now(UTC))
    finally:
        await outbox.stop()


async def _revoke(settings: Settings, key: str) -> None:
    """The tombstone the console's revoke button writes."""
    outbox = KafkaOutbox(settings)
    await outbox.start()
    try:
        await outbox.revoke_clearance(key)
    finally:
        await outbox.stop()


def _cited(decision: DecisionRecord) -> set[tuple[str, str, str]]:
    return {
        (r.evidence["clearance_id"], r.evidence["cleared_by"], r.evidence["why"])
        for r in decision.reasons
        if r.rule_id == CLEARED_RULE
    }


def _route_is(
    order_id: str, route: Route, *, unlike: frozenset[str] = frozenset()
) -> Callable[[list[DecisionRecord]], bool]:
    """The order's current decision routes to `route` and is none of the decisions `unlike`."""
    return lambda records: (
        (found := current_of(records).get(order_id)) is not None
        and found.route is route
        and found.decision_id not in unlike
    )


def _all(*checks: Callable[[list[DecisionRecord]], bool]) -> Callable[[list[DecisionRecord]], bool]:
    return lambda records: all(check(records) for check in checks)


def _send_allowlist(settings: Settings, key: str, value: bytes | None) -> None:
    producer = clients.producer(settings, "test")
    producer.send(settings.topics.allowlist, key=key.encode(), value=value).get(timeout=30)
    producer.close()


def _refusals(settings: Settings) -> list[ReferenceRefusal]:
    from kafka import TopicPartition

    consumer = clients.consumer(settings, "test", consumer_timeout_ms=5_000)
    errors = TopicPartition(settings.topics.reference_errors, 0)
    consumer.assign([errors])
    consumer.seek_to_beginning(errors)
    found = [ReferenceRefusal.model_validate_json(record.value) for record in consumer]
    consumer.close()
    return found


@pytest.mark.timeout(400)
def test_a_console_clearance_releases_the_held_orders_on_that_match_and_the_next_order(
    flow: Settings, start_workers: StartWorkers, applier: None, tmp_path: Path
) -> None:
    worker = _worker_with_zephyr_listed(flow, start_workers, tmp_path)
    held_ids = ("ORD-REVIEWED", "ORD-ALSO-HELD", "ORD-TWO-REASONS", "ORD-OTHER-HOLD")
    produce(
        flow,
        [
            _zephyr("ORD-REVIEWED"),
            _zephyr("ORD-ALSO-HELD"),
            _zephyr("ORD-TWO-REASONS", lines=_unclassified()),
            order("ORD-OTHER-HOLD", lines=_unclassified(), licence_numbers=[]),
        ],
    )
    first = current_of(read_decisions(flow, decided(*held_ids)))
    assert [first[o].route for o in held_ids] == [Route.HOLD] * 4

    result = asyncio.run(_clear_match(flow, first["ORD-REVIEWED"]))
    assert result.status == 202, result.message
    cleared = read_decisions(
        flow,
        _all(
            _route_is("ORD-REVIEWED", Route.RELEASE),
            _route_is("ORD-ALSO-HELD", Route.RELEASE),
            lambda rs: sum(r.order_id == "ORD-TWO-REASONS" for r in rs) == 2,
        ),
        timeout_s=120,
    )
    current = current_of(cleared)
    clearance = {(result.review_id, "alice", WHY)}
    assert current["ORD-REVIEWED"].review is not None  # the applier's follow-up
    assert _cited(current["ORD-ALSO-HELD"]) == clearance
    assert current["ORD-ALSO-HELD"].supersedes == first["ORD-ALSO-HELD"].decision_id
    assert current["ORD-TWO-REASONS"].route is Route.HOLD
    assert _cited(current["ORD-TWO-REASONS"]) == clearance
    assert [r.order_id for r in cleared].count("ORD-OTHER-HOLD") == 1  # not concerned: not re-screened

    produce(flow, [_zephyr("ORD-NEXT")])
    after_next = read_decisions(flow, decided("ORD-NEXT"))
    assert current_of(after_next)["ORD-NEXT"].route is Route.RELEASE
    assert _cited(current_of(after_next)["ORD-NEXT"]) == clearance

    key = f"{first['ORD-REVIEWED'].party_matches[0].entry_id}|{ZEPHYR['name']}"
    _send_allowlist(flow, key, b'{"entry_id": "truncated')
    produce(flow, [_zephyr("ORD-AFTER-MALFORMED")])
    still = current_of(read_decisions(flow, decided("ORD-AFTER-MALFORMED")))["ORD-AFTER-MALFORMED"]
    assert still.route is Route.RELEASE  # the clearance in force stayed
    refusals = [r for r in _refusals(flow) if r.kind == "allowlist"]
    assert [(r.refused_version, "not an allowlist entry" in r.reason) for r in refusals] == [(key, True)]

    audits = _audit_records(flow, lambda found: bool(_closes(found, "ORD-ALSO-HELD")))
    [closed] = _closes(audits, "ORD-ALSO-HELD")
    assert (closed.actor, closed.review_id, closed.why) == ("alice", result.review_id, WHY)
    assert closed.decision_id == current["ORD-ALSO-HELD"].decision_id
    assert "follow-up decision routes to release" in closed.detail
    assert _closes(audits, "ORD-TWO-REASONS") == []  # still held: nothing closed

    before_revocation = read_decisions(flow, decided("ORD-AFTER-MALFORMED"))
    seen = frozenset(r.decision_id for r in before_revocation)
    asyncio.run(_revoke(flow, key))
    # A revocation acts like a list update: every open order whose decision cites the clearance is
    # screened again, so the released, unshipped ones go back on hold; the reviewer's own release of
    # the order they cleared stands.
    revoked = read_decisions(
        flow,
        _all(
            _route_is("ORD-ALSO-HELD", Route.HOLD, unlike=seen),
            _route_is("ORD-NEXT", Route.HOLD, unlike=seen),
            _route_is("ORD-AFTER-MALFORMED", Route.HOLD, unlike=seen),
            _route_is("ORD-TWO-REASONS", Route.HOLD, unlike=seen),
        ),
        timeout_s=120,
    )
    now_current = current_of(revoked)
    assert now_current["ORD-REVIEWED"] == current_of(before_revocation)["ORD-REVIEWED"]
    for held_again in ("ORD-ALSO-HELD", "ORD-NEXT", "ORD-AFTER-MALFORMED", "ORD-TWO-REASONS"):
        assert _cited(now_current[held_again]) == set()
    assert now_current["ORD-ALSO-HELD"].supersedes == current["ORD-ALSO-HELD"].decision_id
    produce(flow, [_zephyr("ORD-AFTER-REVOCATION")])
    after = read_decisions(flow, decided("ORD-AFTER-REVOCATION"))
    assert current_of(after)["ORD-AFTER-REVOCATION"].route is Route.HOLD
    assert len(after) == len(revoked) + 1  # each re-held once: no second re-screen
    assert worker.alive()


@pytest.mark.timeout(500)
def test_a_clearance_made_while_no_worker_runs_releases_the_held_orders_when_one_starts_once(
    flow: Settings, start_workers: StartWorkers, applier: None, tmp_path: Path
) -> None:
    worker = _worker_with_zephyr_listed(flow, start_workers, tmp_path)
    produce(flow, [_zephyr("ORD-REVIEWED"), _zephyr("ORD-ALSO-HELD")])
    first = current_of(read_decisions(flow, decided("ORD-REVIEWED", "ORD-ALSO-HELD")))
    assert [first[o].route for o in ("ORD-REVIEWED", "ORD-ALSO-HELD")] == [Route.HOLD] * 2
    worker.stop()

    result = asyncio.run(_clear_match(flow, first["ORD-REVIEWED"]))
    assert result.status == 202, result.message
    reviewed = read_decisions(flow, _route_is("ORD-REVIEWED", Route.RELEASE), timeout_s=120)  # the applier's
    assert current_of(reviewed)["ORD-ALSO-HELD"] == first["ORD-ALSO-HELD"]

    (restarted,) = start_workers(flow, 1, data_dir=tmp_path / "w0")
    released = read_decisions(flow, _route_is("ORD-ALSO-HELD", Route.RELEASE), timeout_s=120)
    follow_up = current_of(released)["ORD-ALSO-HELD"]
    assert follow_up.supersedes == first["ORD-ALSO-HELD"].decision_id
    assert _cited(follow_up) == {(result.review_id, "alice", WHY)}
    audits = _audit_records(flow, lambda found: bool(_closes(found, "ORD-ALSO-HELD")))
    [closed] = _closes(audits, "ORD-ALSO-HELD")
    assert (closed.decision_id, closed.actor, closed.why) == (follow_up.decision_id, "alice", WHY)

    restarted.stop()
    (again,) = start_workers(flow, 1, data_dir=tmp_path / "w0")
    _wait_for_a_sweep(again)
    produce(flow, [_zephyr("ORD-AFTER-RESTART")])
    after = read_decisions(flow, decided("ORD-AFTER-RESTART"))
    assert current_of(after)["ORD-AFTER-RESTART"].route is Route.RELEASE
    time.sleep(3)  # a re-screen the sweep asked for would be decided by now
    after = read_decisions(flow, decided("ORD-AFTER-RESTART"))
    assert [r.order_id for r in after].count("ORD-ALSO-HELD") == 2  # the hold and one follow-up
    assert [r.order_id for r in after].count("ORD-REVIEWED") == 2  # the hold and the applier's
    everything = _audit_records(flow, lambda found: any(r.order_id == "ORD-REVIEWED" for r in found))
    assert len(_closes(everything, "ORD-ALSO-HELD")) == 1


def _worker_with_zephyr_listed(flow: Settings, start_workers: StartWorkers, tmp_path: Path) -> Worker:
    """One worker that has loaded the bundled lists plus the row that lists Zephyr."""
    (worker,) = start_workers(flow, 1)
    lists = tmp_path / "lists" / "cn-mofcom-party-lists.csv"
    lists.parent.mkdir()
    lists.write_text(LISTS.read_text(encoding="utf-8") + NEW_ROW, encoding="utf-8")
    envelope = envelope_for(lists)
    publish(flow, [envelope])
    worker.wait_reference("parties", envelope.version)
    return worker


def _wait_for_a_sweep(worker: Worker, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while worker.get("/reference")[1].get("clearance_sweeps", 0) < 1:
        if time.monotonic() > deadline:
            pytest.fail(f"the worker never swept the held orders:\n{worker.log_tail()}")
        time.sleep(0.3)


def _audit_records(settings: Settings, until: Callable[[list[AuditRecord]], bool]) -> list[AuditRecord]:
    """Every record on `holds.audit`, read from the start until `until` holds."""
    found: list[AuditRecord] = []

    def parsed(records: list[Received]) -> bool:
        found.extend(AuditRecord.model_validate_json(r.value) for r in records[len(found) :])
        return until(found)

    read_from_start(settings, [settings.topics.audit], until=parsed, timeout_s=120)
    return found


def _closes(records: list[AuditRecord], order_id: str) -> list[AuditRecord]:
    """The audit trail's records of the order's hold closed by a clearance re-screen."""
    return [r for r in records if r.order_id == order_id and r.action == CLEARANCE_ACTION]
