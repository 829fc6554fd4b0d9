"""`screening run --once` (what `RUN_ONCE=1 make run` calls) on the real broker, twice in a row."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipeline.kafka.outcomes import OffsetRange
from pipeline.settings import PROJECT_ROOT, Settings


@pytest.mark.parametrize(
    ("source", "inside"),
    [((0, 5), True), ((0, 4), False), ((0, 9), False), ((1, 0), True), ((2, 0), False)],
)
def test_a_run_counts_only_the_offsets_it_produced(source: tuple[int, int], inside: bool) -> None:
    produced = OffsetRange(starts={0: 5, 1: 0}, ends={0: 9, 1: 3})

    assert (source in produced) is inside
    assert produced.size == 7


def _run_once(settings: Settings, sample: Path) -> str:
    env = {
        **os.environ,
        "SCREENING_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "SCREENING_TOPIC_PREFIX": settings.topic_prefix,
        "SCREENING_APP_ID": settings.app_id,
        "SCREENING_ORDER_PARTITIONS": str(settings.order_partitions),
        "SCREENING_WEB_PORT": str(settings.web_port),
        "SCREENING_DATA_DIR": str(settings.data_dir),
        "COLUMNS": "100",
    }
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "run", "--once", "--sample", str(sample)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _count(table: str, row: str) -> int:
    match = re.search(rf"│ {row}\s+│\s+(\d+) │", table)
    assert match, table
    return int(match.group(1))


@pytest.mark.kafka
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_run_once_twice_reports_each_runs_own_routes(
    isolate: Callable[[str, Path], Settings], make_order: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    settings = isolate("demo", tmp_path)
    sample = tmp_path / "orders.jsonl"
    good = [json.dumps(make_order(order_id=f"DEMO-{n}")) for n in range(4)]
    sample.write_text("\n".join([*good, "not json", json.dumps(make_order(destination_country="XX"))]) + "\n")

    first, second = _run_once(settings, sample), _run_once(settings, sample)

    for table in (first, second):
        assert _count(table, "total") == 6
        assert _count(table, "invalid") == 2
        assert sum(_count(table, route) for route in ("hold", "license", "release")) == 4
    routes = ("hold", "license", "release", "invalid")
    assert [_count(first, r) for r in routes] == [_count(second, r) for r in routes]
