"""What an end-use text does not say (issue 15, evaluation classes): trading and stocking words state
no final use, product and style words are not a military end use, and the defence ministries and
armed services the US and Japan measures aim at are military end users whoever resells to them."""

import pytest

from pipeline.enrichment.end_use import UNRECOGNISED, classify_end_use
from schemas.order import EndUse

SENSITIVE = {"military", "military_capability", "wmd", "terrorism"}


def _classes(description: str) -> frozenset[str]:
    return classify_end_use(EndUse(description=description), None).classes


# Holding, stocking, reselling and distributing say who has the goods next, not their final use.
NOT_AN_END_USE = [
    "General trading stock",
    "for inventory",
    "For resale",
    "stock for resale",
    "distribution",
    "wholesale distribution to customers",
    "warehousing",
    "一般贸易备货",
    "库存",
    "转售",
    "分销及批发",
    "在庫用",
    "転売",
    "販売用在庫",
]


@pytest.mark.parametrize("description", NOT_AN_END_USE)
def test_trading_and_stock_words_are_not_an_end_use(description: str) -> None:
    classes = _classes(description)
    assert UNRECOGNISED in classes, classes
    assert not {c for c in classes if c.startswith("civil")}, classes


# A final use stated beside the trading words still counts.
@pytest.mark.parametrize(
    "description",
    [
        "for resale to automotive manufacturers",
        "转售给汽车制造商",
        "自動車メーカー向け転売",
        "inventory for LED lighting production",
    ],
)
def test_a_final_use_beside_trading_words_is_recognised(description: str) -> None:
    classes = _classes(description)
    assert "civil" in classes, classes
    assert UNRECOGNISED not in classes


# Defence ministries and armed services named as the buyer, also behind a civil distributor.
MILITARY_END_USERS = [
    "Resale by our distributor to the U.S. Department of Defense",
    "delivery to DoD depots",
    "for resale to the Pentagon",
    "Defense Logistics Agency contract",
    "for the Ministry of Defence",
    "supply to the armed forces of a NATO member",
    "US Space Force ground stations",
    "Japan Acquisition, Technology and Logistics Agency",
    "经销商转售给美国国防部",
    "供应五角大楼",
    "最终用户为国防部",
    "美军基地采购",
    "防衛省への納入",
    "米国防総省向け",
    "防衛装備庁の調達",
    "海上自衛隊向け部品",
    "for the US Department of War",
    "National Defense Academy of Japan laboratory",
    "防衛大学校の研究室",
]


@pytest.mark.parametrize("description", MILITARY_END_USERS)
def test_named_military_end_users_are_military(description: str) -> None:
    assert "military" in _classes(description)


# Colours, cuts and prints named after the military are consumer products.
STYLE_WORDS = [
    "army-style jackets for retail stores",
    "military green paint for garden furniture",
    "camouflage-print fashion",
    "military-inspired fashion collection",
    "navy blue school uniforms",
    "军绿色外套",
    "迷彩印花服装",
    "ミリタリー風ジャケット",
    "迷彩柄のファッション",
]


@pytest.mark.parametrize("description", STYLE_WORDS)
def test_style_words_are_not_a_military_end_use(description: str) -> None:
    classes = _classes(description)
    assert not classes & SENSITIVE, classes


# A style phrase hides only the words inside it: a real military use beside it still counts.
@pytest.mark.parametrize(
    "description",
    ["army-style jackets for the army", "military green paint for naval vessels", "迷彩印花布料供军队使用"],
)
def test_style_words_do_not_hide_a_military_use_beside_them(description: str) -> None:
    assert "military" in _classes(description)
