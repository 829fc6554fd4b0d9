"""Where hold-workflow events go: Kafka in service (`kafka_io.KafkaOutbox`), memory in tests and demos."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from schemas.decision import DecisionRecord
from schemas.review import AllowlistEntry, AuditRecord, HoldClaim, Review


class HoldsOutbox(Protocol):
    async def review(self, review: Review) -> None: ...
    async def audit(self, record: AuditRecord) -> None: ...
    async def allowlist(self, entry: AllowlistEntry) -> None: ...
    async def revoke_clearance(self, key: str) -> None: ...
    async def decision(self, record: DecisionRecord) -> None: ...
    async def claim(self, claim: HoldClaim) -> None: ...


@dataclass(slots=True)
class MemoryOutbox:
    """Keeps every event in lists, in the order sent."""

    reviews: list[Review] = field(default_factory=list)
    audits: list[AuditRecord] = field(default_factory=list)
    allowlisted: list[AllowlistEntry] = field(default_factory=list)
    decisions: list[DecisionRecord] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)
    claims: list[HoldClaim] = field(default_factory=list)

    async def review(self, review: Review) -> None:
        self.reviews.append(review)

    async def audit(self, record: AuditRecord) -> None:
        self.audits.append(record)

    async def allowlist(self, entry: AllowlistEntry) -> None:
        self.allowlisted.append(entry)

    async def revoke_clearance(self, key: str) -> None:
        self.revoked.append(key)

    async def decision(self, record: DecisionRecord) -> None:
        self.decisions.append(record)

    async def claim(self, claim: HoldClaim) -> None:
        self.claims.append(claim)
