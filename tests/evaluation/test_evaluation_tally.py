"""Judging and tallying: wrongful releases and over-holds counted per class on synthetic cases."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pipeline.evaluation.cases import EvalCase, parse_cases
from pipeline.evaluation.tally import CaseOutcome, Verdict, judge, tally
from schemas.decision import Route

CaseLine = Callable[..., str]

H, L, R = Route.HOLD, Route.LICENSE, Route.RELEASE


@pytest.mark.parametrize(
    ("route", "accept", "verdict"),
    [
        (R, {R}, Verdict.CORRECT),
        (L, {L, H}, Verdict.CORRECT),
        (R, {L}, Verdict.WRONGLY_RELEASED),
        (R, {L, H}, Verdict.WRONGLY_RELEASED),
        (L, {H}, Verdict.WRONGLY_RELEASED),
        (R, {H}, Verdict.WRONGLY_RELEASED),
        (H, {L}, Verdict.OVER_HELD),
        (H, {R, L}, Verdict.OVER_HELD),
        (L, {R}, Verdict.OVER_HELD),
        (L, {R, H}, Verdict.OTHER_MISS),
    ],
)
def test_judge_orders_routes_release_license_hold(route: Route, accept: set[Route], verdict: Verdict) -> None:
    assert judge(route, frozenset(accept)) is verdict


def _cases(case_line: CaseLine, specs: list[tuple[str, str, list[str]]]) -> list[EvalCase]:
    text = "\n".join(case_line(cid, accept=accept, **{"class": cls}) for cid, cls, accept in specs)
    return parse_cases(text, "synthetic")


def _run(cases: list[EvalCase], route_of: Callable[[EvalCase], Route]) -> list[CaseOutcome]:
    return [CaseOutcome(case, route_of(case), (f"stub decided {route_of(case).name}",)) for case in cases]


def test_tally_counts_each_verdict_per_class_and_in_total(case_line: CaseLine) -> None:
    cases = _cases(
        case_line,
        [
            ("a-ok", "alpha", ["HOLD"]),
            ("a-released", "alpha", ["LICENSE", "HOLD"]),
            ("a-licensed", "alpha", ["HOLD"]),
            ("b-ok", "beta", ["RELEASE"]),
            ("b-overheld", "beta", ["RELEASE", "LICENSE"]),
            ("b-between", "beta", ["RELEASE", "HOLD"]),
        ],
    )
    decided = {"a-ok": H, "a-released": R, "a-licensed": L, "b-ok": R, "b-overheld": H, "b-between": L}

    result = tally(_run(cases, lambda case: decided[case.id]))

    rows = {row.name: row for row in result.classes}
    assert [row.name for row in result.classes] == ["alpha", "beta"]
    alpha, beta = rows["alpha"], rows["beta"]
    assert (alpha.cases, alpha.correct, alpha.wrongly_released, alpha.over_held, alpha.other_misses) == (
        3,
        1,
        2,
        0,
        0,
    )
    assert (beta.correct, beta.wrongly_released, beta.over_held, beta.other_misses) == (1, 0, 1, 1)
    total = result.total
    assert (total.cases, total.correct, total.wrongly_released, total.over_held, total.other_misses) == (
        6,
        2,
        2,
        1,
        1,
    )
    assert sorted(m.case.id for m in result.wrongful_releases) == ["a-licensed", "a-released"]
    assert sorted(m.case.id for m in total.misses) == ["a-licensed", "a-released", "b-between", "b-overheld"]
    assert all(m.reasons for m in total.misses)


def test_a_screener_that_holds_everything_never_wrongly_releases(case_line: CaseLine) -> None:
    cases = _cases(case_line, [("x", "c", ["RELEASE"]), ("y", "c", ["LICENSE"]), ("z", "c", ["HOLD"])])

    result = tally(_run(cases, lambda _case: H))

    assert result.wrongful_releases == []
    assert (result.total.correct, result.total.over_held) == (1, 2)


def test_a_screener_that_releases_everything_is_caught_on_every_controlled_case(case_line: CaseLine) -> None:
    cases = _cases(case_line, [("x", "c", ["RELEASE"]), ("y", "c", ["LICENSE"]), ("z", "c", ["HOLD"])])

    result = tally(_run(cases, lambda _case: R))

    assert [m.case.id for m in result.wrongful_releases] == ["y", "z"]
    assert result.total.over_held == 0
