"""`screening holds ...` against the real broker: the same review and audit events as the console."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest

from pipeline.cli import main
from pipeline.console.auth import hash_password
from pipeline.kafka import clients
from pipeline.settings import Settings
from schemas.review import AuditOutcome, AuditRecord, Review, ReviewAction
from tests.holds.samples import licence_hold

pytestmark = pytest.mark.kafka

PASSWORD = "cli password"


@pytest.fixture
def cli_env(isolated: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    users = ",".join(
        f"{n}:{r}:{hash_password(PASSWORD)}" for n, r in (("alice", "reviewer"), ("vera", "viewer"))
    )
    for name, value in {
        "SCREENING_BOOTSTRAP_SERVERS": isolated.bootstrap_servers,
        "SCREENING_TOPIC_PREFIX": isolated.topic_prefix,
        "SCREENING_ORDER_PARTITIONS": str(isolated.order_partitions),
        "SCREENING_CONSOLE_USERS": users,
    }.items():
        monkeypatch.setenv(name, value)
    return isolated


def run_cli(monkeypatch: pytest.MonkeyPatch, *argv: str, password: str = PASSWORD) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return main(list(argv))


def test_list_release_and_show_from_the_command_line(
    cli_env: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    topic_reader: Callable[..., list[Any]],
) -> None:
    hold = licence_hold("ORD-CLI-1")
    producer = clients.producer(cli_env, "test")
    producer.send(cli_env.topics.decisions, hold.model_dump_json().encode(), key=b"ORD-CLI-1").get(timeout=30)
    producer.close()

    assert run_cli(monkeypatch, "holds", "list", "--destination", "DE") == 0
    assert "ORD-CLI-1" in capsys.readouterr().out

    assert (
        run_cli(monkeypatch, "holds", "release", "ORD-CLI-1", "--as", "alice", "-j", "x", password="no") == 3
    )
    assert run_cli(monkeypatch, "holds", "release", "ORD-CLI-1", "--as", "vera", "-j", "viewer tries") == 3
    assert run_cli(monkeypatch, "holds", "release", "ORD-CLI-1", "--as", "alice") == 1  # no justification
    assert (
        run_cli(monkeypatch, "holds", "release", "ORD-CLI-1", "--as", "alice", "-j", "end use on file") == 0
    )
    assert "Release sent." in capsys.readouterr().out

    records = topic_reader(cli_env, [cli_env.topics.holds_reviews], until=lambda r: len(r) >= 1)
    reviews = [Review.model_validate_json(r.value) for r in records]
    assert [(r.order_id, r.action, r.reviewer, r.decision_id) for r in reviews] == [
        ("ORD-CLI-1", ReviewAction.RELEASE, "alice", hold.decision_id)
    ]
    audit = topic_reader(cli_env, [cli_env.topics.audit], until=lambda r: len(r) >= 2)
    assert [
        (a.actor, a.outcome, a.why) for a in (AuditRecord.model_validate_json(r.value) for r in audit)
    ] == [("alice", AuditOutcome.REFUSED, ""), ("alice", AuditOutcome.REQUESTED, "end use on file")]

    assert run_cli(monkeypatch, "holds", "show", "ORD-CLI-1") == 0
    shown = capsys.readouterr().out
    assert "review release by alice: end use on file" in shown
    assert "cn.dual-use.gallium.end-use-missing" in shown
