"""`screening conservation check` on the real broker tells orders the workers still owe from lost ones,
and counts over-drawn licences itself.

Pending: a worker is in the group and the order lies past the group's committed offset (a paused
worker's backlog) or behind its licence draw request. Lost: the group committed past the order
without an outcome, or no worker is left to drain it. Exit codes: 0 holds, 1 violated, 3 pending.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline.audit.licences import DRAWN_RULE
from pipeline.cli import main
from pipeline.cli.reliability import PENDING_EXIT
from pipeline.harness.worker_process import WorkerProcess
from pipeline.kafka.groups import start_group_at
from pipeline.kafka.orders import produce_keyed
from pipeline.kafka.readback import mark_run
from pipeline.licences.requests import DrawRequest, plan_draw
from pipeline.reference.snapshot import build_snapshot
from pipeline.screening import build_screener
from pipeline.settings import Settings, settings_env
from schemas.decision import DecisionRecord, Outcome, Reason, Route
from schemas.order import OrderEvent
from tests.order_flow import GALLIUM_LICENCE, gallium_order_body

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(240)]

GALLIUM_ITEM = "2"  # bundled licences.yaml: 200 kg of gallium metal on the single licence


@pytest.fixture
def cli(isolated: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """`screening conservation check --json ARGS` on the test's topics: (exit code, report)."""
    for name, value in settings_env(isolated).items():
        monkeypatch.setenv(name, value)

    def check(*args: str | Path) -> tuple[int, dict[str, Any]]:
        capsys.readouterr()
        code = main(["conservation", "check", "--json", *map(str, args)])
        return code, json.loads(capsys.readouterr().out)

    return check


@pytest.fixture
def mark(tmp_path: Path, cli: Any) -> Path:
    """The run's start, marked on the test's topics (`cli` set the environment)."""
    path = tmp_path / "run.json"
    assert main(["conservation", "mark", "--out", str(path)]) == 0
    return path


@contextmanager
def paused(worker: WorkerProcess) -> Iterator[None]:
    """The worker frozen (SIGSTOP): still a member of its group, draining nothing."""
    os.killpg(worker.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(worker.pid, signal.SIGCONT)


@contextmanager
def running_worker(settings: Settings, tmp_path: Path) -> Iterator[WorkerProcess]:
    worker = WorkerProcess(settings, tmp_path, "worker").start()
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()


def keyed(bodies: list[dict[str, Any]]) -> list[tuple[str, bytes]]:
    return [(body["order_id"], json.dumps(body).encode()) for body in bodies]


def start_group_past_the_orders_now(settings: Settings) -> None:
    """The workers' group starts where the orders topic ends now: what is there was taken in."""
    topic = settings.topics.orders
    start_group_at(settings, settings.app_id, topic, dict(mark_run(settings).start(topic)))


def test_orders_behind_a_paused_worker_are_pending_then_decided(
    isolated: Settings, tmp_path: Path, mark: Path, cli: Any, make_order: Callable[..., dict[str, Any]]
) -> None:
    bodies = [make_order(order_id=f"PAUSED-{n}") for n in range(30)]
    with running_worker(isolated, tmp_path) as worker:
        with paused(worker):
            produce_keyed(isolated, keyed(bodies))
            code, report = cli("--since", mark, "--expect", 30)
            assert code == PENDING_EXIT, report
            assert (report["pending"], report["lost"], report["decided"]) == (30, 0, 0)
            assert report["group"]["draining"] is True
            assert report["holds"] is False
        code, report = cli("--since", mark, "--expect", 30, "--wait", 90)
    assert code == 0, report
    assert (report["decided"], report["pending"], report["lost"]) == (30, 0, 0)
    assert report["holds"] is True


def test_an_order_behind_its_licence_draw_is_pending_until_the_draw_is_applied(
    isolated: Settings, tmp_path: Path, mark: Path, cli: Any
) -> None:
    body = gallium_order_body("DRAW-1", kg=10)
    produce_keyed(isolated, keyed([body]))
    start_group_past_the_orders_now(isolated)  # taken in: its draw request is what remains
    order = OrderEvent.model_validate(body)
    request = plan_draw(
        order,
        build_screener(isolated).screen(order),
        build_snapshot(isolated, {}).licences,
        build_snapshot(isolated, {}).products,
    )
    assert isinstance(request, DrawRequest)
    with running_worker(isolated, tmp_path) as worker:
        with paused(worker):
            produce_keyed(
                isolated,
                [(GALLIUM_LICENCE, request.model_dump_json().encode())],
                topic=isolated.topics.licence_draws,
            )
            code, report = cli("--since", mark)
            assert code == PENDING_EXIT, report
            assert (report["pending"], report["lost"]) == (1, 0)
        code, report = cli("--since", mark, "--wait", 90)
    assert code == 0, report
    assert report["decided"] == 1
    assert report["routes"] == {"release": 1}


def test_an_order_committed_past_without_an_outcome_is_lost_and_so_is_one_nobody_drains(
    isolated: Settings, tmp_path: Path, mark: Path, cli: Any, make_order: Callable[..., dict[str, Any]]
) -> None:
    (skipped,) = produce_keyed(isolated, keyed([make_order(order_id="SKIPPED-1")]))
    start_group_past_the_orders_now(isolated)
    with running_worker(isolated, tmp_path):
        produce_keyed(isolated, keyed([make_order(order_id="DECIDED-1")]))
        deadline = time.monotonic() + 60
        while (report := cli("--since", mark)[1])["decided"] < 1 and time.monotonic() < deadline:
            time.sleep(0.5)
        code, report = cli("--since", mark)
        assert code == 1, report
        assert (report["decided"], report["lost"], report["pending"]) == (1, 1, 0)
        assert report["lost_examples"] == [str(skipped)]
        assert report["group"]["draining"] is True
    # No worker left in the group: an order nobody drains is not pending but lost.
    produce_keyed(isolated, keyed([make_order(order_id="UNDRAINED-1")]))
    code, report = cli("--since", mark)
    assert code == 1, report
    assert (report["decided"], report["lost"], report["pending"]) == (1, 2, 0)
    assert report["group"]["draining"] is False


def release_drawing(body: dict[str, Any], decision_id: str) -> bytes:
    """A crafted current release of the order that says it drew its gallium on the licence."""
    drawn = Reason(
        rule_id=DRAWN_RULE,
        title="Covered by a licence",
        outcome=Outcome.LICENSED,
        line_id="1",
        explanation="drawn",
        evidence={"licence": GALLIUM_LICENCE, "item": GALLIUM_ITEM},
    )
    record = DecisionRecord(
        decision_id=decision_id,
        order_id=body["order_id"],
        revision=1,
        route=Route.RELEASE,
        as_of=date(2026, 3, 2),
        evaluated_at=datetime(2026, 3, 2, 9, 1, tzinfo=UTC),
        reasons=[drawn],
    )
    return record.model_dump_json().encode()


def test_the_check_counts_a_licence_its_current_releases_over_drew(isolated: Settings, cli: Any) -> None:
    first, second = gallium_order_body("OVER-1", kg=150), gallium_order_body("OVER-2", kg=100)
    produce_keyed(isolated, keyed([first]))
    produce_keyed(isolated, [("OVER-1", release_drawing(first, "d-over-1"))], topic=isolated.topics.decisions)
    code, report = cli()
    assert code == 0, report
    assert report["overdrawn_licences"] == 0

    # 150 kg + 100 kg released against 200 kg on file.
    produce_keyed(isolated, keyed([second]))
    produce_keyed(
        isolated, [("OVER-2", release_drawing(second, "d-over-2"))], topic=isolated.topics.decisions
    )
    code, report = cli()
    assert code == 1, report
    assert report["overdrawn_licences"] == 1
    assert report["overdrawn_examples"] == [
        f"{GALLIUM_LICENCE} item {GALLIUM_ITEM}: drew 250 of 200, value 150000 of 120000"
    ]
    assert (report["decided"], report["lost"], report["holds"]) == (2, 0, False)
