"""Events of the hold-review workflow: reviews on `holds.reviews`, audit records on `holds.audit`,
cleared party matches on `holds.allowlist`."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schemas.decision import DecisionRecord
from schemas.order import OrderEvent

MAX_JUSTIFICATION = 2000


class ReviewAction(StrEnum):
    """What a reviewer asks the pipeline to do with a hold."""

    RELEASE = "release"
    DENY = "deny"
    ESCALATE = "escalate"
    LICENSE = "license"
    CLEAR_MATCH = "clear_match"


# Actions whose reason must be written down: they let goods move or silence a list match.
JUSTIFICATION_REQUIRED = frozenset({ReviewAction.RELEASE, ReviewAction.CLEAR_MATCH})


class Role(StrEnum):
    VIEWER = "viewer"
    REVIEWER = "reviewer"
    ADMIN = "admin"

    @property
    def may_act(self) -> bool:
        return self is not Role.VIEWER


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        msg = "timestamps must carry a UTC offset"
        raise ValueError(msg)
    return value


class ClearedMatch(BaseModel):
    """A party-list match a reviewer cleared as a false positive, valid until `expires_at`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    entry_id: str = Field(min_length=1, max_length=100)
    name_sent: str = Field(min_length=1, max_length=500)
    expires_at: datetime

    _expiry_aware = field_validator("expires_at")(_aware)


class Review(BaseModel):
    """One reviewer's action on one decision; key = order id on `holds.reviews`."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    review_id: str = Field(min_length=1, max_length=100)
    order_id: str = Field(min_length=1, max_length=100)
    decision_id: str = Field(min_length=1, max_length=100)
    action: ReviewAction
    reviewer: str = Field(min_length=1, max_length=100)
    justification: str = Field(default="", max_length=MAX_JUSTIFICATION)
    created_at: datetime
    cleared: ClearedMatch | None = None
    # HMAC of every other field (pipeline/holds/signing.py), made by the console or CLI that published it.
    signature: str = Field(default="", max_length=200)

    _created_aware = field_validator("created_at")(_aware)

    @model_validator(mode="after")
    def _complete(self) -> Review:
        if self.action in JUSTIFICATION_REQUIRED and not self.justification:
            msg = f"{self.action} needs a justification"
            raise ValueError(msg)
        if (self.action is ReviewAction.CLEAR_MATCH) != (self.cleared is not None):
            msg = "clear_match, and only clear_match, names the cleared match"
            raise ValueError(msg)
        return self


class AuditOutcome(StrEnum):
    REQUESTED = "requested"
    APPLIED = "applied"
    AWAITING_SECOND_APPROVAL = "awaiting_second_approval"
    REFUSED = "refused"


class AuditRecord(BaseModel):
    """Who did what, when and why, on `holds.audit` (key = order id, or the actor for sign-ins)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    audit_id: str
    at: datetime
    actor: str
    action: str
    outcome: AuditOutcome
    order_id: str | None = None
    decision_id: str | None = None
    review_id: str | None = None
    why: str = ""
    detail: str = ""


class AllowlistEntry(BaseModel):
    """A cleared match on `holds.allowlist` (compacted, key = `allowlist_key`).

    Workers follow the topic and clear (party, list entry) until `expires_at`; a later record for the
    same key replaces it, a tombstone revokes it. `party_key` and `entry_hash` come from the cleared
    match of the decision; without them a worker cannot tell the party and refuses the record.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    entry_id: str
    name_sent: str
    party_role: str
    list: str
    listed_name: str
    expires_at: datetime
    cleared_at: datetime
    cleared_by: str
    reason: str
    order_id: str
    decision_id: str
    review_id: str
    party_key: str | None = None
    entry_hash: str | None = None


def allowlist_key(entry: AllowlistEntry) -> str:
    return f"{entry.entry_id}|{entry.name_sent}"


class HoldClaim(BaseModel):
    """Who is working a hold, on `holds.claims` (compacted, key = order id); no assignee = unclaimed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    order_id: str = Field(min_length=1, max_length=100)
    assignee: str | None = Field(default=None, min_length=1, max_length=100)
    by: str = Field(min_length=1, max_length=100)
    at: datetime

    _at_aware = field_validator("at")(_aware)


# Replays are told apart by the reviews applied while a hold stays open; older ids are let go.
MAX_APPLIED_REVIEW_IDS = 100


class CurrentHold(BaseModel):
    """One open hold on the compacted `holds.current` (key = order id; a tombstone when it closes).

    The review applier writes it; it carries what applying the next review needs: the current
    decision, the accepted reviews of that decision (earlier approvals for four-eyes) and the ids of
    the reviews already applied while the order stayed on hold.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    order_id: str
    decision: DecisionRecord
    held_since: datetime
    # The order event, when the applier still had it in its window of recent orders.
    order: OrderEvent | None = None
    reviews: list[Review] = Field(default_factory=list)
    applied_review_ids: list[str] = Field(default_factory=list)
