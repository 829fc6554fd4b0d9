"""`screening holds ...` against the real broker: the same review and audit events as the console."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from pydantic import SecretStr

from pipeline.cli import main
from pipeline.console.auth import hash_password
from pipeline.holds.signing import ReviewSigner
from pipeline.kafka import clients
from pipeline.kafka.readback import read_from_start
from pipeline.settings import Settings, settings_env
from schemas.decision import DecisionRecord
from schemas.review import AuditOutcome, AuditRecord, Review, ReviewAction
from tests.holds.running import running_applier
from tests.holds.samples import licence_hold

pytestmark = pytest.mark.kafka

PASSWORD = "cli password"
SIGNING_KEY = "a CLI test review signing key, 32+ bytes"


@pytest.fixture
def cli_env(isolated: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The CLI's environment, and a review applier keeping `holds.current`, which the CLI reads."""
    users = ",".join(
        f"{n}:{r}:{hash_password(PASSWORD)}" for n, r in (("alice", "reviewer"), ("vera", "viewer"))
    )
    for name, value in {
        "SCREENING_BOOTSTRAP_SERVERS": isolated.bootstrap_servers,
        "SCREENING_TOPIC_PREFIX": isolated.topic_prefix,
        "SCREENING_ORDER_PARTITIONS": str(isolated.order_partitions),
        "SCREENING_CONSOLE_USERS": users,
        "SCREENING_REVIEW_SIGNING_KEY": SIGNING_KEY,
    }.items():
        monkeypatch.setenv(name, value)
    with running_applier(replace(isolated, console_users=users, review_signing_key=SecretStr(SIGNING_KEY))):
        yield isolated


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
    publish_holds(cli_env, [hold])

    assert run_cli(monkeypatch, "holds", "list", "--destination", "DE") == 0
    assert "ORD-CLI-1" in capsys.readouterr().out

    assert (
        run_cli(monkeypatch, "holds", "release", "ORD-CLI-1", "--as", "alice", "-j", "x", password="no") == 3
    )
    assert run_cli(monkeypatch, "holds", "release", "ORD-CLI-1", "--as", "vera", "-j", "viewer tries") == 3
    assert run_cli(monkeypatch, "holds", "release", "ORD-CLI-1", "--as", "alice") == 1  # no justification
    assert (
        run_cli(monkeypatch, "holds", "escalate", "ORD-CLI-1", "--as", "alice", "-j", "end use on file") == 0
    )
    assert "Escalate sent." in capsys.readouterr().out
    audits = applied_after(cli_env, topic_reader, 3)
    assert [(a.actor, a.action, a.outcome, a.why) for a in audits] == [
        ("alice", "release", AuditOutcome.REFUSED, ""),
        ("alice", "escalate", AuditOutcome.REQUESTED, "end use on file"),
        ("alice", "escalate", AuditOutcome.APPLIED, "end use on file"),
    ]

    assert run_cli(monkeypatch, "holds", "show", "ORD-CLI-1") == 0
    shown = capsys.readouterr().out
    assert "decision hold by alice" in shown
    assert "Escalate by alice: end use on file" in shown
    assert "cn.dual-use.gallium.end-use-missing" in shown

    assert (
        run_cli(monkeypatch, "holds", "release", "ORD-CLI-1", "--as", "alice", "-j", "licence on file") == 0
    )
    assert [a.outcome for a in applied_after(cli_env, topic_reader, 5)[3:]] == [
        AuditOutcome.REQUESTED,
        AuditOutcome.APPLIED,
    ]
    records = topic_reader(cli_env, [cli_env.topics.holds_reviews], until=lambda r: len(r) >= 2)
    reviews = [Review.model_validate_json(r.value) for r in records]
    assert [(r.order_id, r.action, r.reviewer) for r in reviews] == [
        ("ORD-CLI-1", ReviewAction.ESCALATE, "alice"),
        ("ORD-CLI-1", ReviewAction.RELEASE, "alice"),
    ]
    assert all(ReviewSigner(SIGNING_KEY.encode()).verify(r) for r in reviews)
    capsys.readouterr()
    assert run_cli(monkeypatch, "holds", "list") == 0
    assert capsys.readouterr().out == ""
    # The closed hold is gone from holds.current; the audit trail says how it closed.
    assert run_cli(monkeypatch, "holds", "show", "ORD-CLI-1") == 0
    shown = capsys.readouterr().out
    assert "order ORD-CLI-1: hold closed, released by alice at " in shown
    assert "justification: licence on file" in shown


def applied_after(
    settings: Settings, topic_reader: Callable[..., list[Any]], count: int
) -> list[AuditRecord]:
    """The first `count` audit records, once there are that many."""
    records = topic_reader(settings, [settings.topics.audit], until=lambda r: len(r) >= count)
    return [AuditRecord.model_validate_json(r.value) for r in records][:count]


def open_holds_on_current(settings: Settings, count: int) -> None:
    """Wait until the review applier has put `count` holds on `holds.current`."""
    read_from_start(settings, [settings.topics.holds_current], until=lambda r: len(r) >= count, timeout_s=90)


def publish_holds(settings: Settings, holds: list[DecisionRecord]) -> None:
    producer = clients.producer(settings, "test", linger_ms=20)
    for hold in holds:
        producer.send(settings.topics.decisions, hold.model_dump_json().encode(), key=hold.order_id.encode())
    producer.flush(timeout=60)
    producer.close()
    open_holds_on_current(settings, len(holds))


FORGED_ID = "ORD-REAL\x1b[2K\r\nORD-FORGED  released\u202e\x9b0m"


def test_holds_list_and_show_print_control_characters_visibly(
    cli_env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    hold = licence_hold(FORGED_ID)
    reasons = [r.model_copy(update={"line_id": "1\x1b]8;;http://evil.example\x07"}) for r in hold.reasons]
    publish_holds(cli_env, [hold.model_copy(update={"reasons": reasons})])

    assert run_cli(monkeypatch, "holds", "list") == 0
    listed = capsys.readouterr().out
    assert listed.startswith("ORD-REAL\\x1b[2K\\r\\nORD-FORGED  released\\u202e\\x9b0m")
    assert run_cli(monkeypatch, "holds", "show", FORGED_ID) == 0
    shown = capsys.readouterr().out
    assert "order ORD-REAL\\x1b[2K\\r\\nORD-FORGED" in shown
    for output in (listed, shown):
        assert not {unicodedata.category(ch) for ch in output.replace("\n", "")} & {"Cc", "Cf", "Zl", "Zp"}
        assert output.count("\n") == len(output.splitlines())

    assert run_cli(monkeypatch, "holds", "list", "--json") == 0
    [line] = capsys.readouterr().out.splitlines()
    assert json.loads(line)["order_id"] == FORGED_ID
    assert line.isascii()
    assert line.isprintable()

    assert run_cli(monkeypatch, "holds", "show", "NO-SUCH\x1b[31m") == 1
    assert "NO-SUCH\\x1b[31m" in capsys.readouterr().err


def test_holds_list_into_a_closed_pipe_ends_quietly(cli_env: Settings) -> None:
    """`screening holds list | head -1` with more rows than a pipe buffers: exit 0, nothing on stderr."""
    publish_holds(cli_env, [licence_hold(f"ORD-PIPE-{n:05}") for n in range(1500)])
    env = {**os.environ, **settings_env(cli_env), "SCREENING_CONSOLE_USERS": ""}
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pipeline.cli import main; sys.exit(main())",
            "holds",
            "list",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert child.stdout is not None
    assert child.stdout.readline().startswith(b"ORD-PIPE-")
    child.stdout.close()
    _, errors = child.communicate(timeout=90)
    assert (child.returncode, errors.decode()) == (0, "")
