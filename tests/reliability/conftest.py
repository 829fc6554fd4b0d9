"""Fixtures for the fault-injection and bad-input tests: each run gets its own topics and group."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.settings import Settings, load_settings
from soak.runs import FaultRun, run_settings


@pytest.fixture(scope="session")
def rel_base_settings() -> Settings:
    """The broker `make test` started (SCREENING_BOOTSTRAP_SERVERS), quiet workers."""
    # The fault runs' orders ship in March 2026: a long retention keeps them open through the run, so
    # late and repeated revisions meet their order's state (retention: tests/flow, tests/stateful).
    return replace(load_settings(), log_level="WARNING", state_retention_days=36_500)


@pytest.fixture
def fault_run(
    rel_base_settings: Settings, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[FaultRun]:
    run = FaultRun(run_settings(rel_base_settings, request.node.name[:20].replace("_", "-")), tmp_path)
    try:
        yield run
    finally:
        run.close()
