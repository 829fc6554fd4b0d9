"""Property tests of party-name normalisation and screening on hostile and disguised names."""

from __future__ import annotations

from datetime import date
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.enrichment.enriched import PartyFacts
from pipeline.enrichment.parties.normalise import Normaliser
from pipeline.enrichment.parties.screener import PartyScreener, load_party_screener
from pipeline.enrichment.parties.vocabulary import MatchingVocabulary
from pipeline.settings import Settings

VOCABULARY = MatchingVocabulary.load()
NORMALISER = Normaliser(VOCABULARY)
LEGAL_FORMS = VOCABULARY.legal_forms.latin
IGNORED = set(LEGAL_FORMS) | set(VOCABULARY.stopwords) | set(VOCABULARY.abbreviations)

# Words of four letters or more, none of them a legal form, stopword or abbreviation.
words = st.text("abcdefghijklmnopqrstuvwxyz", min_size=4, max_size=10).filter(lambda w: w not in IGNORED)
separators = st.text(" ,.;-/()\t", min_size=1, max_size=3).filter(lambda s: s.strip(".") != "")
han = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=2, max_size=6)
any_text = st.text(max_size=80)
CONTROL = [chr(c) for c in range(32)] + ["\x7f", "\x85", "\u200b", "\u2028"]


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in text)


@cache
def screener() -> PartyScreener:
    return load_party_screener(Settings())


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_tokens_never_fail_and_folding_is_stable(name: str) -> None:
    tokens = NORMALISER.tokens(name)
    assert all(isinstance(t, str) and t for t in tokens)
    assert NORMALISER.tokens(NORMALISER.fold(name)) == tokens


@settings(max_examples=200, deadline=None)
@given(st.lists(words, min_size=1, max_size=5), st.data())
def test_case_width_and_separators_do_not_change_tokens(parts: list[str], data: st.DataObject) -> None:
    plain = " ".join(parts)
    seps = [data.draw(separators) for _ in parts]
    spaced = "".join(f"{word}{sep}" for word, sep in zip(parts, seps, strict=True))
    assert NORMALISER.tokens(spaced) == NORMALISER.tokens(plain)
    assert NORMALISER.tokens(fullwidth(plain.upper())) == NORMALISER.tokens(plain)
    assert NORMALISER.tokens(" ".join(p.upper() for p in parts)) == NORMALISER.tokens(plain)
    assert NORMALISER.tokens(" ".join(p.title() for p in parts)) == NORMALISER.tokens(plain)


@settings(max_examples=200, deadline=None)
@given(st.lists(words, min_size=1, max_size=4), st.sampled_from(LEGAL_FORMS))
def test_a_legal_form_suffix_is_ignored(parts: list[str], form: str) -> None:
    name = " ".join(parts)
    assert NORMALISER.tokens(f"{name} {form}") == NORMALISER.tokens(name)
    assert NORMALISER.tokens(f"{name}, {form.upper()}.") == NORMALISER.tokens(name)


@settings(max_examples=200, deadline=None)
@given(st.lists(words, min_size=2, max_size=4), st.sampled_from(CONTROL))
def test_control_characters_between_words_act_as_spaces(parts: list[str], control: str) -> None:
    assert NORMALISER.tokens(control.join(parts)) == NORMALISER.tokens(" ".join(parts))


@settings(max_examples=200, deadline=None)
@given(st.lists(words, min_size=1, max_size=3), han)
def test_mixed_scripts_keep_the_tokens_of_each_script(parts: list[str], chinese: str) -> None:
    latin = " ".join(parts)
    mixed = set(NORMALISER.tokens(f"{latin} {chinese}"))
    assert set(NORMALISER.tokens(latin)) <= mixed
    assert set(NORMALISER.tokens(chinese)) <= mixed


@settings(max_examples=150, deadline=None)
@given(any_text, st.sampled_from(["US", "CN", "JP", "DE", ""]))
def test_screening_any_name_returns_hits_without_failing(name: str, country: str) -> None:
    party = PartyFacts(role="consignee", name=name, country=country)
    for hit in screener().screen([party], date(2026, 3, 1)):
        assert 0.0 <= hit.score <= 1.0
        assert hit.strength in ("strong", "potential")


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_a_listed_name_disguised_by_case_width_and_spacing_still_matches(data: st.DataObject) -> None:
    entries = [e for e in screener().party_list.entries if e.name.isascii() and len(e.name) >= 8]
    entry = data.draw(st.sampled_from(entries))
    disguise = data.draw(st.sampled_from([str.upper, str.lower, fullwidth, lambda n: "  ".join(n.split())]))
    party = PartyFacts(role="end_user", name=disguise(entry.name), country="")
    # On its listing date the entry is in force whatever later suspensions say.
    hits = screener().screen([party], entry.listed_from or date(2026, 3, 1))
    assert any(h.entry_id == entry.entry_id and h.strength == "strong" for h in hits), entry.name
