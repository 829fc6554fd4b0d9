"""The labelled evaluation set: recall >= 0.95 at precision >= 0.95 for each script (Latin, Han, kana)."""

from __future__ import annotations

import pytest

from pipeline.cli.parties import EVAL_FILE
from pipeline.enrichment.parties.evaluation import SCRIPTS, EvalCase, evaluate, generate_cases, load_cases
from pipeline.enrichment.parties.screener import PartyScreener


@pytest.fixture(scope="module")
def cases(bundled_screener: PartyScreener) -> list[EvalCase]:
    return generate_cases(bundled_screener.party_list.entries) + load_cases(EVAL_FILE)


def test_eval_set_covers_every_script_with_variants_and_hard_negatives(cases: list[EvalCase]) -> None:
    kinds = {c.kind for c in cases}
    assert {"typo", "reordered", "legal_form", "traditional", "abbreviation", "kana", "group_member"} <= kinds
    for script in SCRIPTS:
        assert sum(1 for c in cases if c.script == script and c.expected) >= 30
        assert sum(1 for c in cases if c.script == script and not c.expected) >= 10


@pytest.mark.parametrize("script", SCRIPTS)
def test_recall_and_precision_per_script(
    bundled_screener: PartyScreener, cases: list[EvalCase], script: str
) -> None:
    figures, misses = evaluate(
        bundled_screener.matcher,
        bundled_screener.index.normaliser,
        cases,
        bundled_screener.potential_threshold,
    )
    result = figures[script]
    detail = [f"{c.query} -> {why}" for c, why in misses if c.script == script]
    assert result.recall >= 0.95, detail
    assert result.precision >= 0.95, detail


def test_generated_cases_are_deterministic(bundled_screener: PartyScreener) -> None:
    entries = bundled_screener.party_list.entries
    assert generate_cases(entries) == generate_cases(entries)
