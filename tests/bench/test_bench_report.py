"""Headline figures, ratios and target verdicts computed from a results document."""

from __future__ import annotations

from typing import Any

import pytest

from bench.report import headline_lines, markdown_table, summarize


def _session(
    kind: str, workers: int, rates: list[float], p99: float, rss: list[float], *, warm: float = 250.0
) -> dict[str, Any]:
    return {
        "kind": kind,
        "workers": workers,
        "saturation": [
            {
                "orders_per_s": r,
                "orders_per_cpu_s": r * 1.25,
                "cpu_cores_per_worker": [0.8] * workers,
                "routes": {},
            }
            for r in rates
        ],
        "latency": [
            {
                "offered_per_s": 1000.0,
                "sent": 5000,
                "decided": 5000,
                "latency": {"p50_ms": p99 / 4, "p95_ms": p99 / 2, "p99_ms": p99, "max_ms": p99 * 2},
                "cpu_cores_per_worker": [0.5] * workers,
            }
        ],
        "peak_rss_mb": rss,
        "rss_after_warmup_mb": [warm] * workers,
        "orders_handled": 20_000,
        "profile": {},
    }


def _results(
    pipeline_rates: list[float], p99: float, rss: list[float], warm: float = 250.0
) -> dict[str, Any]:
    return {
        "broker": {
            "producer": {"records_per_s": 40_000.0},
            "consumer": {"fetch_records_per_s": 90_000.0},
        },
        "sessions": [
            _session("passthrough", 1, [4000.0, 5000.0, 4500.0], 20.0, [70.0]),
            _session("pipeline", 1, pipeline_rates, p99, rss, warm=warm),
            _session("pipeline", 2, [x * 1.8 for x in pipeline_rates], p99, [rss[0], rss[0]], warm=warm),
        ],
    }


def test_ratios_use_medians_of_the_runs() -> None:
    summary = summarize(_results([2000.0, 2600.0, 2400.0], 60.0, [300.0]))
    assert summary["broker_records_per_s"] == 40_000.0
    assert summary["layers"]["pipeline_1w"]["orders_per_s"] == 2400.0
    assert summary["ratios"]["pipeline_over_passthrough"] == pytest.approx(2400 / 4500, abs=1e-3)
    assert summary["ratios"]["passthrough_over_broker"] == pytest.approx(4500 / 40_000, abs=1e-3)
    assert summary["ratios"]["pipeline_2w_over_1w"] == pytest.approx(1.8, abs=1e-3)


LEGACY_TARGETS = (
    "throughput_ratio_at_least_0.5",
    "p99_at_1000_per_s_at_most_100ms",
    "rss_after_warmup_at_most_500mb_with_50k_entries",
    "peak_rss_at_most_500mb_with_50k_entries",
)


@pytest.mark.parametrize(
    ("rates", "p99", "rss", "warm", "expected"),
    [
        ([2400.0], 60.0, [300.0], 250.0, (True, True, True, True)),
        ([2000.0], 60.0, [300.0], 250.0, (False, True, True, True)),
        ([2400.0], 140.0, [300.0], 250.0, (True, False, True, True)),
        ([2400.0], 60.0, [520.0], 250.0, (True, True, True, False)),
        ([2400.0], 60.0, [520.0], 510.0, (True, True, False, False)),
    ],
)
def test_each_target_is_judged_on_its_own(
    rates: list[float], p99: float, rss: list[float], warm: float, expected: tuple[bool, ...]
) -> None:
    targets = summarize(_results(rates, p99, rss, warm))["targets"]
    assert tuple(targets[name] for name in LEGACY_TARGETS) == expected


def test_a_fixed_load_the_worker_fell_behind_on_misses_the_latency_target() -> None:
    results = _results([2400.0], 60.0, [300.0])
    results["sessions"][1]["latency"][0]["decided"] = 4000
    assert summarize(results)["targets"]["p99_at_1000_per_s_at_most_100ms"] is False


def test_markdown_table_has_a_row_per_layer_and_says_when_1000_per_s_was_not_reached() -> None:
    results = _results([2400.0], 60.0, [300.0])
    results["sessions"][1]["latency"] = []
    results["summary"] = summarize(results)
    table = markdown_table(results)
    assert table.count("\n") == 6
    assert "| pipeline_1w | 2,400.0 (2,400.0) |" in table
    assert "saturated below 1,000/s" in table


def test_worker_split_divides_the_pipeline_cpu_per_order_between_our_code_and_the_rest() -> None:
    results = _results([2000.0, 2600.0, 2400.0], 60.0, [300.0])
    results["offline"] = {
        "processing": {
            "status": "ok",
            "figures": {
                "median": {"us_per_order": 100.0},
                "records_published_per_order": 2.4,
                "table_writes_per_order": 2.0,
            },
        }
    }
    split = summarize(results)["worker_split"]
    # The pipeline session's orders per CPU-second are 1.25 x its orders/s: 3,000 -> 333.3 us.
    assert split["worker_us_per_order"] == pytest.approx(333.3, abs=0.1)
    assert split["processing_share"] == pytest.approx(0.3, abs=1e-3)
    assert split["records_published_per_order"] == 2.4


def test_worker_split_is_absent_without_the_offline_figures() -> None:
    assert summarize(_results([2400.0], 60.0, [300.0]))["worker_split"] is None


def _with_quix(pipeline_rate: float, quix_screening_rate: float) -> dict[str, Any]:
    """The faust pass-through at 4,500 orders/s (5,625 per CPU-second), the worker and Quix screening
    at the given rates, all with CPU-seconds at 1.25 x their orders/s as `_session` builds them."""
    results = _results([pipeline_rate], 60.0, [300.0])
    results["sessions"].append(_session("quix-screening", 1, [quix_screening_rate], 20.0, [200.0]))
    results["sessions"].append(_session("quix-passthrough", 1, [20_000.0], 20.0, [90.0]))
    return results


@pytest.mark.parametrize(
    ("pipeline_rate", "quix_rate", "goal_met", "floor_met"),
    [
        (3000.0, 2500.0, True, True),  # worker/Quix 1.2, worker/faust 0.667
        (2000.0, 2500.0, False, False),  # 0.8 and 0.444
        (2800.0, 3000.0, False, True),  # 0.933 and 0.622: the floor is met before the goal
    ],
)
def test_worker_is_judged_per_cpu_second_against_quix_screening_and_the_faust_passthrough(
    pipeline_rate: float, quix_rate: float, goal_met: bool, floor_met: bool
) -> None:
    summary = summarize(_with_quix(pipeline_rate, quix_rate))
    ratios = summary["ratios"]
    assert ratios["worker_over_quix_screening_per_cpu_s"] == pytest.approx(
        pipeline_rate / quix_rate, abs=1e-3
    )
    assert ratios["pipeline_over_passthrough_per_cpu_s"] == pytest.approx(pipeline_rate / 4500, abs=1e-3)
    assert ratios["quix_passthrough_over_faust_passthrough_per_cpu_s"] == pytest.approx(
        20_000 / 4500, abs=1e-3
    )
    targets = summary["targets"]
    assert targets["worker_per_cpu_s_at_least_quix_screening"] is goal_met
    assert targets["worker_per_cpu_s_at_least_0.6_of_faust_passthrough"] is floor_met


def test_headline_prints_both_ratios_with_their_bounds_and_verdicts() -> None:
    lines = headline_lines(summarize(_with_quix(2000.0, 2500.0)))
    assert lines == [
        "worker / Quix screening: 0.800 in orders per CPU-second (goal >= 1.0: MISSED)",
        "worker / faust pass-through: 0.444 in orders per CPU-second (floor >= 0.6: MISSED)",
    ]
    lines = headline_lines(summarize(_with_quix(3000.0, 2500.0)))
    assert lines[0].endswith("(goal >= 1.0: met)")
    assert lines[1].endswith("(floor >= 0.6: met)")


def test_headline_says_so_when_the_quix_layer_was_not_measured() -> None:
    summary = summarize(_results([2400.0], 60.0, [300.0]))
    first, second = headline_lines(summary)
    assert first == "worker / Quix screening: not measured in this run (goal >= 1.0)"
    assert second.startswith("worker / faust pass-through: 0.533 ")
    assert summary["targets"]["worker_per_cpu_s_at_least_quix_screening"] is False
