"""What identifies an order line's item (issue 15, evaluation classes): a customs code less precise
than the measure's numbers cannot clear it, the description names controlled elements and materials
(en/zh/ja) under any code, a description can say the item is a foreign direct product of Chinese
rare-earth technology, and a control code dismisses another measure's reference-only tariff line."""

# ruff: noqa: E501, RUF001 - one case per row of the tables; CJK punctuation is input under test
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from schemas.decision import DecisionRecord, Route
from schemas.order import OrderEvent

Screen = Callable[..., DecisionRecord]
MakeOrder = Callable[..., OrderEvent]
GALLIUM = "cn-2023-23-gallium"
GERMANIUM = "cn-2023-23-germanium"
ANTIMONY = "cn-2024-33-antimony"
SM_GD = "cn-2025-18-samarium-gadolinium"
TB_DY = "cn-2025-18-tb-dy-lu-sc-y"
NO57 = "cn-2025-57-rare-earths"
FDP = "cn-2025-61-foreign-direct-product"
IN_FORCE = "2026-03-02"  # No. 18 in force, the No. 70 package suspended
RESUMED = "2026-12-01"  # after No. 70's last day, end unconfirmed

# (name, line, as_of, route, rule -> outcome that must be found, rules that must be absent)
Case = tuple[str, dict[str, Any], str, Route, dict[str, str], tuple[str, ...]]


def _check(screen: Screen, make_order: MakeOrder, case: Case) -> None:
    _, line, as_of, route, expected, absent = case
    decision = screen(make_order([line]), as_of=date.fromisoformat(as_of))
    found: dict[str, set[str]] = {}
    for reason in decision.reasons:
        found.setdefault(reason.rule_id, set()).add(reason.outcome.value)
    assert decision.route is route, [r.explanation for r in decision.reasons]
    for rule_id, outcome in expected.items():
        assert outcome in found.get(rule_id, set()), (rule_id, found)
    for rule_id in absent:
        assert rule_id not in found, (rule_id, found)


# fmt: off
BROADER_CODES: list[Case] = [
    ("8-digit line over listed Ga numbers, gallium named", {"hs_code": "81129290", "description": "Gallium metal 6N"},
     IN_FORCE, Route.LICENSE, {GALLIUM: "licence_required"}, ()),
    ("8-digit line over listed Ga numbers, item not named", {"hs_code": "81129290", "description": "metal for alloying"},
     IN_FORCE, Route.HOLD, {GALLIUM: "review"}, ()),
    ("8-digit line over Ga, Ge and Te numbers, not named", {"hs_code": "38180090", "description": "doped wafers"},
     IN_FORCE, Route.HOLD, {GALLIUM: "review", GERMANIUM: "review"}, ()),
    ("8-digit line over Ga and Ge numbers, gallium arsenide named",
     {"hs_code": "38180090", "description": "Gallium arsenide wafer 4 inch"},
     IN_FORCE, Route.LICENSE, {GALLIUM: "licence_required"}, (GERMANIUM,)),
    ("8-digit Ge line in Japanese", {"hs_code": "81129210", "description": "ゲルマニウム インゴット"},
     IN_FORCE, Route.LICENSE, {GERMANIUM: "licence_required"}, ()),
    ("8-digit gallium oxide line in Japanese", {"hs_code": "28259090", "description": "酸化ガリウム粉末"},
     IN_FORCE, Route.LICENSE, {GALLIUM: "licence_required"}, ()),
    ("8-digit Sb line in Chinese", {"hs_code": "81101010", "description": "锑锭 99.65%"},
     IN_FORCE, Route.LICENSE, {ANTIMONY: "licence_required"}, ()),
    ("8-digit Sb line, item not named", {"hs_code": "81101010", "description": "metal ingots"},
     IN_FORCE, Route.HOLD, {ANTIMONY: "review"}, ()),
    ("8-digit rare-earth compound line, samarium oxide in Chinese", {"hs_code": "28469019", "description": "氧化钐"},
     IN_FORCE, Route.LICENSE, {SM_GD: "licence_required"}, ()),
    ("8-digit line naming another measure's element", {"hs_code": "81129990", "description": "テルビウム金属"},
     IN_FORCE, Route.LICENSE, {TB_DY: "licence_required"}, (GALLIUM,)),
    ("control code resolves an 8-digit line", {"hs_code": "28469019", "control_code": "1C902.b"},
     IN_FORCE, Route.LICENSE, {SM_GD: "licence_required"}, ()),
    ("generic machinery line over listed press numbers, item not named", {"hs_code": "84798999", "description": "food packaging machine"},
     IN_FORCE, Route.HOLD, {"cn-2024-33-superhard": "review"}, ()),
    ("generic machinery line, MPCVD named", {"hs_code": "84798999", "description": "MPCVD diamond growth system 915 MHz"},
     IN_FORCE, Route.LICENSE, {"cn-2024-33-superhard": "licence_required"}, ()),
    ("8-digit line with no listed number under it", {"hs_code": "94036000", "description": "wooden furniture"},
     IN_FORCE, Route.RELEASE, {}, (GALLIUM, GERMANIUM)),
    ("10-digit code outside the listed numbers", {"hs_code": "8112929099", "description": "hafnium scrap"},
     IN_FORCE, Route.RELEASE, {}, (GALLIUM,)),
]

DESCRIBED: list[Case] = [
    ("Dy alloy under a ferro-alloy code", {"hs_code": "72029999", "description": "Dysprosium-iron alloy"},
     IN_FORCE, Route.LICENSE, {TB_DY: "licence_required"}, ()),
    ("Tb oxide in Chinese under an unrelated code", {"hs_code": "25309099", "description": "氧化铽 99.99%"},
     IN_FORCE, Route.LICENSE, {TB_DY: "licence_required"}, ()),
    ("Lu target in Japanese", {"hs_code": "84869099", "description": "ルテチウム スパッタリングターゲット"},
     IN_FORCE, Route.LICENSE, {TB_DY: "licence_required"}, ()),
    ("Sc-Al alloy", {"hs_code": "76012000", "description": "Aluminium-scandium alloy rod"},
     IN_FORCE, Route.LICENSE, {TB_DY: "licence_required"}, ()),
    ("Sm-Co magnet under a magnet heading", {"hs_code": "85051190", "description": "SmCo magnet segments"},
     IN_FORCE, Route.LICENSE, {SM_GD: "licence_required"}, ()),
    ("Ho-Dy alloy: suspended No. 57 element with a No. 18 element",
     {"hs_code": "72029999", "description": "Holmium-dysprosium alloy"},
     IN_FORCE, Route.LICENSE, {TB_DY: "licence_required", NO57: "info"}, ()),
    ("Ho-Dy alloy after No. 70's end: both measures", {"hs_code": "72029999", "description": "钬镝合金"},
     RESUMED, Route.LICENSE, {TB_DY: "licence_required", NO57: "licence_required"}, ()),
    ("threshold the words cannot check wins over a licence", {"hs_code": "72029999",
     "description": "Dysprosium oxide and antimony trioxide blend"},
     IN_FORCE, Route.HOLD, {TB_DY: "licence_required", ANTIMONY: "review"}, ()),
    ("ytterbium is not terbium or erbium", {"hs_code": "25309099", "description": "Ytterbium oxide 99.9%"},
     IN_FORCE, Route.RELEASE, {NO57: "info"}, (TB_DY,)),
    ("ytterbium in Japanese is not terbium", {"hs_code": "25309099", "description": "酸化イッテルビウム"},
     IN_FORCE, Route.RELEASE, {NO57: "info"}, (TB_DY,)),
]

# Element words in a name, with no form of the element: not the item.
UNRELATED: list[Case] = [
    ("game studio name", {"hs_code": "95045000", "description": "Gallium Studios strategy game console edition"},
     IN_FORCE, Route.RELEASE, {}, (GALLIUM,)),
    ("a device, not the element", {"hs_code": "95030090", "description": "Germanium diode crystal radio kit for kids"},
     IN_FORCE, Route.RELEASE, {}, (GERMANIUM,)),
    ("company name", {"hs_code": "94013100", "description": "Yttrium Capital office chairs"},
     IN_FORCE, Route.RELEASE, {}, (TB_DY,)),
    ("uncontrolled rare earth", {"hs_code": "85051110", "description": "Neodymium magnet discs"},
     IN_FORCE, Route.RELEASE, {}, (SM_GD, TB_DY)),
    ("medicine in Chinese", {"hs_code": "30049090", "description": "次水杨酸铋片"},
     IN_FORCE, Route.RELEASE, {}, ("cn-2025-10-bismuth",)),
    ("a transistor in Chinese", {"hs_code": "85412900", "description": "锗晶体管 收音机零件"},
     IN_FORCE, Route.RELEASE, {}, (GERMANIUM,)),
    ("brand in Japanese", {"hs_code": "84713000", "description": "ガリウム ブランド ノートパソコン"},
     IN_FORCE, Route.RELEASE, {}, (GALLIUM,)),
]

FOREIGN_DIRECT: list[Case] = [
    ("magnets made in Vietnam with Chinese magnet-making technology",
     {"hs_code": "85051110", "origin_country": "VN",
      "description": "NdFeB magnets made in Vietnam using Chinese magnet-making technology"},
     RESUMED, Route.LICENSE, {FDP: "licence_required"}, ()),
    ("the same during the No. 70 suspension",
     {"hs_code": "85051110", "origin_country": "VN",
      "description": "NdFeB magnets made in Vietnam using Chinese magnet-making technology"},
     IN_FORCE, Route.RELEASE, {FDP: "info"}, ()),
    ("Chinese, origin not declared", {"hs_code": "85051110", "description": "越南生产的钕铁硼磁体，采用中国稀土分离技术"},
     RESUMED, Route.LICENSE, {FDP: "licence_required"}, ()),
    ("Japanese", {"hs_code": "85051110", "origin_country": "TH",
                  "description": "中国の磁石製造技術を用いてタイで製造した磁石"},
     RESUMED, Route.LICENSE, {FDP: "licence_required"}, ()),
    ("made in China is an ordinary export", {"hs_code": "85051110", "origin_country": "CN",
                                             "description": "NdFeB magnet made in China with Chinese technology"},
     RESUMED, Route.RELEASE, {}, (FDP,)),
    ("foreign technology", {"hs_code": "85051110", "origin_country": "DE",
                            "description": "NdFeB magnets made in Germany with German technology"},
     RESUMED, Route.RELEASE, {}, (FDP,)),
]

CONTROL_CODE_DISMISSES_REFERENCE: list[Case] = [
    ("samarium metal at No. 57's reference line", {"control_code": "1C902.a", "hs_code": "2805301990"},
     RESUMED, Route.LICENSE, {SM_GD: "licence_required"}, (NO57,)),
    ("samarium metal at the 8-digit reference line", {"control_code": "1C902.a", "hs_code": "28053019"},
     RESUMED, Route.LICENSE, {SM_GD: "licence_required"}, (NO57,)),
    ("gadolinium metal", {"control_code": "1C903.a", "hs_code": "2805301990"},
     RESUMED, Route.LICENSE, {SM_GD: "licence_required"}, (NO57,)),
    ("holmium metal is No. 57's own", {"control_code": "1C909.a", "hs_code": "2805301990"},
     RESUMED, Route.LICENSE, {NO57: "licence_required"}, ()),
    ("no control code: the reference line still holds", {"hs_code": "2805301990", "description": "rare earth metal"},
     RESUMED, Route.HOLD, {NO57: "review"}, ()),
]
# fmt: on


def _params(cases: list[Case]) -> list[Any]:
    return [pytest.param(c, id=c[0]) for c in cases]


@pytest.mark.parametrize("case", _params(BROADER_CODES))
def test_a_less_precise_customs_code_never_clears_a_line(
    screen: Screen, make_order: MakeOrder, case: Case
) -> None:
    _check(screen, make_order, case)


@pytest.mark.parametrize("case", _params(DESCRIBED))
def test_controlled_items_named_in_the_description(screen: Screen, make_order: MakeOrder, case: Case) -> None:
    _check(screen, make_order, case)


@pytest.mark.parametrize("case", _params(UNRELATED))
def test_element_words_in_unrelated_senses_are_not_caught(
    screen: Screen, make_order: MakeOrder, case: Case
) -> None:
    _check(screen, make_order, case)


@pytest.mark.parametrize("case", _params(FOREIGN_DIRECT))
def test_foreign_direct_products_described_in_words(
    screen: Screen, make_order: MakeOrder, case: Case
) -> None:
    _check(screen, make_order, case)


@pytest.mark.parametrize("case", _params(CONTROL_CODE_DISMISSES_REFERENCE))
def test_a_control_code_dismisses_another_measures_reference_line(
    screen: Screen, make_order: MakeOrder, case: Case
) -> None:
    _check(screen, make_order, case)
