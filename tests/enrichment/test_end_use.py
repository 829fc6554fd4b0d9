"""End-use classification of codes and free text in English, Chinese and Japanese.

Cases are written from the regimes' own wording (NSG Trigger List and Dual-Use Annex, MTCR Annex,
Australia Group lists, CWC schedules, China's dual-use list, the No. 61/2025 exemption), paraphrased,
inflected, in full width and traditional characters, negated and mixed.
"""

# ruff: noqa: RUF001 - full-width and CJK characters are the inputs under test
from __future__ import annotations

import pytest

from pipeline.enrichment.end_use import UNKNOWN_CODE, UNRECOGNISED, classify_end_use
from pipeline.enrichment.enriched import PartyFacts
from schemas.order import EndUse

# (code, description, exact classes): the vocabulary's own classes and the existing contract.
EXACT = [
    ("MIL", None, {"military"}),
    (None, "Spare parts for the Japan Ground Self-Defense Force", {"military"}),
    (None, "用于军队装备维修", {"military", "civil"}),
    (None, "陸上自衛隊向け", {"military"}),
    (None, "weapons of mass destruction programme", {"wmd", "military"}),
    (None, "research on nuclear weapons", {"wmd.nuclear", "military", "civil"}),
    (None, "化学兵器の製造", {"wmd.chemical", "military", "civil"}),
    (None, "导弹推进剂", {"wmd.missile"}),
    (None, "support to terrorist groups", {"terrorism"}),
    (None, "提升军事能力", {"military_capability", "military"}),
    (None, "防衛力の強化", {"military_capability", "military"}),
    (None, "7nm logic wafer fab", {"advanced_semiconductor", "civil"}),
    (None, "14 nm FinFET line", {"advanced_semiconductor"}),
    (None, "28 nm mature-node line", {"civil"}),
    (None, "3D NAND with 300 layers", {"advanced_semiconductor", "civil"}),
    (None, "232-layer NAND", {"civil"}),
    (None, "automatic target recognition software", {"military_ai"}),
    ("HUM-MED", None, {"humanitarian.medical"}),
    (None, "humanitarian aid", {"humanitarian"}),
    (None, "民用汽车零部件", {"civil"}),
    (None, "非軍事用途", {"civil"}),
    (None, "not for military use, civilian cars", {"civil"}),
    ("CIV", "Consumer electronics", {"civil"}),
    (None, "用於軍事用途", {"military"}),
]


@pytest.mark.parametrize(("code", "description", "expected"), EXACT)
def test_classes(code: str | None, description: str | None, expected: set[str]) -> None:
    facts = classify_end_use(EndUse(code=code, description=description), None)
    assert facts.declared
    assert facts.classes == expected
    assert {name for name, _ in facts.evidence} == expected


# (description, classes that must be found, classes that must not be): paraphrases of list entries.
SENSITIVE: list[tuple[str, set[str], set[str]]] = [
    # NSG Trigger List: enrichment, reprocessing, heavy water, conversion, material (plurals, inflections).
    ("Gas-centrifuges for uranium enrichment", {"wmd.nuclear"}, set()),
    ("for enriching uranium in a cascade of centrifuges", {"wmd.nuclear"}, set()),
    ("components of an isotope-separation plant", {"wmd.nuclear"}, set()),
    ("spent fuel reprocessing and plutonium separation", {"wmd.nuclear"}, set()),
    ("shielded hot-cells for irradiated fuel", {"wmd.nuclear"}, set()),
    ("production of heavy water (D2O)", {"wmd.nuclear"}, set()),
    ("conversion of uranium ore concentrate to UF6", {"wmd.nuclear"}, set()),
    ("tritium handling for the customer's programme", {"wmd.nuclear"}, set()),
    ("Ｕｒａｎｉｕｍ Ｅｎｒｉｃｈｍｅｎｔ", {"wmd.nuclear"}, set()),
    ("用于铀浓缩离心机", {"wmd.nuclear"}, set()),
    ("乏燃料後處理與鈽分離", {"wmd.nuclear"}, set()),
    ("重水生产装置", {"wmd.nuclear"}, set()),
    ("ウラン濃縮用の遠心分離機", {"wmd.nuclear"}, set()),
    ("使用済燃料再処理工場向け", {"wmd.nuclear"}, set()),
    # MTCR Annex: propulsion, re-entry, guidance, UAVs of 300 km or more.
    ("solid rocket propellants for a motor", {"wmd.missile"}, set()),
    ("heat shields for re-entry vehicles", {"wmd.missile"}, set()),
    ("guidance sets and gyros for the customer's missiles", {"wmd.missile"}, set()),
    ("UAV with a range of 500 km", {"wmd.missile"}, set()),
    ("无人机，航程1,200公里", {"wmd.missile"}, set()),
    ("固體火箭發動機殼體", {"wmd.missile"}, set()),
    ("弾道ミサイルの誘導装置", {"wmd.missile"}, set()),
    # Australia Group and CWC: precursors, agents, pathogens, toxins, production equipment.
    ("synthesis of thiodiglycol", {"wmd.chemical"}, set()),
    ("methylphosphonic difluoride production", {"wmd.chemical"}, set()),
    ("nerve-agent precursors", {"wmd.chemical"}, set()),
    ("神经毒剂前体的合成", {"wmd.chemical"}, set()),
    ("サリンの製造", {"wmd.chemical"}, set()),
    ("culturing Bacillus anthracis (anthrax)", {"wmd.biological"}, set()),
    ("ricin extraction", {"wmd.biological"}, set()),
    ("botulinum toxin production", {"wmd.biological"}, set()),
    ("fermenter for pathogen production", {"wmd.biological"}, set()),
    ("spray drying of agents", {"wmd.biological"}, set()),
    ("用于病原体培养的发酵罐", {"wmd.biological"}, set()),
    ("炭疽菌の培養", {"wmd.biological"}, set()),
    # China's own list and catch-all words.
    ("核兩用品", {"wmd.nuclear"}, set()),
    ("導彈技術研製", {"wmd.missile"}, set()),
    ("Guidance electronics for a 600 km range delivery system", {"wmd.missile"}, set()),
    ("Precursor chemicals for organophosphorus warfare agents", {"wmd"}, set()),
    ("Support to the PLA Rocket Force", {"military"}, set()),
]


@pytest.mark.parametrize(("description", "required", "forbidden"), SENSITIVE)
def test_sensitive_end_uses_in_ordinary_words(
    description: str, required: set[str], forbidden: set[str]
) -> None:
    classes = classify_end_use(EndUse(description=description), None).classes
    assert required <= classes, sorted(classes)
    assert not forbidden & classes
    assert UNRECOGNISED not in classes


# A fermenter brews beer; drones deliver parcels; the equipment words alone are not sensitive.
CIVIL = [
    "fermenters for beer brewing",
    "spray dryer for milk powder production",
    "agricultural drone with a 5 km range",
    "production of solar panels",
    "battery assembly for electric vehicles",
    "research at a university laboratory",
    "消費電子產品製造",
    "太陽光パネルの製造",
    "automotive parts manufacturing",
    "産業用ロボット",
    "仅限民用",
]


@pytest.mark.parametrize("description", CIVIL)
def test_routine_civil_end_uses_are_recognised(description: str) -> None:
    classes = classify_end_use(EndUse(description=description), None).classes
    assert "civil" in {c.split(".")[0] for c in classes}
    assert not {c for c in classes if c.startswith(("wmd", "military", "terrorism", "end_use"))}


# (description, classes that must be found, classes that must not be).
NEGATION: list[tuple[str, set[str], set[str]]] = [
    ("not for military use", set(), {"military"}),
    ("non-military use", {"civil"}, {"military"}),
    ("Not for military or nuclear-weapon use", set(), {"military", "wmd.nuclear"}),
    ("不用于军事用途", set(), {"military"}),
    ("軍事目的ではない", set(), {"military"}),
    ("軍事用途には使用しない", set(), {"military"}),
    # A negation never hides a second, un-negated mention.
    ("not for military use; for uranium enrichment", {"wmd.nuclear"}, set()),
    ("not for military use and for uranium enrichment", {"wmd.nuclear"}, set()),
    ("not for military use but for nerve agent synthesis", {"wmd.chemical"}, set()),
    ("不用于军事，用于铀浓缩", {"wmd.nuclear"}, set()),
    ("不是军用而是导弹推进剂", {"wmd.missile"}, set()),
    ("軍事目的ではなく、核兵器の開発に使用", {"wmd.nuclear"}, set()),
    ("uranium enrichment, not military", {"wmd.nuclear"}, set()),
    # Words that begin like a negation do not negate: 不锈钢 (stainless steel), 非洲 (Africa), "No." numbers.
    ("不锈钢离心机用于铀浓缩", {"wmd.nuclear"}, set()),
    ("非洲的铀浓缩项目", {"wmd.nuclear"}, set()),
    ("contract no 12 uranium enrichment", {"wmd.nuclear"}, set()),
    # Lists: a comma list closed by "or" is negated whole; a comma alone starts a new item.
    (
        "will not be used for the development of nuclear, chemical or biological weapons or missiles",
        set(),
        {"wmd", "wmd.biological", "wmd.missile", "military"},
    ),
    (
        "will not be used in nuclear weapons, chemical weapons or missiles",
        set(),
        {"wmd.chemical", "wmd.missile"},
    ),
    ("Military, nuclear or WMD use is prohibited", set(), {"military", "wmd"}),
    ("not for military use, uranium enrichment", {"wmd.nuclear"}, set()),
    ("not for military use, for rocket propulsion", {"wmd.missile"}, set()),
    ("not for military or nuclear use and for rocket propulsion", {"wmd.missile"}, {"military"}),
    ("本产品不用于军事、核武器或导弹用途", set(), {"military", "wmd.nuclear", "wmd.missile"}),
    # The certificates' own phrase: WMD "and their means of delivery" is one thing, negated whole.
    ("不得用于大规模杀伤性武器及其运载工具", set(), {"wmd", "wmd.missile"}),
    (
        "will not be used for weapons of mass destruction and their means of delivery",
        set(),
        {"wmd", "wmd.missile"},
    ),
    ("本製品は大量破壊兵器及びその運搬手段の開発には使用しません", set(), {"wmd", "wmd.missile"}),
    ("禁止用于军事", set(), {"military"}),
    ("軍事目的で使用しない", set(), {"military"}),
    ("与军事无关", set(), {"military"}),
    ("不会被用于核武器", set(), {"wmd.nuclear", "military"}),
]


@pytest.mark.parametrize(("description", "required", "forbidden"), NEGATION)
def test_negation_hides_only_what_it_negates(
    description: str, required: set[str], forbidden: set[str]
) -> None:
    classes = classify_end_use(EndUse(description=description), None).classes
    assert required <= classes, sorted(classes)
    assert not forbidden & classes, sorted(classes)


# Issue class 3: only emergency medical care, public-health emergencies and disaster relief are
# humanitarian; routine medical supply is civil.medical.
HUMANITARIAN = [
    (
        "emergency medical care for earthquake relief",
        {"humanitarian.medical", "humanitarian.disaster_relief"},
    ),
    ("突发公共卫生事件应对", {"humanitarian.public_health"}),
    ("被災地への災害救援物資", {"humanitarian.disaster_relief"}),
    ("緊急医療支援", {"humanitarian.medical"}),
]
ROUTINE_MEDICAL = [
    "hospital",
    "medical care",
    "医療",
    "医院",
    "公共卫生",
    "病院向け医療機器",
    "hospital supplies",
]


@pytest.mark.parametrize(("description", "required"), HUMANITARIAN)
def test_the_exemption_words_are_humanitarian(description: str, required: set[str]) -> None:
    assert required <= classify_end_use(EndUse(description=description), None).classes


@pytest.mark.parametrize("description", ROUTINE_MEDICAL)
def test_everyday_medical_words_are_not_humanitarian(description: str) -> None:
    classes = classify_end_use(EndUse(description=description), None).classes
    assert classes == {"civil.medical"}


# The contract with the rule pack: unknown codes and unrecognised end uses fail closed.
CONTRACT = [
    ("nuclear", None, {UNKNOWN_CODE, UNRECOGNISED}),
    ("XYZ-42", "", {UNKNOWN_CODE, UNRECOGNISED}),
    ("nuclear", "consumer electronics", {UNKNOWN_CODE, "civil"}),
    ("nuclear", "gas centrifuge cascade", {UNKNOWN_CODE, "wmd.nuclear"}),
    ("nuclear-weapons", None, {UNKNOWN_CODE, "wmd.nuclear", "military"}),
    (None, "for the project described in our letter", {UNRECOGNISED}),
    (None, "not for civilian use", {UNRECOGNISED}),
    ("civil_manufacturing", None, {"civil"}),
    ("Civil Manufacturing", "Infrared lens blanks", {"civil"}),
    ("ｍｉｌ", None, {"military"}),
]


@pytest.mark.parametrize(("code", "description", "expected"), CONTRACT)
def test_contract_classes(code: str | None, description: str | None, expected: set[str]) -> None:
    facts = classify_end_use(EndUse(code=code, description=description), None)
    assert facts.classes == expected
    assert facts.declared


def test_nothing_given_is_undeclared() -> None:
    facts = classify_end_use(EndUse(), None)
    assert not facts.declared
    assert facts.classes == frozenset()


def test_end_user_categories_appear_as_evidence_not_classes() -> None:
    end_user = PartyFacts(
        "end_user", "Ministry of Defense of Japan", "JP", categories=frozenset({"military", "government"})
    )
    facts = classify_end_use(EndUse(description="office furniture"), end_user)
    assert facts.classes == {"civil"}
    assert {name for name, _ in facts.evidence} == {"civil", "end_user.military", "end_user.government"}


def test_evidence_names_the_words_and_the_source_group() -> None:
    facts = classify_end_use(EndUse(description="5 nm logic"), None)
    assert facts.evidence == (("advanced_semiconductor", "process node 5 nm"),)
    facts = classify_end_use(EndUse(description="gas centrifuges"), None)
    assert facts.evidence == (("wmd.nuclear", "text 'gas centrifuge' (nsg-enrichment)"),)
