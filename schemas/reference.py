"""The envelope every reference data set travels in on its compacted `reference.<kind>` topic.

The record key is the kind, so compaction keeps only the latest version of each data set; the
envelope carries the file text unchanged so a worker validates exactly what an operator published.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Kafka's default message ceiling is 1 MiB; stay below it with the envelope around the payload.
MAX_PAYLOAD_CHARS = 900_000


class ReferenceKind(StrEnum):
    RULES = "rules"
    PARTIES = "parties"
    PARTY_MASTER = "party-master"
    PRODUCTS = "products"
    LICENCES = "licences"


# A worker without these releases nothing: it cannot screen an order without rules and lists.
REQUIRED_KINDS: frozenset[ReferenceKind] = frozenset({ReferenceKind.RULES, ReferenceKind.PARTIES})


def content_hash(payload: str) -> str:
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ReferenceEnvelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ReferenceKind
    version: str = Field(min_length=1, max_length=200)
    content_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    published_at: datetime
    source: str = Field(default="", max_length=500)
    payload: str = Field(max_length=MAX_PAYLOAD_CHARS)
    # An operator's confirmation that a party list may drop more entries than the shrink limit.
    confirmed_shrink: bool = False

    @model_validator(mode="after")
    def _hash_matches(self) -> ReferenceEnvelope:
        if content_hash(self.payload) != self.content_hash:
            msg = "content_hash does not match the payload"
            raise ValueError(msg)
        return self


class ReferenceRefusal(BaseModel):
    """Published when a worker refuses a reference update; the previous version stays in use."""

    model_config = ConfigDict(frozen=True)

    kind: str
    refused_version: str
    kept_version: str | None
    reason: str
    worker: str
    at: datetime
