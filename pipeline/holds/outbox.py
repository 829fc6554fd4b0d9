"""Where hold-workflow events go: Kafka in service (`kafka_io.KafkaOutbox`), memory in tests and demos."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from pipeline.holds.signing import NO_SIGNING_KEY, ReviewSigner, ReviewSigningError
from schemas.decision import DecisionRecord
from schemas.review import AllowlistEntry, AuditRecord, HoldClaim, Review


class HoldsOutbox(Protocol):
    @property
    def signs_reviews(self) -> bool:
        """Whether `review` can sign: checked before the request is audited, so that a refusal
        leaves one record and the request's record always comes before the applier's."""

    async def review(self, review: Review) -> None:
        """Publish `review` signed; `ReviewSigningError` when it cannot be signed."""

    async def audit(self, record: AuditRecord) -> None: ...
    async def allowlist(self, entry: AllowlistEntry) -> None: ...
    async def revoke_clearance(self, key: str) -> None: ...
    async def decision(self, record: DecisionRecord) -> None: ...
    async def claim(self, claim: HoldClaim) -> None: ...


@dataclass(slots=True)
class MemoryOutbox:
    """Keeps every event in lists, in the order sent; reviews signed when a signer is given."""

    signer: ReviewSigner | None = None
    # A memory outbox without a signer keeps reviews unsigned, unless it must fail like Kafka's.
    require_signature: bool = False
    reviews: list[Review] = field(default_factory=list)
    audits: list[AuditRecord] = field(default_factory=list)
    allowlisted: list[AllowlistEntry] = field(default_factory=list)
    decisions: list[DecisionRecord] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)
    claims: list[HoldClaim] = field(default_factory=list)

    @property
    def signs_reviews(self) -> bool:
        return self.signer is not None or not self.require_signature

    async def review(self, review: Review) -> None:
        if self.signer is not None:
            review = self.signer.sign(review)
        elif self.require_signature:
            raise ReviewSigningError(NO_SIGNING_KEY)
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
