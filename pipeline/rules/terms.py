"""Word lists of a rule pack found in line descriptions and end-use texts (English, Chinese, Japanese).

Text and words are folded alike (width, case, traditional and Japanese kanji to simplified) and
matched as substrings, so "trimethylindium" names indium and 稀土 matches 稀土. Results are
remembered per text: order streams repeat a finite catalogue of descriptions.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import ahocorasick

from pipeline.enrichment.parties.normalise import han_folding_table

_REMEMBERED_TEXTS = 16384


@lru_cache(maxsize=1)
def _han_table() -> dict[int, str]:
    return han_folding_table()


def fold(text: str) -> str:
    """NFKC, case-folded, Han characters in simplified form, runs of spaces and hyphens as one space."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_han_table())
    return " ".join(folded.replace("-", " ").replace("_", " ").split())


class TermIndex:
    """Which of a fixed set of words occur in a text.

    `distinct` words contain a term but name something else (ytterbium holds terbium): a term found
    only inside them does not count, unless the term itself holds the distinct word.
    """

    __slots__ = ("_automaton", "_distinct", "_found", "_terms")

    def __init__(self, terms: Iterable[str], distinct: Iterable[str] = ()) -> None:
        self._terms = tuple(sorted({fold(t) for t in terms if fold(t)}))
        # One Aho-Corasick pass finds every term, however many the pack holds (substring semantics).
        self._automaton = ahocorasick.Automaton()
        for term in self._terms:
            self._automaton.add_word(term, term)
        if self._terms:
            self._automaton.make_automaton()
        self._distinct = tuple(sorted({fold(d) for d in distinct if fold(d)}, key=len, reverse=True))
        self._found: dict[str, frozenset[str]] = {}

    def __bool__(self) -> bool:
        return bool(self._terms)

    def found(self, text: str) -> frozenset[str]:
        """The folded words of the index that occur in `text`."""
        hit = self._found.get(text)
        if hit is None:
            folded = fold(text)
            hit = frozenset(t for _, t in self._automaton.iter(folded)) if self._terms else frozenset()
            if hit and self._distinct:
                hit = self._outside_distinct(folded, hit)
            if len(self._found) >= _REMEMBERED_TEXTS:
                self._found.clear()
            self._found[text] = hit
        return hit

    def _outside_distinct(self, folded: str, hit: frozenset[str]) -> frozenset[str]:
        present = [d for d in self._distinct if d in folded]
        if not present:
            return hit
        masked = folded
        standing = []
        for word in present:
            # Longest first: "terbium" inside "ytterbium" is not a word of its own.
            if word in masked:
                standing.append(word)
                masked = masked.replace(word, "\x00" * len(word))
        return frozenset(t for t in hit if t in masked or any(d in t for d in standing))


def folded_set(terms: Iterable[str]) -> frozenset[str]:
    return frozenset(f for f in (fold(t) for t in terms) if f)
