"""Whether a review comes from a known reviewer: a valid signature, a configured user, a role that may
act. The same user store (`SCREENING_CONSOLE_USERS`) the console signs people in with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pipeline.console.auth import User
from pipeline.holds.apply import ReviewRefusedError
from pipeline.holds.signing import ReviewSigner
from pipeline.holds.terminal import bounded
from schemas.review import Review

# Reviewer names in refusal reasons come from whoever wrote the record: shown bounded and escaped.
_NAME_LIMIT = 64


@dataclass(frozen=True, slots=True)
class ReviewTrust:
    """`signer` is None when no key is configured: then every review is refused (fail closed)."""

    signer: ReviewSigner | None
    users: Mapping[str, User]

    def check(self, review: Review) -> None:
        """Raise `ReviewRefusedError` with a specific reason unless the review may be applied."""
        if self.signer is None:
            msg = "no review signing key is configured, so no review can be verified"
            raise ReviewRefusedError(msg)
        if not review.signature:
            msg = "unsigned review"
            raise ReviewRefusedError(msg)
        if not self.signer.verify(review):
            msg = "bad signature: the review was not signed with the console's key or was altered"
            raise ReviewRefusedError(msg)
        user = self.users.get(review.reviewer)
        if user is None:
            msg = f"unknown reviewer {bounded(review.reviewer, _NAME_LIMIT)!r}"
            raise ReviewRefusedError(msg)
        if not user.role.may_act:
            msg = f"reviewer {user.name!r} has role {user.role}, which may not {review.action}"
            raise ReviewRefusedError(msg)
