"""Classifies a declared end use (code and free text in English, Chinese, Japanese) into classes.

The vocabulary is data (pipeline/data/end_use/vocabulary.yaml). Text is folded like party names
(width, case, traditional and Japanese kanji to simplified), keywords likewise at load.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from pipeline.enrichment.enriched import EndUseFacts, PartyFacts
from pipeline.enrichment.parties.normalise import han_folding_table
from pipeline.settings import BUNDLED_DATA
from schemas.order import EndUse

DEFAULT_VOCABULARY = BUNDLED_DATA / "end_use" / "vocabulary.yaml"
NEGATION_WINDOW = 16
SEMICONDUCTOR_CLASS = "advanced_semiconductor"
END_USER_CATEGORIES = ("military", "government", "defence_industry")


class EndUseClassSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    codes: tuple[str, ...] = ()
    keywords: dict[str, tuple[str, ...]] = Field(default_factory=dict)


class SemiconductorSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    node_max_nm: float
    memory_min_layers: int
    node_units: tuple[str, ...]
    layer_units: tuple[str, ...]


class EndUseVocabulary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    negations: tuple[str, ...] = ()
    classes: dict[str, EndUseClassSpec]
    semiconductor: SemiconductorSpec


@dataclass(frozen=True, slots=True)
class _Keyword:
    end_use_class: str
    word: str
    pattern: re.Pattern[str]


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().translate(han_folding_table())


def _pattern(word: str) -> re.Pattern[str]:
    escaped = re.escape(word)
    # Latin words need word boundaries ("arm" is not "army"); CJK words have no spaces to bound them.
    return re.compile(rf"(?<![a-z0-9]){escaped}(?![a-z0-9])" if word.isascii() else escaped)


_REMEMBERED_TEXTS = 8192


class EndUseClassifier:
    def __init__(self, vocabulary: EndUseVocabulary) -> None:
        self.version = vocabulary.version
        self._codes = {_fold(code): name for name, spec in vocabulary.classes.items() for code in spec.codes}
        self._keywords = [
            _Keyword(name, _fold(word), _pattern(_fold(word)))
            for name, spec in vocabulary.classes.items()
            for words in spec.keywords.values()
            for word in words
        ]
        self._negations = tuple(_fold(n) for n in vocabulary.negations)
        semi = vocabulary.semiconductor
        self._node_max = semi.node_max_nm
        self._layers_min = semi.memory_min_layers
        units = "|".join(re.escape(_fold(u)) for u in sorted(semi.node_units, key=len, reverse=True))
        layers = "|".join(re.escape(_fold(u)) for u in sorted(semi.layer_units, key=len, reverse=True))
        self._node_re = re.compile(rf"(\d+(?:\.\d+)?)\s*-?\s*(?:{units})(?![a-z])")
        self._layer_re = re.compile(rf"(\d+)\s*-?\s*(?:{layers})(?![a-z])")
        # ERP order streams repeat a small set of end-use texts; each is classified once.
        self._from_text_remembered = lru_cache(maxsize=_REMEMBERED_TEXTS)(self._from_text)

    @classmethod
    def load(cls, path: Path = DEFAULT_VOCABULARY) -> EndUseClassifier:
        return cls(EndUseVocabulary.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))))

    def classify(self, end_use: EndUse, end_user: PartyFacts | None = None) -> EndUseFacts:
        evidence: list[tuple[str, str]] = []
        if end_use.code:
            code_class = self._codes.get(_fold(end_use.code.strip()))
            if code_class:
                evidence.append((code_class, f"code {end_use.code}"))
        if end_use.description:
            evidence.extend(self._from_text_remembered(_fold(end_use.description)))
        if end_user is not None:
            evidence.extend(
                (f"end_user.{c}", f"end user {end_user.name} is {c} (party master)")
                for c in END_USER_CATEGORIES
                if c in end_user.categories
            )
        declared = bool(end_use.code or end_use.description)
        classes = frozenset(name for name, _ in evidence if not name.startswith("end_user."))
        return EndUseFacts(declared=declared, classes=classes, evidence=tuple(evidence))

    def _from_text(self, text: str) -> tuple[tuple[str, str], ...]:
        found: dict[str, str] = {}
        for keyword in self._keywords:
            # The substring test is a cheap pre-filter: the pattern can only match where the word occurs.
            if keyword.end_use_class in found or keyword.word not in text:
                continue
            for hit in keyword.pattern.finditer(text):
                if not self._negated(text, hit.start()):
                    found[keyword.end_use_class] = f"text {keyword.word!r}"
                    break
        for match in self._node_re.finditer(text):
            if float(match.group(1)) <= self._node_max:
                found.setdefault(SEMICONDUCTOR_CLASS, f"process node {match.group(0).strip()}")
        for match in self._layer_re.finditer(text):
            if int(match.group(1)) >= self._layers_min:
                found.setdefault(SEMICONDUCTOR_CLASS, f"memory {match.group(0).strip()}")
        return tuple(found.items())

    def _negated(self, text: str, start: int) -> bool:
        before = text[max(0, start - NEGATION_WINDOW) : start]
        return any(before.endswith(n) for n in self._negations) or bool(
            re.search(r"\b(not|no|non|without)\b[^.;,]{0,12}$", before)
        )


@lru_cache(maxsize=1)
def default_classifier() -> EndUseClassifier:
    return EndUseClassifier.load()


def classify_end_use(end_use: EndUse, end_user: PartyFacts | None) -> EndUseFacts:
    """Classes of the declared end use; declared=False when neither code nor text is given.

    End-user categories from the party master (military, government, defence_industry) are added to
    the evidence as `end_user.<category>`; rules read the categories from PartyFacts themselves.
    """
    return default_classifier().classify(end_use, end_user)
