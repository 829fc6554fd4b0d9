"""Summaries of py-spy's collapsed stacks."""

from __future__ import annotations

from bench.profiling import summarize_collapsed

RAW = """\
main (pipeline/cli.py:46);screen_orders (pipeline/app.py:98);process (pipeline/flow/processing.py:40) 60
main (pipeline/cli.py:46);screen_orders (pipeline/app.py:98);send (aiokafka/producer/producer.py:500) 30
main (pipeline/cli.py:46);_run_once (asyncio/base_events.py:1922) 10
"""


def test_inclusive_and_self_shares_per_function() -> None:
    summary = summarize_collapsed(RAW)
    inclusive = dict(summary["inclusive_pct"])
    own = dict(summary["self_pct"])
    assert summary["samples"] == 100
    assert inclusive["main (cli.py)"] == 100.0
    assert inclusive["screen_orders (app.py)"] == 90.0
    assert own["process (processing.py)"] == 60.0
    assert "main (cli.py)" not in own


def test_empty_profile_has_no_samples() -> None:
    assert summarize_collapsed("") == {"samples": 0}
