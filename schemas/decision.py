"""The decision record published to `screening.decisions` and the `shipments.*` topics."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Route(StrEnum):
    """Where an order goes. Order of severity: HOLD > LICENSE > RELEASE."""

    HOLD = "hold"
    LICENSE = "license"
    RELEASE = "release"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {Route.RELEASE: 0, Route.LICENSE: 1, Route.HOLD: 2}


class Outcome(StrEnum):
    """What a finding means for the order."""

    PROHIBITED = "prohibited"
    LICENCE_REQUIRED = "licence_required"
    REVIEW = "review"
    EXEMPT = "exempt"
    LICENSED = "licensed"
    INFO = "info"


class Citation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    authority: str
    instrument: str
    date: date
    url: str


class Reason(BaseModel):
    model_config = ConfigDict(frozen=True)

    rule_id: str
    title: str
    outcome: Outcome
    citation: Citation | None = None
    line_id: str | None = None
    party_role: str | None = None
    explanation: str
    evidence: dict[str, str] = Field(default_factory=dict)
    confidence: str | None = None


class PartyMatch(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: str
    name_sent: str
    list: str
    program: str
    entry_id: str
    listed_name: str
    score: float
    strength: str
    matched: str
    status: str
    via_owner: str | None = None
    # Who was screened and the list entry's content hash: what a clearance of this match names.
    party_key: str | None = None
    entry_hash: str | None = None


class DecisionRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    decision_id: str
    order_id: str
    revision: int
    route: Route
    as_of: date
    evaluated_at: datetime
    event_time: datetime | None = None
    reasons: list[Reason] = Field(default_factory=list)
    party_matches: list[PartyMatch] = Field(default_factory=list)
    versions: dict[str, str] = Field(default_factory=dict)
    fail_closed: bool = False
    supersedes: str | None = None
    review: dict[str, str] | None = None
    source: dict[str, int | str] | None = None


class DeadLetter(BaseModel):
    """What `orders.invalid` carries: the original bytes and why they were refused."""

    model_config = ConfigDict(frozen=True)

    reason: str
    detail: str
    source_topic: str
    source_partition: int
    source_offset: int
    key: str | None = None
    original_base64: str
    received_at: datetime
