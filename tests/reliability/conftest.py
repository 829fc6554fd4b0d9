"""Fixtures for the fault-injection and bad-input tests: each run gets its own topics and group."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.settings import Settings, load_settings
from soak.runs import FaultRun


@pytest.fixture(scope="session")
def rel_base_settings() -> Settings:
    """The broker `make test` started (SCREENING_BOOTSTRAP_SERVERS), quiet workers."""
    return replace(load_settings(), log_level="WARNING")


def new_run_settings(base: Settings, name: str) -> Settings:
    tag = f"rel-{name}-{uuid.uuid4().hex[:8]}"
    return replace(base, topic_prefix=f"{tag}.", app_id=tag)


@pytest.fixture
def fault_run(
    rel_base_settings: Settings, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[FaultRun]:
    run = FaultRun(new_run_settings(rel_base_settings, request.node.name[:20].replace("_", "-")), tmp_path)
    try:
        yield run
    finally:
        run.close()
