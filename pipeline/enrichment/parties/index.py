"""Inverted token index over every name of every list entry, with IDF weights and a typo neighbourhood.

Each query touches only the postings of its own tokens; very common tokens are skipped when the query
has rarer ones, so a query costs the same against 300 entries or 50,000.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.enrichment.parties.model import ListEntry
from pipeline.enrichment.parties.normalise import Normaliser

TYPO_MIN_LENGTH = 5
# Overlapping bigrams count every character twice: a shared bigram is worth half, so a Han name does not
# outweigh Latin words; a missing bigram still costs its full weight (洛克希德马丁 is not ...马丁航空).
CJK_BIGRAM_FACTOR = 0.5


def _bigram_factor(token: str) -> float:
    return CJK_BIGRAM_FACTOR if len(token) <= 2 and not token.isascii() else 1.0


@dataclass(frozen=True, slots=True)
class IndexedName:
    """One name of one entry (primary, alias, other script or known variant) as weighted tokens."""

    entry_index: int
    text: str
    tokens: tuple[str, ...]
    # Weights with common tokens discounted: what a shared token is worth.
    weights: dict[str, float]
    # Undiscounted weights: what a missing token costs ("Komatsu" is not "Komatsu Industries").
    full_weights: dict[str, float]
    total_full_weight: float


def deletion_keys(token: str) -> set[str]:
    """The token and every form with one character deleted: shared keys mean edit distance <= 2."""
    return {token} | {token[:i] + token[i + 1 :] for i in range(len(token))}


class NameIndex:
    def __init__(
        self, entries: Sequence[ListEntry], normaliser: Normaliser, variants: dict[str, tuple[str, ...]]
    ) -> None:
        self.entries = tuple(entries)
        self.normaliser = normaliser
        raw: list[tuple[int, str, tuple[str, ...]]] = []
        document_frequency: dict[str, int] = defaultdict(int)
        for position, entry in enumerate(self.entries):
            seen: set[str] = set()
            for text in dict.fromkeys((*entry.names, *variants.get(entry.name, ()))):
                tokens = normaliser.tokens(text)
                if tokens:
                    raw.append((position, text, tokens))
                    seen.update(tokens)
            for token in seen:
                document_frequency[token] += 1
        self.document_frequency = dict(document_frequency)
        total = max(len(self.entries), 1)
        generic = frozenset(normaliser.fold(t) for t in normaliser.vocabulary.generic_tokens)
        factor = normaliser.vocabulary.generic_factor
        self.max_weight = math.log(1 + total)
        self.full_weight = {token: math.log(1 + total / df) for token, df in self.document_frequency.items()}
        self.weight = {
            token: weight * (factor if token in generic else 1.0) * _bigram_factor(token)
            for token, weight in self.full_weight.items()
        }
        self.query_weights = {
            token: weight * (factor if token in generic else 1.0)
            for token, weight in self.full_weight.items()
        }
        self.names: list[IndexedName] = []
        self.postings: dict[str, list[int]] = defaultdict(list)
        for position, text, tokens in raw:
            weights = {t: self.weight[t] for t in tokens}
            full = {t: self.full_weight[t] for t in tokens}
            name_id = len(self.names)
            self.names.append(IndexedName(position, text, tokens, weights, full, sum(full.values())))
            for token in tokens:
                self.postings[token].append(name_id)
        self.typo_keys: dict[str, list[str]] = defaultdict(list)
        for token in self.document_frequency:
            if len(token) >= TYPO_MIN_LENGTH and token.isascii():
                for key in deletion_keys(token):
                    self.typo_keys[key].append(token)
        # Postings longer than this are used only when the query has no rarer token.
        self.common_cutoff = max(200, total // 100)

    def query_weight(self, token: str) -> float:
        # Unmatched query bigrams cost their full weight: スバル興産 is not スバル.
        return self.query_weights.get(token, self.max_weight)

    def typo_neighbours(self, token: str) -> set[str]:
        if len(token) < TYPO_MIN_LENGTH or not token.isascii():
            return set()
        found: set[str] = set()
        for key in deletion_keys(token):
            found.update(self.typo_keys.get(key, ()))
        found.discard(token)
        return found
