"""End-use classification of codes and free text in English, Chinese and Japanese."""

from __future__ import annotations

import pytest

from pipeline.enrichment.end_use import classify_end_use
from pipeline.enrichment.enriched import PartyFacts
from schemas.order import EndUse

# (code, description, expected classes)
CASES = [
    ("MIL", None, {"military"}),
    (None, "Spare parts for the Japan Ground Self-Defense Force", {"military"}),
    (None, "用于军队装备维修", {"military"}),
    (None, "陸上自衛隊向け", {"military"}),
    (None, "weapons of mass destruction programme", {"wmd", "military"}),
    (None, "research on nuclear weapons", {"wmd.nuclear", "military"}),
    (None, "化学兵器の製造", {"wmd.chemical", "military"}),
    (None, "biological weapon research", {"wmd.biological", "military"}),
    (None, "导弹推进剂", {"wmd.missile"}),
    (None, "ミサイル部品", {"wmd.missile"}),
    (None, "support to terrorist groups", {"terrorism"}),
    (None, "提升军事能力", {"military_capability", "military"}),
    (None, "防衛力の強化", {"military_capability", "military"}),
    (None, "7nm logic wafer fab", {"advanced_semiconductor"}),
    (None, "5 纳米逻辑芯片", {"advanced_semiconductor"}),
    (None, "14 nm FinFET line", {"advanced_semiconductor"}),
    (None, "28 nm mature-node line", set()),
    (None, "3D NAND with 300 layers", {"advanced_semiconductor"}),
    (None, "232-layer NAND", set()),
    (None, "automatic target recognition software", {"military_ai"}),
    (None, "軍事AI開発", {"military_ai", "military"}),
    ("HUM-MED", None, {"humanitarian.medical"}),
    (
        None,
        "emergency medical care for earthquake relief",
        {"humanitarian.medical", "humanitarian.disaster_relief"},
    ),
    (None, "突发公共卫生事件应对", {"humanitarian.public_health"}),
    (None, "被災地への災害救援物資", {"humanitarian.disaster_relief"}),
    (None, "humanitarian aid", {"humanitarian"}),
    (None, "民用汽车零部件", {"civil"}),
    (None, "非軍事用途", {"civil"}),
    (None, "not for military use, civilian cars", {"civil"}),
    ("CIV", "Consumer electronics", {"civil"}),
    (None, "用於軍事用途", {"military"}),
]


@pytest.mark.parametrize(("code", "description", "expected"), CASES)
def test_classes(code: str | None, description: str | None, expected: set[str]) -> None:
    facts = classify_end_use(EndUse(code=code, description=description), None)
    assert facts.declared
    assert facts.classes == expected
    assert {name for name, _ in facts.evidence} == expected


def test_nothing_given_is_undeclared() -> None:
    facts = classify_end_use(EndUse(), None)
    assert not facts.declared
    assert facts.classes == frozenset()


def test_end_user_categories_appear_as_evidence_not_classes() -> None:
    end_user = PartyFacts(
        "end_user", "Ministry of Defense of Japan", "JP", categories=frozenset({"military", "government"})
    )
    facts = classify_end_use(EndUse(description="office furniture"), end_user)
    assert facts.classes == frozenset()
    assert {name for name, _ in facts.evidence} == {"end_user.military", "end_user.government"}


def test_evidence_names_the_words_found() -> None:
    facts = classify_end_use(EndUse(description="5 nm logic"), None)
    assert facts.evidence == (("advanced_semiconductor", "process node 5 nm"),)
