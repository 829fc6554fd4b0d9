"""The end-use vocabulary and lexicon files: a bad file is refused with the file, the line and the reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.enrichment.end_use import EndUseClassifier
from pipeline.enrichment.end_use_vocabulary import DEFAULT_VOCABULARY, EndUseDataError, load_vocabulary
from schemas.order import EndUse


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    shutil.copytree(DEFAULT_VOCABULARY.parent, tmp_path / "end_use")
    return tmp_path / "end_use" / "vocabulary.yaml"


def _edit(path: Path, old: str, new: str) -> int:
    """Replace `old` once and return the 1-based line where it stood."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def test_the_bundled_vocabulary_loads_with_sources_for_every_group() -> None:
    loaded = load_vocabulary()
    assert len(loaded.groups) >= 30
    assert all(len(group.source) >= 10 for group in loaded.groups.values())
    sensitive = [
        g for g in loaded.groups.values() if g.end_use_class.startswith(("wmd", "military", "terror"))
    ]
    terms = sum(len(t) for g in sensitive for t in g.terms.values())
    assert terms >= 500
    assert {lang for g in sensitive for lang in g.terms} == {"en", "zh", "ja"}


def test_a_group_with_an_unknown_class_is_refused_at_its_line(data_copy: Path) -> None:
    lexicon = data_copy.parent / "lexicon" / "cwc.yaml"
    line = _edit(
        lexicon,
        "  - id: cwc-schedule-1\n    end_use_class: wmd.chemical",
        "  - id: cwc-schedule-1\n    end_use_class: wmd.chemicals",
    )

    with pytest.raises(EndUseDataError) as refused:
        load_vocabulary(data_copy)

    assert refused.value.path == lexicon
    assert refused.value.line == line + 1
    assert "'wmd.chemicals'" in refused.value.reason


def test_a_duplicate_group_id_is_refused(data_copy: Path) -> None:
    lexicon = data_copy.parent / "lexicon" / "mtcr.yaml"
    line = _edit(lexicon, "  - id: mtcr-propulsion", "  - id: mtcr-systems")

    with pytest.raises(EndUseDataError) as refused:
        load_vocabulary(data_copy)

    assert (refused.value.path, refused.value.line) == (lexicon, line)
    assert "used twice" in refused.value.reason


def test_a_term_that_can_never_match_is_refused(data_copy: Path) -> None:
    lexicon = data_copy.parent / "lexicon" / "nsg.yaml"
    line = _edit(lexicon, "      en: [uranium, plutonium, ", '      en: ["plutonium; enriched", ')

    with pytest.raises(EndUseDataError) as refused:
        load_vocabulary(data_copy)

    assert (refused.value.path, refused.value.line) == (lexicon, line)
    assert "can never match" in refused.value.reason


def test_a_schema_error_names_the_field_and_line(data_copy: Path) -> None:
    line = _edit(data_copy, "  min_km: 300", "  min_km: -300")

    with pytest.raises(EndUseDataError) as refused:
        load_vocabulary(data_copy)

    assert (refused.value.path, refused.value.line) == (data_copy, line)
    assert "delivery_range.min_km" in refused.value.reason
    assert str(data_copy) in str(refused.value)


def test_broken_yaml_and_a_missing_lexicon_file_are_refused(data_copy: Path) -> None:
    (data_copy.parent / "lexicon" / "cwc.yaml").unlink()
    with pytest.raises(EndUseDataError, match=r"lexicon file lexicon/cwc\.yaml not found"):
        load_vocabulary(data_copy)

    data_copy.write_text("version: [unclosed\n", encoding="utf-8")
    with pytest.raises(EndUseDataError, match="not valid YAML") as refused:
        load_vocabulary(data_copy)
    assert refused.value.line is not None


def test_a_new_term_in_the_data_is_matched_without_code_changes(data_copy: Path) -> None:
    _edit(
        data_copy.parent / "lexicon" / "nsg.yaml",
        "      en: [uranium, plutonium, ",
        "      en: [uranium, plutonium, zebra cascade, ",
    )
    classifier = EndUseClassifier.load(data_copy)

    assert classifier.classify(EndUse(description="Zebra cascades")).classes == {"wmd.nuclear"}
