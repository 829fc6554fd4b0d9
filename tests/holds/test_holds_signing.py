"""Review signatures: canonical bytes, the key from settings or a key file, refusal of weak keys."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.holds.signing import ReviewSigner, SigningKeyError, canonical
from pipeline.settings import load_settings
from schemas.review import ClearedMatch, Review, ReviewAction

KEY = "k" * 32


def sample() -> Review:
    return Review(
        review_id="r1",
        order_id="o-1",
        decision_id="d-1",
        action=ReviewAction.CLEAR_MATCH,
        reviewer="alice",
        justification="different company, different registration number",
        created_at=datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC),
        cleared=ClearedMatch(
            entry_id="e-1", name_sent="Ünïcode Ltd", expires_at=datetime(2026, 6, 1, tzinfo=UTC)
        ),
    )


def test_a_signature_survives_the_trip_through_json_and_breaks_on_any_change() -> None:
    signer = ReviewSigner(KEY.encode())
    signed = signer.sign(sample())
    assert signed.signature.startswith("hmac-sha256:")
    assert signer.verify(Review.model_validate_json(signed.model_dump_json()))
    for change in ({"reviewer": "bob"}, {"decision_id": "d-2"}, {"justification": "x"}):
        assert not signer.verify(signed.model_copy(update=change))
    assert not ReviewSigner(b"x" * 32).verify(signed)
    assert b"signature" not in canonical(signed)


def test_the_key_comes_from_the_environment_or_a_key_file(tmp_path: Path) -> None:
    made = sample()
    from_env = ReviewSigner.from_settings(load_settings({"SCREENING_REVIEW_SIGNING_KEY": KEY}))
    key_file = tmp_path / "review.key"
    key_file.write_text(KEY + "\n")
    from_file = ReviewSigner.from_settings(
        load_settings({"SCREENING_REVIEW_SIGNING_KEY_FILE": str(key_file)})
    )
    assert from_env is not None
    assert from_file is not None
    assert from_file.verify(from_env.sign(made))
    assert ReviewSigner.from_settings(load_settings({})) is None


def test_a_short_or_unreadable_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SigningKeyError, match="at least 32 bytes"):
        ReviewSigner.from_settings(load_settings({"SCREENING_REVIEW_SIGNING_KEY": "short"}))
    missing = tmp_path / "absent.key"
    with pytest.raises(SigningKeyError, match=r"absent\.key"):
        ReviewSigner.from_settings(load_settings({"SCREENING_REVIEW_SIGNING_KEY_FILE": str(missing)}))
