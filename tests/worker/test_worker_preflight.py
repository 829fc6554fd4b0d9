"""The worker's preflight (pipeline/worker/preflight.py) without a broker: an unreachable cluster is
retried with growing pauses, a setting that cannot work stops the worker with one line."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from pipeline.harness.ports import free_port
from pipeline.settings import Settings
from pipeline.worker.preflight import Backoff, StartRefusedError, grants_to_check, wait_until_usable


class GaveUpError(Exception):
    """Stops the test's endless retry after a few pauses."""


def test_pauses_double_up_to_the_longest() -> None:
    backoff = Backoff(first_s=1.0, longest_s=10.0)
    assert [backoff.next_pause() for _ in range(6)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_an_unreachable_cluster_is_retried_with_backoff_and_each_reason_reported() -> None:
    settings = replace(Settings(), bootstrap_servers=f"127.0.0.1:{free_port()}")
    pauses: list[float] = []
    reported: list[str] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 4:
            raise GaveUpError

    with pytest.raises(GaveUpError):
        asyncio.run(
            wait_until_usable(settings, backoff=Backoff(0.5, 2.0), report=reported.append, sleep=sleep)
        )
    assert pauses == [0.5, 1.0, 2.0, 2.0]
    assert len(reported) == 4
    assert all(line.startswith("Kafka not reachable, retrying in ") for line in reported)
    assert settings.bootstrap_servers in reported[0]


def test_a_setting_that_cannot_work_stops_the_worker_at_once_with_one_line() -> None:
    unsafe = replace(
        Settings(),
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="PLAIN",
        sasl_username="worker",
    )

    async def never(_seconds: float) -> None:
        msg = "a refusal must not be retried"
        raise AssertionError(msg)

    with pytest.raises(StartRefusedError) as refused:
        asyncio.run(wait_until_usable(unsafe, sleep=never))
    assert str(refused.value) == "SASL PLAIN over SASL_PLAINTEXT sends the password unencrypted; use SASL_SSL"


def test_the_access_check_covers_the_changelogs_and_names_the_settings_user() -> None:
    settings = replace(Settings(), app_id="app", sasl_username="svc-screening")
    checked = grants_to_check(settings)
    assert {g.principal for g in checked} == {"User:svc-screening"}
    assert {g.pattern for g in checked} == {"literal"}
    names = {(g.name, g.operation) for g in checked}
    assert ("app-app.order-state-changelog", "Write") in names
    assert (settings.topics.orders, "Read") in names
    assert (settings.topics.decisions, "Read") not in names
