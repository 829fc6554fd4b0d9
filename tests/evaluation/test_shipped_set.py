"""The shipped evaluation set: well formed, broad, and screened with no wrongful release.

The last test is the acceptance gate of issue 15: it runs every case through the real screener with
the bundled reference data and fails on any order released (or licensed) where an analyst would not.
"""

from __future__ import annotations

from collections import Counter

import pytest

from pipeline.evaluation.cases import DEFAULT_SET, EvalCase, load_cases
from pipeline.evaluation.render import accepted_names
from pipeline.evaluation.run import build_eval_screener, run_cases
from pipeline.evaluation.tally import tally
from pipeline.settings import Settings
from schemas.decision import Route

REQUIRED_CLASSES = {
    "measure-dates",
    "item-codes",
    "code-overlap",
    "shared-code",
    "end-use-en",
    "end-use-zh",
    "end-use-ja",
    "end-use-negated",
    "end-use-unknown-code",
    "catch-all-unlisted",
    "exemption",
    "party-consignee",
    "party-end-user",
    "party-intermediary",
    "technology-with-entry",
    "technology-words",
    "country-us",
    "country-japan",
    "extraterritorial",
    "civil-release",
}


@pytest.fixture(scope="module")
def shipped() -> list[EvalCase]:
    return load_cases(DEFAULT_SET)


def test_the_set_ships_with_the_package_and_is_large_and_broad(shipped: list[EvalCase]) -> None:
    assert DEFAULT_SET.parent.name == "eval"
    assert len(shipped) >= 250
    per_class = Counter(case.class_name for case in shipped)
    assert set(per_class) >= REQUIRED_CLASSES
    assert min(per_class.values()) >= 8


def test_every_case_cites_the_fact_sheet_and_is_decidable(shipped: list[EvalCase]) -> None:
    sources = ("§", "product brief", "issue 15")
    uncited = [case.id for case in shipped if not any(source in case.why for source in sources)]
    assert uncited == []
    # A case accepting every route can never fail: it would measure nothing.
    assert [case.id for case in shipped if len(case.accept) == len(Route)] == []


def test_the_set_measures_over_holds_as_well_as_releases(shipped: list[EvalCase]) -> None:
    release_only = [case for case in shipped if case.accept == frozenset({Route.RELEASE})]
    hold_only = [case for case in shipped if case.accept == frozenset({Route.HOLD})]
    assert len(release_only) >= 40
    assert len(hold_only) >= 80


def test_the_shipped_set_has_no_wrongful_release(shipped: list[EvalCase]) -> None:
    result = tally(run_cases(shipped, build_eval_screener(Settings())))

    misses = [
        f"{m.case.id} ({m.case.class_name}): got {m.route.name}, accepted {'/'.join(accepted_names(m))}; "
        f"{m.case.why} | decided by: {'; '.join(m.reasons) or 'nothing applied'}"
        for m in result.wrongful_releases
    ]
    assert result.total.cases == len(shipped)
    assert misses == [], f"{len(misses)} wrongful releases:\n" + "\n".join(misses)
