"""The labelled evaluation set of party matching and its per-script precision and recall.

Cases come from two sources: variants generated deterministically from the loaded list (changed legal
forms, case and full width, typos, reordered words, traditional characters, Chinese legal forms) and a
hand-written file of hard cases (Japanese official names, kana, abbreviations, unlisted members of
listed groups, common words). A positive case is right when the best hit is the expected entity.
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import opencc

from pipeline.enrichment.parties.matcher import Matcher
from pipeline.enrichment.parties.model import ListEntry
from pipeline.enrichment.parties.normalise import Normaliser, script_of

SCRIPTS = ("latin", "han", "kana")
_LATIN_FORMS = ("Co., Ltd.", "Corporation", "Inc.", "LLC", "K.K.", "Limited", "Corp.", "GmbH")
_TRAILING_FORM = re.compile(
    r"[\s,]+(co\.?,?\s*ltd\.?|co\.|corp\.?|corporation|inc\.?|llc\.?|ltd\.?|limited|company,?\s*limited)$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class EvalCase:
    query: str
    country: str
    expected: str  # the listed name the query denotes; empty for a negative case
    script: str
    kind: str


@dataclass(frozen=True, slots=True)
class ScriptFigures:
    script: str
    positives: int
    negatives: int
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        called = self.true_positives + self.false_positives
        return self.true_positives / called if called else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.positives if self.positives else 1.0


def _base_name(name: str) -> str:
    return _TRAILING_FORM.sub("", name).strip(" ,")


def _typo(word: str, rng: random.Random) -> str:
    position = rng.randrange(1, len(word) - 2)
    kind = rng.choice(("swap", "drop", "double"))
    if kind == "swap":
        return word[:position] + word[position + 1] + word[position] + word[position + 2 :]
    if kind == "drop":
        return word[:position] + word[position + 1 :]
    return word[:position] + word[position] + word[position:]


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in text)


def _cjk_legal_form_changed(name: str) -> str:
    for old, new in (
        ("股份有限公司", "公司"),
        ("株式会社", "有限公司"),
        ("有限公司", "株式会社"),
        ("公司", "有限公司"),
    ):
        if name.endswith(old):
            return name[: -len(old)] + new
    return name + "公司"


def generate_cases(entries: Iterable[ListEntry], seed: int = 20261122) -> list[EvalCase]:
    """Deterministic true variants of every distinct listed name."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test variants, not secrets
    to_traditional = opencc.OpenCC("s2t")
    cases: list[EvalCase] = []
    seen: set[str] = set()
    for entry in entries:
        if entry.name.casefold() in seen:
            continue
        seen.add(entry.name.casefold())
        country = entry.country or ""
        base = _base_name(entry.name)
        words = base.split()
        if entry.entity_type != "Person":
            form = rng.choice([f for f in _LATIN_FORMS if f.casefold() not in entry.name.casefold()])
            cases.append(EvalCase(f"{base} {form}", country, entry.name, "latin", "legal_form"))
        cases.append(EvalCase(_full_width(entry.name.upper()), country, entry.name, "latin", "case_width"))
        longest = max((w for w in words if w.isalpha()), key=len, default="")
        if len(longest) >= 6:
            typo = base.replace(longest, _typo(longest, rng), 1)
            cases.append(EvalCase(typo, country, entry.name, "latin", "typo"))
        if len(words) >= 2:
            cases.append(EvalCase(" ".join(words[1:] + words[:1]), country, entry.name, "latin", "reordered"))
        chinese = next((a for a in entry.aliases if script_of(a) == "han"), None)
        if chinese:
            cases.append(EvalCase(chinese, country, entry.name, "han", "listed_chinese"))
            traditional = to_traditional.convert(chinese)
            if traditional != chinese:
                cases.append(EvalCase(traditional, country, entry.name, "han", "traditional"))
            cases.append(
                EvalCase(_cjk_legal_form_changed(chinese), country, entry.name, "han", "cjk_legal_form")
            )
    return cases


def load_cases(path: Path) -> list[EvalCase]:
    """Hand-written cases: query,country,expected,kind (script derived from the query)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            EvalCase(row["query"], row["country"], row["expected"], script_of(row["query"]), row["kind"])
            for row in csv.DictReader(handle)
            if row["query"] and not row["query"].startswith("#")
        ]


class EntityGroups:
    """Entries that share a name (any script) denote one entity: MOFCOM lists one company on several
    lists with small spelling differences ("AeroVironment, Inc." and "Aero Vironment", both 宇航环境公司)."""

    def __init__(self, entries: Iterable[ListEntry], normaliser: Normaliser) -> None:
        self._parent: dict[frozenset[str], frozenset[str]] = {}
        self._normaliser = normaliser
        for entry in entries:
            keys = [self._key(n) for n in entry.names]
            for key in keys[1:]:
                self._union(keys[0], key)

    def _key(self, name: str) -> frozenset[str]:
        key = frozenset(self._normaliser.tokens(name))
        self._parent.setdefault(key, key)
        return key

    def _find(self, key: frozenset[str]) -> frozenset[str]:
        while self._parent[key] != key:
            self._parent[key] = self._parent[self._parent[key]]
            key = self._parent[key]
        return key

    def _union(self, a: frozenset[str], b: frozenset[str]) -> None:
        self._parent[self._find(a)] = self._find(b)

    def same(self, entry: ListEntry, expected: str) -> bool:
        return self._find(self._key(entry.name)) == self._find(self._key(expected))


def evaluate(
    matcher: Matcher, normaliser: Normaliser, cases: Sequence[EvalCase], threshold: float
) -> tuple[dict[str, ScriptFigures], list[tuple[EvalCase, str]]]:
    """Per-script figures at `threshold`, and the misses (case, what happened) for inspection."""
    groups = EntityGroups(matcher.index.entries, normaliser)
    counts = {s: [0, 0, 0, 0, 0] for s in SCRIPTS}  # positives, negatives, tp, fp, fn
    misses: list[tuple[EvalCase, str]] = []
    for case in cases:
        row = counts[case.script]
        matches = [m for m in matcher.match(case.query, case.country or None) if m.score >= threshold]
        top = matches[0] if matches else None
        if not case.expected:
            row[1] += 1
            if top is not None:
                row[3] += 1
                misses.append((case, f"false hit {top.entry.name!r} {top.score}"))
            continue
        row[0] += 1
        if top is None:
            row[4] += 1
            misses.append((case, "no hit"))
        elif groups.same(top.entry, case.expected):
            row[2] += 1
        else:
            row[3] += 1
            row[4] += 1
            misses.append((case, f"wrong hit {top.entry.name!r} {top.score}"))
    figures = {s: ScriptFigures(s, *counts[s]) for s in SCRIPTS}
    return figures, misses
