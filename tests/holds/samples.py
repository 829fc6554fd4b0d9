"""Example hold decisions for the hold workflow and console tests.

The findings are shaped like the rule engine's: a rule id, a citation, evidence and, for list
matches, the party-match evidence side by side.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from schemas.decision import Citation, DecisionRecord, Outcome, PartyMatch, Reason, Route

_DUAL_USE_CITATION = Citation(
    authority="MOFCOM, MIIT, GAC, SCA",
    instrument="MOFCOM Announcement 2024 No. 51 (Dual-Use Items Export Control List)",
    date=date(2024, 11, 15),
    url="https://picpolicy.mofcom.gov.cn/file/20241120/56691732080580306.pdf",
)
# Listing announcement of the sample's Control List entry (shared party-list sample, 24.02.2026).
_CONTROL_LIST_CITATION = Citation(
    authority="MOFCOM",
    instrument="Export control Control List listing announcement",
    date=date(2026, 2, 24),
    url="https://www.mofcom.gov.cn/zwgk/zcfb/art/2026/art_b5159a773124428a9813884015d1b8b3.html",
)


def licence_hold(order_id: str, *, evaluated_at: datetime | None = None, revision: int = 1) -> DecisionRecord:
    """A hold on a controlled line with no end use given: no prohibited finding, one reviewer suffices."""
    return DecisionRecord(
        decision_id=str(uuid.uuid4()),
        order_id=order_id,
        revision=revision,
        route=Route.HOLD,
        as_of=(evaluated_at or datetime.now(UTC)).date(),
        evaluated_at=evaluated_at or datetime.now(UTC),
        reasons=[
            Reason(
                rule_id="cn.dual-use.gallium.end-use-missing",
                title="Controlled gallium item without a stated end use",
                outcome=Outcome.REVIEW,
                citation=_DUAL_USE_CITATION,
                line_id="1",
                explanation="Line 1 is control code 1C902.a and the order states no end use.",
                evidence={"control_code": "1C902.a", "hs_code": "28129000", "destination_country": "DE"},
            )
        ],
    )


def party_list_hold(
    order_id: str,
    *,
    name_sent: str = "Mitsubishi Heavy Ind. Aero Engines Ltd",
    entry_id: str = "cl-mhi-aero-engines",
    evaluated_at: datetime | None = None,
    revision: int = 1,
) -> DecisionRecord:
    """A hold on a Control List match of the end user: prohibited, so release needs two reviewers."""
    at = evaluated_at or datetime.now(UTC)
    return DecisionRecord(
        decision_id=str(uuid.uuid4()),
        order_id=order_id,
        revision=revision,
        route=Route.HOLD,
        as_of=at.date(),
        evaluated_at=at,
        reasons=[
            Reason(
                rule_id="cn.party-list.control-list",
                title="End user is on the export-control Control List",
                outcome=Outcome.PROHIBITED,
                citation=_CONTROL_LIST_CITATION,
                party_role="end_user",
                explanation="Dual-use exports to entities on the Control List are prohibited.",
                evidence={"entry_id": entry_id, "destination_country": "JP"},
            ),
            Reason(
                rule_id="cn.dual-use.licence-required",
                title="Dual-use item needs an export licence",
                outcome=Outcome.LICENCE_REQUIRED,
                citation=_DUAL_USE_CITATION,
                line_id="1",
                explanation="Line 1 is listed dual-use item 1C902.a.",
                evidence={"control_code": "1C902.a"},
            ),
        ],
        party_matches=[
            PartyMatch(
                role="end_user",
                name_sent=name_sent,
                list="control_list",
                program="MOFCOM export control",
                entry_id=entry_id,
                listed_name="Mitsubishi Heavy Industries Aero Engines, Ltd.",
                score=0.93,
                strength="strong",
                matched="name tokens mitsubishi, heavy, ind(ustries), aero, engines; country JP",
                status="active",
            )
        ],
    )
