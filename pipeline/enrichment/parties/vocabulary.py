"""The matching vocabulary (legal forms, stopwords, generic tokens, abbreviations, known variants)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.enrichment.parties.errors import ListFileError
from pipeline.settings import BUNDLED_DATA

DEFAULT_VOCABULARY = BUNDLED_DATA / "parties" / "matching.yaml"


class LegalForms(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    latin: tuple[str, ...]
    cjk: tuple[str, ...]


class MatchingVocabulary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    legal_forms: LegalForms
    stopwords: tuple[str, ...] = ()
    generic_factor: float = Field(default=0.25, gt=0, le=1)
    generic_tokens: tuple[str, ...] = ()
    abbreviations: dict[str, str] = Field(default_factory=dict)
    known_variants: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    katakana_words: dict[str, str] = Field(default_factory=dict)
    han_words: dict[str, str] = Field(default_factory=dict)
    content_hash: str = ""

    @classmethod
    def load(cls, path: Path = DEFAULT_VOCABULARY) -> MatchingVocabulary:
        try:
            raw = path.read_bytes()
            vocabulary = cls.model_validate(yaml.safe_load(raw))
        except (OSError, yaml.YAMLError, ValidationError) as exc:
            raise ListFileError(path, None, f"invalid matching vocabulary: {exc}") from exc
        return vocabulary.model_copy(update={"content_hash": hashlib.sha256(raw).hexdigest()[:12]})
