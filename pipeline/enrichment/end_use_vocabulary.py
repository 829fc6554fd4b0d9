"""The end-use vocabulary and its lexicon files, validated at load; a bad file is refused with its line.

`vocabulary.yaml` holds the declared codes per class, the negation cues, the number rules and the list
of lexicon files; each lexicon file holds groups of terms (English, Chinese, Japanese) for one class
with the source they come from. See pipeline/data/end_use/README.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.enrichment.end_use_text import Entry, Kind, pattern_of
from pipeline.settings import BUNDLED_DATA
from pipeline.yaml_lines import yaml_line

DEFAULT_VOCABULARY = BUNDLED_DATA / "end_use" / "vocabulary.yaml"
LANGUAGES = ("en", "zh", "ja")
_Model_T = TypeVar("_Model_T", bound=BaseModel)


class EndUseDataError(ValueError):
    """A vocabulary or lexicon file that cannot be used: names the file, the line and the reason."""

    def __init__(self, path: Path, line: int | None, reason: str) -> None:
        self.path, self.line, self.reason = path, line, reason
        super().__init__(f"{path}:{line if line is not None else '?'}: {reason}")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Cue(_Model):
    cue: str = Field(min_length=1)
    reach: int = Field(ge=0, le=64)


class Negation(_Model):
    before: tuple[Cue, ...] = ()
    after: tuple[Cue, ...] = ()
    coordination: tuple[str, ...] = ()
    disjunctions: tuple[str, ...] = ()
    purpose_words: tuple[str, ...] = ()


class SemiconductorSpec(_Model):
    node_max_nm: float
    memory_min_layers: int
    node_units: tuple[str, ...]
    layer_units: tuple[str, ...]


class RangeSpec(_Model):
    end_use_class: str
    min_km: float = Field(gt=0)
    subjects: tuple[str, ...] = Field(min_length=1)
    km_units: tuple[str, ...] = Field(min_length=1)


class EndUseVocabulary(_Model):
    version: str
    lexicon: tuple[str, ...] = Field(min_length=1)
    codes: dict[str, tuple[str, ...]]
    negation: Negation
    clause_breaks: tuple[str, ...] = ()
    semiconductor: SemiconductorSpec
    delivery_range: RangeSpec


class TermGroup(_Model):
    id: str = Field(min_length=1)
    end_use_class: str
    source: str = Field(min_length=10)
    terms: dict[str, tuple[str, ...]]
    with_any: tuple[str, ...] = ()
    # Product and style phrases ("army-style jackets", 军绿色): other terms inside them do not count.
    masks: bool = False


class LexiconFile(_Model):
    groups: tuple[TermGroup, ...] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class LoadedVocabulary:
    vocabulary: EndUseVocabulary
    groups: dict[str, TermGroup]
    # Every normalised pattern with what it means, ready for the matcher.
    entries: tuple[tuple[str, Entry], ...]


# libyaml's C loader where PyYAML was built with it: the lexicon is some thousand lines.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read(path: Path) -> tuple[Any, str]:
    try:
        text = path.read_text(encoding="utf-8")
        return yaml.load(text, Loader=_LOADER), text  # noqa: S506 - a safe loader, C or Python
    except OSError as exc:
        raise EndUseDataError(path, None, f"cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise EndUseDataError(path, mark.line + 1 if mark else None, f"not valid YAML: {exc}") from exc


class _Lines:
    """The YAML node tree of a file, composed only when a line number is needed for an error."""

    def __init__(self, text: str) -> None:
        self._text = text

    def __call__(self, *loc: int | str) -> int | None:
        return yaml_line(yaml.compose(self._text, Loader=_LOADER), loc)


def _validated(model: type[_Model_T], path: Path) -> tuple[_Model_T, _Lines]:
    data, text = _read(path)
    lines = _Lines(text)
    try:
        return model.model_validate(data), lines
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(error["loc"])
        where = ".".join(str(part) for part in loc) or "file"
        raise EndUseDataError(path, lines(*loc), f"{where}: {error['msg']}") from exc


def _term_entries(group: TermGroup, index: int, path: Path, lines: _Lines) -> list[tuple[str, Entry]]:
    entries = []
    for language, terms in group.terms.items():
        if language not in LANGUAGES:
            line = lines("groups", index, "terms", language)
            raise EndUseDataError(
                path, line, f"group {group.id}: language {language!r} is not one of {LANGUAGES}"
            )
        for position, term in enumerate(terms):
            pattern = pattern_of(term)
            if not pattern.strip() or "|" in pattern:
                line = lines("groups", index, "terms", language, position)
                reason = "is empty after normalisation" if not pattern.strip() else "holds clause punctuation"
                raise EndUseDataError(
                    path, line, f"group {group.id}: term {term!r} {reason} and can never match"
                )
            entries.append((pattern, Entry(Kind.TERM, group=group.id, term=term)))
    entries.extend(
        (pattern_of(word), Entry(Kind.CONTEXT, group=group.id, term=word)) for word in group.with_any
    )
    return entries


def load_vocabulary(path: Path = DEFAULT_VOCABULARY) -> LoadedVocabulary:
    """Read and check the vocabulary and every lexicon file it names, or raise `EndUseDataError`."""
    vocabulary, lines = _validated(EndUseVocabulary, path)
    classes = set(vocabulary.codes)
    if vocabulary.delivery_range.end_use_class not in classes:
        line = lines("delivery_range", "end_use_class")
        raise EndUseDataError(
            path, line, f"class {vocabulary.delivery_range.end_use_class!r} has no codes entry"
        )
    groups: dict[str, TermGroup] = {}
    entries: list[tuple[str, Entry]] = []
    for position, name in enumerate(vocabulary.lexicon):
        lexicon_path = path.parent / name
        if not lexicon_path.is_file():
            raise EndUseDataError(path, lines("lexicon", position), f"lexicon file {name} not found")
        lexicon, lexicon_lines = _validated(LexiconFile, lexicon_path)
        for index, group in enumerate(lexicon.groups):
            if group.id in groups:
                line = lexicon_lines("groups", index, "id")
                raise EndUseDataError(lexicon_path, line, f"group id {group.id!r} is used twice")
            if group.end_use_class not in classes:
                line = lexicon_lines("groups", index, "end_use_class")
                reason = (
                    f"group {group.id}: class {group.end_use_class!r} is not a class of vocabulary.yaml codes"
                )
                raise EndUseDataError(lexicon_path, line, reason)
            groups[group.id] = group
            entries.extend(_term_entries(group, index, lexicon_path, lexicon_lines))
    entries.extend(_cue_entries(vocabulary))
    return LoadedVocabulary(vocabulary, groups, tuple(entries))


def _cue_entries(vocabulary: EndUseVocabulary) -> list[tuple[str, Entry]]:
    negation = vocabulary.negation
    entries = [(pattern_of(c.cue), Entry(Kind.NEGATE_BEFORE, reach=c.reach)) for c in negation.before]
    entries += [(pattern_of(c.cue), Entry(Kind.NEGATE_AFTER, reach=c.reach)) for c in negation.after]
    entries += [(pattern_of(word), Entry(Kind.BREAK)) for word in vocabulary.clause_breaks]
    range_spec = vocabulary.delivery_range
    entries += [
        (pattern_of(word), Entry(Kind.CONTEXT, group="delivery_range")) for word in range_spec.subjects
    ]
    return entries
