"""Signed reviews: an HMAC-SHA256 over a canonical serialisation of every field but the signature.

The console and the CLI sign each review they publish with the key from settings; the review applier
applies only reviews whose signature checks out, so a record written straight to `holds.reviews`
by anyone without the key is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from pipeline.settings import Settings
from schemas.review import Review

MIN_KEY_LENGTH = 32
NO_SIGNING_KEY = (
    "reviews cannot be signed: no review signing key is configured "
    "(SCREENING_REVIEW_SIGNING_KEY or SCREENING_REVIEW_SIGNING_KEY_FILE)"
)
_SCHEME = "hmac-sha256:"


class SigningKeyError(ValueError):
    """The configured signing key is unreadable or too short; nothing may start with it."""


class ReviewSigningError(RuntimeError):
    """A review cannot be signed: no signing key is configured."""


def canonical(review: Review) -> bytes:
    """The bytes a signature covers: every field but the signature, keys sorted, no whitespace."""
    fields = review.model_dump(mode="json", exclude={"signature"})
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class ReviewSigner:
    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_LENGTH:
            msg = f"the review signing key must be at least {MIN_KEY_LENGTH} bytes"
            raise SigningKeyError(msg)
        self._key = key

    def _mac(self, review: Review) -> str:
        return _SCHEME + hmac.new(self._key, canonical(review), hashlib.sha256).hexdigest()

    def sign(self, review: Review) -> Review:
        return review.model_copy(update={"signature": self._mac(review)})

    def verify(self, review: Review) -> bool:
        return hmac.compare_digest(review.signature.encode(), self._mac(review).encode())

    @classmethod
    def from_settings(cls, settings: Settings) -> ReviewSigner | None:
        """The signer for the configured key; None when no key is configured."""
        key = signing_key(settings)
        return None if key is None else cls(key)


def signing_key(settings: Settings) -> bytes | None:
    """The key from the key file when one is set, else from the setting; None when neither is."""
    path = settings.review_signing_key_file
    if path is not None:
        try:
            key = path.read_bytes().strip()
        except OSError as exc:
            msg = f"cannot read the review signing key file {path}: {exc.strerror}"
            raise SigningKeyError(msg) from exc
    else:
        key = settings.review_signing_key.get_secret_value().encode()
    return key or None
