"""Classifies a declared end use (code and free text in English, Chinese, Japanese) into classes.

The vocabulary and lexicon are data (pipeline/data/end_use/). What the classifier cannot place fails
closed: a declared end use recognised as nothing gets `end_use.unrecognised`, and a code the
vocabulary does not know gets `end_use.unknown_code` (and is read as text as well), for the rule
pack to send to review.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from pipeline.enrichment.end_use_text import Kind, Mention, TextMatcher, fold, normalise_folded
from pipeline.enrichment.end_use_vocabulary import DEFAULT_VOCABULARY, LoadedVocabulary, load_vocabulary
from pipeline.enrichment.enriched import EndUseFacts, PartyFacts
from schemas.order import EndUse

SEMICONDUCTOR_CLASS = "advanced_semiconductor"
END_USER_CATEGORIES = ("military", "government", "defence_industry")
# The contract with the rule pack (pipeline/enrichment/enriched.py, EndUseFacts).
UNRECOGNISED = "end_use.unrecognised"
UNKNOWN_CODE = "end_use.unknown_code"
MILITARY = "military"
# Parties whose names are read for a military user: those the goods go to.
RECIPIENT_ROLES = frozenset({"consignee", "end_user"})
_CODE_SEPARATORS = re.compile(r"[\s_./]+")
# "1,200 km" is 1200: a comma before exactly three digits is a thousands separator.
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_REMEMBERED_TEXTS = 8192


def _code_key(code: str) -> str:
    return _CODE_SEPARATORS.sub("-", fold(code).strip()).upper()


def _unit_alternation(units: tuple[str, ...]) -> str:
    return "|".join(re.escape(u) for u in sorted({fold(u) for u in units}, key=len, reverse=True))


def _number_with(units: str) -> re.Pattern[str]:
    return re.compile(rf"(\d+(?:\.\d+)?)\s*-?\s*(?:{units})(?![a-z])")


class EndUseClassifier:
    def __init__(self, loaded: LoadedVocabulary) -> None:
        vocabulary = loaded.vocabulary
        self.version = vocabulary.version
        self._codes = {_code_key(code): name for name, codes in vocabulary.codes.items() for code in codes}
        self._groups = loaded.groups
        negation = vocabulary.negation
        self._matcher = TextMatcher(
            loaded.entries, negation.coordination, negation.disjunctions, negation.purpose_words
        )
        semi = vocabulary.semiconductor
        self._node_max = semi.node_max_nm
        self._layers_min = semi.memory_min_layers
        self._node_re = re.compile(
            rf"(\d+(?:\.\d+)?)\s*-?\s*(?:{_unit_alternation(semi.node_units)})(?![a-z])"
        )
        self._layer_re = re.compile(rf"(\d+)\s*-?\s*(?:{_unit_alternation(semi.layer_units)})(?![a-z])")
        reach = vocabulary.delivery_range
        self._range_class = reach.end_use_class
        self._range_min = reach.min_km
        self._range_re = re.compile(
            rf"(\d+(?:\.\d+)?)\s*-?\s*(?:{_unit_alternation(reach.km_units)})(?![a-z])"
        )
        # ERP order streams repeat a small set of end-use texts; each is classified once.
        self._from_text_remembered = lru_cache(maxsize=_REMEMBERED_TEXTS)(self._from_text)

    @classmethod
    def load(cls, path: Path = DEFAULT_VOCABULARY) -> EndUseClassifier:
        return cls(load_vocabulary(path))

    def classify(
        self,
        end_use: EndUse,
        end_user: PartyFacts | None = None,
        recipients: tuple[PartyFacts, ...] = (),
    ) -> EndUseFacts:
        evidence: list[tuple[str, str]] = []
        if end_use.code:
            code_class = self._codes.get(_code_key(end_use.code))
            if code_class:
                evidence.append((code_class, f"code {end_use.code}"))
            else:
                evidence.append((UNKNOWN_CODE, f"code {end_use.code!r} is not in the end-use vocabulary"))
                # An unknown code may still say what it is ("nuclear-weapons"): read it as text too.
                evidence.extend(
                    (name, f"code read as text: {why}")
                    for name, why in self._from_text_remembered(_CODE_SEPARATORS.sub(" ", end_use.code))
                )
        if end_use.description:
            evidence.extend(self._from_text_remembered(end_use.description))
        declared = bool(end_use.code or end_use.description)
        classes = {name for name, _ in evidence}
        if declared and not classes - {UNKNOWN_CODE}:
            evidence.append((UNRECOGNISED, "declared end use recognised as neither civil nor sensitive"))
        # A military organisation named as consignee or end user is a military user (2024 No. 46
        # clause 1, 2026 No. 1) whatever the declared end use says; only the military class is read
        # from names, so a company name never makes an end use civil or WMD.
        evidence.extend(
            (MILITARY, f"{party.role} {party.name!r} names a military organisation ({why})")
            for party in recipients
            if party.role in RECIPIENT_ROLES
            for name, why in self._from_text_remembered(party.name)
            if name == MILITARY
        )
        if end_user is not None:
            evidence.extend(
                (f"end_user.{c}", f"end user {end_user.name} is {c} (party master)")
                for c in END_USER_CATEGORIES
                if c in end_user.categories
            )
        found = frozenset(name for name, _ in evidence if not name.startswith("end_user."))
        return EndUseFacts(declared=declared, classes=found, evidence=tuple(evidence))

    def _from_text(self, description: str) -> tuple[tuple[str, str], ...]:
        found: dict[str, str] = {}
        folded = fold(description)
        mentions = self._matcher.mentions(normalise_folded(folded))
        context = {m.entry.group for m in mentions if m.entry.kind is Kind.CONTEXT}
        masks = [
            (m.start, m.stop)
            for m in mentions
            if m.entry.kind is Kind.TERM and self._groups[m.entry.group].masks
        ]
        for mention in mentions:
            entry = mention.entry
            if entry.kind is not Kind.TERM:
                continue
            group = self._groups[entry.group]
            if group.with_any and group.id not in context:
                continue
            if masks and not group.masks and _inside(mention, masks):
                continue
            found.setdefault(group.end_use_class, f"text {entry.term!r} ({group.id})")
        folded = _THOUSANDS.sub("", folded)
        for match in self._node_re.finditer(folded):
            if float(match.group(1)) <= self._node_max:
                found.setdefault(SEMICONDUCTOR_CLASS, f"process node {match.group(0).strip()}")
        for match in self._layer_re.finditer(folded):
            if float(match.group(1)) >= self._layers_min:
                found.setdefault(SEMICONDUCTOR_CLASS, f"memory {match.group(0).strip()}")
        if "delivery_range" in context:
            for match in self._range_re.finditer(folded):
                if float(match.group(1)) >= self._range_min:
                    found.setdefault(
                        self._range_class, f"delivery vehicle with range {match.group(0).strip()}"
                    )
        return tuple(found.items())


def _inside(mention: Mention, masks: list[tuple[int, int]]) -> bool:
    """Whether a term lies within a product or style phrase ("army-style", 军绿色)."""
    return any(start <= mention.start and mention.stop <= stop for start, stop in masks)


@lru_cache(maxsize=1)
def default_classifier() -> EndUseClassifier:
    return EndUseClassifier.load()


def classify_end_use(
    end_use: EndUse, end_user: PartyFacts | None, recipients: tuple[PartyFacts, ...] = ()
) -> EndUseFacts:
    """Classes of the declared end use; declared=False when neither code nor text is given.

    End-user categories from the party master (military, government, defence_industry) are added to
    the evidence as `end_user.<category>`; rules read the categories from PartyFacts themselves. A
    consignee or end user whose name names a military organisation adds the `military` class.
    """
    return default_classifier().classify(end_use, end_user, recipients)
