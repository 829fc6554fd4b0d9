"""End-use free text -> the lexicon terms it mentions, with negated mentions set aside.

Text and terms are normalised alike (`normalise`): NFKC width, case, traditional Chinese and Japanese
kanji folded to simplified (OpenCC's tables), English words reduced to their Snowball stems
(PyStemmer), punctuation and hyphens read as spaces, clause punctuation as a break `|` (commas
as `,`, which may also list items). One
Aho-Corasick automaton (pyahocorasick) then finds every term, negation cue and clause break in a
single pass, however many terms the lexicon holds. The reasons for these two libraries are in
pipeline/data/end_use/README.md.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

import ahocorasick
import Stemmer

from pipeline.enrichment.parties.normalise import han_folding_table

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u31f0-\u31ff\u3005\u3006"
# Latin words, numbers (a decimal point kept), runs of Chinese or Japanese, clause punctuation.
# NFKC has already turned full-width commas, semicolons, colons and marks into ASCII; 。 stays.
_TOKENS = re.compile(rf"[a-z\u00c0-\u024f]+|[0-9]+(?:\.[0-9]+)?|[{_CJK}]+|[,;:!?\u3002.]")
_BREAK = "|"
# A comma ends a clause too, but may also list items: kept apart from the other punctuation.
_COMMA = ","
_BREAK_AT = re.compile(r"[|,]")
_BREAK_PUNCTUATION = frozenset(";:!?\u3002.")
_EDGE = re.compile(r"[0-9a-z\u00c0-\u024f]")


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def fold(text: str) -> str:
    """Width, case and Chinese/Japanese character forms, as party names are folded."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    # The character table only maps Han characters: ASCII text skips the lookups.
    return folded if folded.isascii() else folded.translate(han_folding_table())


def normalise(text: str) -> str:
    """` token token | token `: stems for English words, CJK runs as they are, `|` for clause punctuation."""
    return normalise_folded(fold(text))


def normalise_folded(folded: str) -> str:
    """`normalise` for text `fold` has already folded."""
    stem = _stemmer().stemWord
    tokens = []
    for token in _TOKENS.findall(folded):
        if token in _BREAK_PUNCTUATION:
            tokens.append(_BREAK)
        elif token == _COMMA:
            tokens.append(_COMMA)
        elif token[0].isascii() and token[0].isalpha():
            tokens.append(stem(token))
        else:
            tokens.append(token)
    return f" {' '.join(tokens)} "


def pattern_of(term: str) -> str:
    """The normalised term as searched for: spaces at Latin edges so a word only matches whole."""
    core = normalise(term).strip()
    if not core:
        return ""
    lead = " " if _EDGE.match(core[0]) else ""
    trail = " " if _EDGE.match(core[-1]) else ""
    return f"{lead}{core}{trail}"


def _alternation(words: Iterable[str], *, whole_words: bool = False) -> str:
    """Normalised words as one regex alternation, longest first; Latin ones bounded by spaces."""
    patterns = {pattern_of(w) if whole_words else normalise(w).strip() for w in words} - {""}
    return "|".join(re.escape(p) for p in sorted(patterns, key=len, reverse=True))


class Kind(Enum):
    TERM = "term"
    # A word the term's group needs beside it (`with_any`): "fermenter" counts only with "pathogen".
    CONTEXT = "context"
    NEGATE_AFTER = "negate_after"
    NEGATE_BEFORE = "negate_before"
    BREAK = "break"


@dataclass(frozen=True, slots=True)
class Entry:
    """What one normalised pattern means: a term of a group, a negation cue or a clause break."""

    kind: Kind
    # The group id for TERM and CONTEXT, the cue's reach in characters for negation cues.
    group: str = ""
    reach: int = 0
    term: str = ""


class _Join(Enum):
    PLAIN = "plain"
    OR = "or"
    COMMA = "comma"


@dataclass(frozen=True, slots=True)
class Mention:
    start: int
    stop: int
    entry: Entry


class TextMatcher:
    """Finds the un-negated mentions of lexicon terms in a text (built once, used per order)."""

    def __init__(
        self,
        entries: Iterable[tuple[str, Entry]],
        coordination: Iterable[str],
        disjunctions: Iterable[str],
        purpose_words: Iterable[str],
    ) -> None:
        by_pattern: dict[str, list[Entry]] = {}
        for pattern, entry in entries:
            if pattern:
                by_pattern.setdefault(pattern, []).append(entry)
        self._automaton = ahocorasick.Automaton()
        for pattern, found in by_pattern.items():
            self._automaton.add_word(pattern, (len(pattern), tuple(found)))
        self._automaton.make_automaton()
        self._filler = re.compile(rf"(?:\s|{_alternation([*coordination, *disjunctions])})*")
        self._disjunction = re.compile(_alternation(disjunctions, whole_words=True))
        self._purpose = re.compile(_alternation(purpose_words, whole_words=True))

    def mentions(self, text: str) -> list[Mention]:
        """TERM and CONTEXT mentions in normalised `text` that no negation cue covers."""
        mentions: list[Mention] = []
        cues: list[Mention] = []
        breaks: list[int] = []
        for end, (length, found) in self._automaton.iter(text):
            start = end + 1 - length
            for entry in found:
                if entry.kind is Kind.BREAK:
                    breaks.append(start)
                elif entry.kind in (Kind.TERM, Kind.CONTEXT):
                    mentions.append(Mention(start, end + 1, entry))
                else:
                    cues.append(Mention(start, end + 1, entry))
        if not cues or not mentions:
            return mentions
        breaks.extend(m.start() for m in _BREAK_AT.finditer(text))
        breaks.sort()
        mentions.sort(key=lambda m: (m.start, m.stop))
        negated: set[int] = set()
        for cue in cues:
            if cue.entry.kind is Kind.NEGATE_BEFORE:
                negated |= self._negated_after_cue(text, cue, mentions, breaks)
            else:
                negated |= self._negated_before_cue(text, cue, mentions, breaks)
        return [m for i, m in enumerate(mentions) if i not in negated]

    def _join(self, text: str, start: int, stop: int, breaks: list[int]) -> _Join | None:
        """How two mentions `start`..`stop` apart are joined; None when they are not one list."""
        gap = text[start:stop] if stop > start else ""
        index = bisect_left(breaks, start)
        parts = gap.split(_COMMA)
        # Clause words ("but", 而是) and punctuation break; a comma may list items ("A, B or C"), but
        # "military use, for uranium enrichment" starts a new purpose after it. Mentions keep their
        # edge spaces, so the gap is padded for whole-word patterns.
        listed = (
            _BREAK not in gap
            and not any(text[b] != _COMMA for b in breaks[index:] if b < stop)
            and len(parts) <= 2
            and all(self._filler.fullmatch(part) for part in parts)
            and not (len(parts) == 2 and self._purpose.search(f" {parts[1]} "))
        )
        if not listed:
            return None
        if self._disjunction.search(f" {gap} "):
            return _Join.OR
        return _Join.COMMA if len(parts) == 2 else _Join.PLAIN

    def _chain(
        self, text: str, order: list[int], mentions: list[Mention], breaks: list[int], *, forward: bool
    ) -> set[int]:
        """The first mention in `order` and those listed with it: overlapping ones (one phrase,
        "nuclear weapon" and "weapon"), ones joined by filler words, and comma-listed ones only when
        the list is closed by a disjunction ("A, B or C"); "not for X, Y" leaves Y standing."""
        negated: set[int] = {order[0]}
        pending: list[int] = []
        low, high = mentions[order[0]].start, mentions[order[0]].stop
        target_is_pending = seen_disjunction = False
        for i in order[1:]:
            mention = mentions[i]
            if not (mention.start < high and mention.stop > low):
                gap = (high, mention.start) if forward else (mention.stop, low)
                join = self._join(text, *gap, breaks)
                if join is None:
                    break
                if join is _Join.OR:
                    seen_disjunction = True
                    negated.update(pending)
                    pending.clear()
                    target_is_pending = False
                elif join is _Join.COMMA:
                    # Forward, the closing "or" is still to come; backward it has been seen already.
                    target_is_pending = forward or not seen_disjunction
            if target_is_pending:
                pending.append(i)
            else:
                negated.add(i)
            low, high = min(low, mention.start), max(high, mention.stop)
        return negated

    def _negated_after_cue(
        self, text: str, cue: Mention, mentions: list[Mention], breaks: list[int]
    ) -> set[int]:
        # A Latin cue and the mention after it share one space; CJK ones share nothing ("非军事").
        shared = 1 if text[cue.stop - 1] == " " else 0
        following = [i for i, m in enumerate(mentions) if m.start >= cue.stop - shared]
        if not following:
            return set()
        first = mentions[following[0]]
        gap = text[cue.stop : first.start].strip() if first.start > cue.stop else ""
        index = bisect_left(breaks, cue.stop)
        if len(gap) > cue.entry.reach or (index < len(breaks) and breaks[index] < first.start):
            return set()
        return self._chain(text, following, mentions, breaks, forward=True)

    def _negated_before_cue(
        self, text: str, cue: Mention, mentions: list[Mention], breaks: list[int]
    ) -> set[int]:
        shared = 1 if text[cue.start] == " " else 0
        preceding = [i for i, m in enumerate(mentions) if m.stop <= cue.start + shared]
        if not preceding:
            return set()
        preceding.sort(key=lambda i: (mentions[i].stop, mentions[i].start), reverse=True)
        last = mentions[preceding[0]]
        gap = text[last.stop : cue.start].strip()
        index = bisect_left(breaks, last.stop)
        if len(gap) > cue.entry.reach or (index < len(breaks) and breaks[index] < cue.start):
            return set()
        return self._chain(text, preceding, mentions, breaks, forward=False)
