"""The event published to `alerts.blocked` for every prohibited finding in a decision."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from schemas.decision import Citation


class AlertParty(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: str
    name: str
    country: str


class BlockedAlert(BaseModel):
    model_config = ConfigDict(frozen=True)

    alert_id: str
    order_id: str
    revision: int
    decision_id: str
    rule_id: str
    title: str
    citation: Citation | None = None
    line_id: str | None = None
    party_role: str | None = None
    explanation: str
    parties: list[AlertParty] = Field(default_factory=list)
    destination_country: str
    link: str
    raised_at: datetime
