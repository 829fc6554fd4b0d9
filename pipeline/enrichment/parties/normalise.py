"""Name normalisation: width, case, punctuation, legal forms, Chinese/Japanese character forms, kana.

A name becomes a tuple of tokens: Latin words, kana romanised to one word per run, and Han runs cut
into character bigrams (a single character stays a unigram). Simplified, traditional and Japanese
shinjitai forms fold to simplified, so 防衛 and 防卫 give the same bigram.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import opencc

from pipeline.enrichment.parties.vocabulary import MatchingVocabulary

_OPENCC_DICTIONARIES = Path(opencc.__file__).resolve().parent / "dictionary"
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_KANA = r"\u3041-\u3096\u30a1-\u30fa\u30fc"
_SCRIPT_RUNS = re.compile(rf"[{_HAN}]+|[{_KANA}]+|[0-9a-z\u00c0-\u024f]+")
_HAN_RUN = re.compile(rf"^[{_HAN}]+$")
_KANA_RUN = re.compile(rf"^[{_KANA}]+$")
KANA_ROMANISE_MAX = 6
_KANA_GAP = re.compile(rf"(?<=[{_KANA}])[\s・]+(?=[{_KANA}])")


def _read_pairs(name: str) -> list[tuple[str, str]]:
    pairs = []
    for line in (_OPENCC_DICTIONARIES / name).read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and len(parts[0]) == 1:
            pairs.append((parts[0], parts[1].split(" ")[0]))
    return pairs


@lru_cache(maxsize=1)
def han_folding_table() -> dict[int, str]:
    """One-character table: Japanese shinjitai -> traditional -> simplified (OpenCC dictionaries)."""
    to_simplified = dict(_read_pairs("TSCharacters.txt"))
    table: dict[int, str] = {ord(t): s for t, s in to_simplified.items() if len(s) == 1}
    for traditional, shinjitai in _read_pairs("JPVariants.txt"):
        if len(shinjitai) == 1 and ord(shinjitai) not in table:
            table[ord(shinjitai)] = to_simplified.get(traditional, traditional)
    return table


@lru_cache(maxsize=4096)
def _romanise(kana: str) -> str:
    return "".join(str(part["hepburn"]) for part in _kakasi().convert(kana))


@lru_cache(maxsize=1)
def _kakasi() -> Any:
    # pykakasi loads its dictionaries on construction (about a second): only when kana first appear.
    import pykakasi

    return pykakasi.kakasi()  # type: ignore[no-untyped-call]


def script_of(name: str) -> str:
    """Latin, Han or kana: the script that dominates a name (used for per-script evaluation)."""
    if re.search(rf"[{_KANA}]", name):
        return "kana"
    if re.search(rf"[{_HAN}]", name):
        return "han"
    return "latin"


class Normaliser:
    """Turns names into match tokens with the vocabulary's legal forms, stopwords and abbreviations."""

    def __init__(self, vocabulary: MatchingVocabulary) -> None:
        self.vocabulary = vocabulary
        self._fold = han_folding_table()
        self._legal_latin = frozenset(vocabulary.legal_forms.latin)
        cjk_forms = sorted(
            (f.translate(self._fold) for f in vocabulary.legal_forms.cjk), key=len, reverse=True
        )
        self._legal_cjk = re.compile("|".join(re.escape(f) for f in cjk_forms)) if cjk_forms else None
        self._stop = frozenset(vocabulary.stopwords)
        self._abbreviations = {k: tuple(v.split()) for k, v in vocabulary.abbreviations.items()}
        self._han_words = {
            self.fold(k): v.split() for k, v in sorted(vocabulary.han_words.items(), key=lambda i: -len(i[0]))
        }
        self._katakana = {
            self.fold(k): v.split()
            for k, v in sorted(vocabulary.katakana_words.items(), key=lambda i: -len(i[0]))
        }
        self._han_words_re = _alternation(self._han_words)
        self._katakana_re = _alternation(self._katakana)

    def fold(self, name: str) -> str:
        """Width, case and Han character forms folded; punctuation still present."""
        return unicodedata.normalize("NFKC", name).casefold().translate(self._fold)

    def tokens(self, name: str) -> tuple[str, ...]:
        # Kana words split by a middle dot or a space are one word: IHIエアロ・スペース = IHIエアロスペース.
        text = _KANA_GAP.sub("", self.fold(name))
        runs = _SCRIPT_RUNS.findall(text)
        latin = self._latin_tokens([r for r in runs if not _HAN_RUN.match(r) and not _KANA_RUN.match(r)])
        found: list[str] = list(latin)
        for run in runs:
            if _HAN_RUN.match(run):
                found.extend(self._han_tokens(run))
            elif _KANA_RUN.match(run):
                found.extend(self._kana_tokens(run))
        # A name that is only a Chinese or Japanese legal form ("有限公司") has no identity: no tokens.
        return tuple(dict.fromkeys(found))

    def _latin_tokens(self, words: list[str]) -> list[str]:
        joined: list[str] = []
        joining = False
        for word in words:
            # Runs of single letters are dotted abbreviations: "k.k." -> kk, "s.p.a." -> spa.
            single = len(word) == 1 and word.isalpha()
            if single and joining:
                joined[-1] += word
            else:
                joined.append(word)
            joining = single
        expanded: list[str] = []
        for word in joined:
            expanded.extend(self._abbreviations.get(word, (word,)))
        kept = [w for w in expanded if w not in self._legal_latin and w not in self._stop]
        return kept or [w for w in expanded if w not in self._stop] or expanded

    def _kana_tokens(self, run: str) -> list[str]:
        """Known katakana words in English; short leftovers romanised (スバル = subaru), long ones bigrams."""
        return self._segment(run, self._katakana_re, self._katakana, self._kana_rest)

    def _segment(
        self,
        run: str,
        words: re.Pattern[str] | None,
        spelling: dict[str, list[str]],
        rest: Callable[[str], list[str]],
    ) -> list[str]:
        """Cut `run` into known words (as their Latin tokens) and leftover stretches (`rest`)."""
        if words is None:
            return rest(run)
        tokens: list[str] = []
        for number, piece in enumerate(words.split(run)):
            if not piece:
                continue
            # split() with one capturing group alternates leftover, word, leftover, ...
            tokens.extend(self._latin_tokens(spelling[piece]) if number % 2 else rest(piece))
        return tokens

    @staticmethod
    def _kana_rest(rest: str) -> list[str]:
        if not rest or rest == "ー":
            return []
        return [_romanise(rest)] if len(rest) <= KANA_ROMANISE_MAX else _bigrams(rest)

    def _han_tokens(self, run: str) -> list[str]:
        stripped = self._legal_cjk.sub(" ", run).split() if self._legal_cjk else [run]
        parts = [p for p in stripped if p]
        tokens: list[str] = []
        for part in parts:
            tokens.extend(self._segment(part, self._han_words_re, self._han_words, _bigrams))
        return tokens


def _alternation(words: dict[str, list[str]]) -> re.Pattern[str] | None:
    """One capturing group of the words, longest first, so split() keeps them."""
    if not words:
        return None
    return re.compile("(" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + ")")


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]
