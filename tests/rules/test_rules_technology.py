"""The technology catalogue by entry number and by the words of a technology line (issue 15, class 4):
every version modelled by date, the 2023 additions and deletions, the 2025 No. 28 adjustments, and
review where a date precedes the first version the pack models."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from schemas.decision import DecisionRecord, Route
from schemas.order import OrderEvent

Screen = Callable[..., DecisionRecord]
MakeOrder = Callable[..., OrderEvent]


# Plans, drawings and technical documents: a customs code that classifies a technology line by its
# carrier but says nothing about the technology (a line without any code is held as unclassified).
DOCUMENTS = "4906000000"


def tech(description: str, **fields: Any) -> dict[str, Any]:
    return {"description": description, "hs_code": DOCUMENTS, **fields}


# (name, line, as_of, route, rule id with the outcome that must appear, or None for no finding)
Case = tuple[str, dict[str, Any], str, Route, tuple[str, str] | None]
# fmt: off
CASES: list[Case] = [
    # entry numbers across catalogue versions
    ("J entry under the 2020 catalogue", tech("x", tech_entry="053302J"), "2022-06-01", Route.HOLD,
     ("cn-tech-2020-38-prohibited", "prohibited")),
    ("X entry under the 2020 catalogue", tech("x", tech_entry="203912X"), "2023-12-20", Route.LICENSE,
     ("cn-tech-2020-38-restricted", "licence_required")),
    ("X entry under the 2023 catalogue", tech("x", tech_entry="203912X"), "2023-12-21", Route.LICENSE,
     ("cn-tech-2023-57-restricted", "licence_required")),
    ("entry before the first modelled version", tech("x", tech_entry="053302J"), "2019-06-01", Route.HOLD,
     ("cn-tech-pre-2020-catalogue", "review")),
    ("technology words before the first modelled version", tech("process know-how for PVC"), "2018-01-10",
     Route.HOLD, ("cn-tech-pre-2020-catalogue", "review")),
    # 2023 additions, in words, three languages
    ("gene editing", tech("CRISPR gene-editing technology licence"), "2024-02-01", Route.HOLD,
     ("cn-tech-2023-57-added-prohibited", "prohibited")),
    ("human cell cloning in Chinese", tech("人体细胞克隆技术转让"), "2024-02-01", Route.HOLD,
     ("cn-tech-2023-57-added-prohibited", "prohibited")),
    ("genome editing in Japanese", tech("ゲノム編集の技術資料"), "2024-02-01", Route.HOLD,
     ("cn-tech-2023-57-added-prohibited", "prohibited")),
    ("gene editing before the 2023 revision", tech("gene editing technology"), "2023-06-01", Route.RELEASE,
     None),
    ("crop heterosis", tech("Hybrid rice heterosis utilisation technology"), "2024-02-01", Route.LICENSE,
     ("cn-tech-2023-57-added-restricted", "licence_required")),
    ("bulk material conveying", tech("Bulk-material handling and conveying system design drawings"),
     "2024-02-01", Route.LICENSE, ("cn-tech-2023-57-added-restricted", "licence_required")),
    ("laser radar in Chinese", tech("激光雷达系统技术"), "2024-02-01", Route.LICENSE,
     ("cn-tech-2023-57-added-restricted", "licence_required")),
    ("LiDAR goods are not technology", tech("LiDAR sensor module", hs_code="9015800000"), "2024-02-01",
     Route.RELEASE, None),
    # 2023 deletions apply before, not after
    ("deleted restricted entry before 2023", tech("medical diagnostic device manufacturing technology"),
     "2023-03-01", Route.LICENSE, ("cn-tech-2020-38-removed-2023-restricted", "licence_required")),
    ("deleted restricted entry after 2023", tech("medical diagnostic device manufacturing technology"),
     "2024-03-01", Route.RELEASE, None),
    ("deleted prohibited entry before 2023", tech("plant growth regulator manufacturing technology"),
     "2023-03-01", Route.HOLD, ("cn-tech-2020-38-removed-2023-prohibited", "prohibited")),
    # rare-earth technologies, by code and in words, with No. 62 suspended or not
    ("1E902 before the 2023 revision and No. 62", tech("x", control_code="1E902.a"), "2023-06-01",
     Route.HOLD, ("cn-tech-2020-38-rare-earth", "prohibited")),
    ("magnet technology in words during No. 70", tech("NdFeB magnet sintering process technology"),
     "2026-03-01", Route.HOLD, ("cn-tech-2023-57-rare-earth-prohibited", "prohibited")),
    ("separation technology in Japanese", tech("レアアース分離の技術資料"), "2026-03-01", Route.HOLD,
     ("cn-tech-2023-57-rare-earth-prohibited", "prohibited")),
    ("rare-earth mining technology", tech("rare earth mining technical assistance"), "2024-06-01",
     Route.LICENSE, ("cn-tech-2023-57-rare-earth-restricted", "licence_required")),
    ("rare-earth magnet goods are not technology", tech("NdFeB magnet N52", hs_code="8505111000"),
     "2026-03-01", Route.RELEASE, None),
    # 2025 No. 28
    ("traditional architecture before deletion", tech("traditional Chinese architecture technology"),
     "2025-07-14", Route.HOLD, ("cn-tech-2025-28-removed-085001j", "prohibited")),
    ("traditional architecture after deletion", tech("traditional Chinese architecture technology"),
     "2025-07-15", Route.RELEASE, None),
    ("LFP cathode technology in words", tech("磷酸铁锂正极材料制备工艺"), "2025-08-01", Route.LICENSE,
     ("cn-tech-2025-28-battery-cathode", "licence_required")),
    ("LFP cathode technology before No. 28", tech("LFP cathode preparation technology"), "2025-07-14",
     Route.RELEASE, None),
    ("lithium extraction from brine", tech("brine direct lithium extraction process package"), "2025-08-01",
     Route.HOLD, ("cn-tech-2025-28-lithium-gallium-extraction", "review")),
    ("gallium from alumina mother liquor", tech("从氧化铝母液提取镓的技术"), "2025-08-01", Route.HOLD,
     ("cn-tech-2025-28-lithium-gallium-extraction", "review")),
]
# fmt: on


def test_a_technology_in_words_without_any_code_is_held_unclassified_and_named(
    screen: Screen, make_order: MakeOrder
) -> None:
    decision = screen(make_order([{"description": "LiDAR system technology"}]), as_of=date(2024, 2, 1))
    assert decision.route is Route.HOLD
    assert {r.rule_id for r in decision.reasons} == {
        "pipeline.unclassified-line",
        "cn-tech-2023-57-added-restricted",
    }


@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in CASES])
def test_technology_lines(screen: Screen, make_order: MakeOrder, case: Case) -> None:
    _, line, as_of, route, expected = case
    decision = screen(make_order([line]), as_of=date.fromisoformat(as_of))
    regulatory = {(r.rule_id, r.outcome.value) for r in decision.reasons if r.rule_id.startswith("cn-")}
    assert decision.route is route, [r.explanation for r in decision.reasons]
    if expected is None:
        assert not {o for _, o in regulatory} - {"info"}, regulatory
    else:
        assert expected in regulatory, regulatory
