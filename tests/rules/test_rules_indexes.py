"""The compiled indexes: a line meets only the rules that could cover it."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.enrichment.enriched import LineFacts
from pipeline.rules.compiled import CompiledPack
from pipeline.rules.matching import control_code_chain, line_matches


def facts(**fields: object) -> LineFacts:
    base: dict[str, object] = {
        "line_id": "1",
        "description": "x",
        "control_codes": (),
        "hs_code": None,
        "tech_entry": None,
        "origin_country": None,
        "cn_rare_earth_share": None,
        "quantity": 1.0,
        "unit": "kg",
        "value": 1.0,
        "currency": "USD",
        "classified": True,
    }
    return LineFacts(**{**base, **fields})  # type: ignore[arg-type]


# (case, line fields, rule ids the indexes must return, in pack order)
LOOKUPS = [
    (
        "sub-paragraph reaches its paragraph",
        {"control_codes": ("1C902.a.1",)},
        ["cn-2025-18-samarium-gadolinium"],
    ),
    ("sibling paragraph is not covered", {"control_codes": ("1C117.a",)}, []),
    ("10-digit code under an 8-digit prefix", {"hs_code": "2805301990"}, ["cn-2025-57-rare-earths"]),
    (
        "shared customs code",
        {"hs_code": "2931900032"},
        ["cn-2024-33-antimony", "cn-2025-10-bismuth", "cn-2025-10-indium", "cn-2024-46-us-critical-minerals"],
    ),
    (
        "removed technology entry",
        {"tech_entry": "085001J"},
        ["cn-tech-pre-2020-catalogue", "cn-tech-2020-38-prohibited", "cn-tech-2025-28-removed-085001j"],
    ),
    (
        "ordinary restricted entry",
        {"tech_entry": "203912X"},
        ["cn-tech-pre-2020-catalogue", "cn-tech-2020-38-restricted", "cn-tech-2023-57-restricted"],
    ),
    (
        "foreign-made content",
        {"origin_country": "DE", "cn_rare_earth_share": 0.5},
        [
            "cn-2025-61-foreign-made-rare-earth",
            "cn-2025-61-foreign-made-denial",
            "cn-2025-61-foreign-made-listed-party",
            "cn-2025-61-advanced-semiconductor",
        ],
    ),
    ("uncontrolled goods", {"hs_code": "9401310000"}, []),
]


@pytest.mark.parametrize(("fields", "rule_ids"), [pytest.param(*c[1:], id=c[0]) for c in LOOKUPS])
def test_indexes_return_only_the_rules_that_could_apply(
    china_pack: CompiledPack, fields: dict[str, object], rule_ids: list[str]
) -> None:
    found = [m.rule.id for m in line_matches(china_pack, facts(**fields)).matches]
    assert found == sorted(rule_ids, key=lambda r: china_pack.rule(r).index)


def test_control_code_chain_lists_every_covering_paragraph() -> None:
    assert control_code_chain("3C901.a.1") == ("3C901.a.1", "3C901.a", "3C901")


def test_rule_states_are_shared_by_dates_with_the_same_regime(china_pack: CompiledPack) -> None:
    during = china_pack.states_on(date(2026, 1, 10))
    assert china_pack.states_on(date(2026, 1, 11)).epoch == during.epoch
    assert china_pack.states_on(date(2026, 11, 11)).epoch != during.epoch
