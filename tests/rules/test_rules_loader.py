"""A refused rule pack names file, rule id, line and reason, and never replaces the pack in force."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.rules.compiled import CompiledPack
from pipeline.rules.errors import RulePackError
from pipeline.rules.examples import run_examples
from pipeline.rules.loader import load_pack
from pipeline.settings import BUNDLED_DATA

POLICY_README = "pipeline/data/rules/README.md"

RULE = """\
  - id: {id}
    title: Test rule
    summary: A test rule for the loader
    citation: {{authority: MOFCOM, instrument: Test 2025 No. 1, date: 2025-01-01, url: "https://example.org/1"}}
    confidence: high
    effective_from: {start}
    effective_to: {end}
    scope:
      {scope}
    outcome: licence_required
"""

HEADER = """\
version: "t1"
name: test-pack
published: 2026-01-01
rules:
"""


def pack_text(*rules: str) -> str:
    return HEADER + "".join(rules)


def rule(
    rule_id: str = "t-rule",
    start: str = "2025-01-01",
    end: str = "null",
    scope: str = 'control_codes: ["1C902"]',
) -> str:
    return RULE.format(id=rule_id, start=start, end=end, scope=scope)


GOOD = pack_text(rule("t-one"), rule("t-two", scope='hs_codes: ["28053019"]'))

# (case, pack text, rule id named, line named, reason fragment)
REFUSALS = [
    (
        "unknown field",
        pack_text(rule("t-one", scope='control_codes: ["1C902"]\n      colour: red')),
        "t-one",
        14,
        "Extra inputs are not permitted",
    ),
    (
        "malformed control code",
        pack_text(rule("t-one", scope='control_codes: ["1X902"]')),
        "t-one",
        13,
        "malformed control code '1X902'",
    ),
    (
        "malformed customs code",
        pack_text(rule("t-one", scope='hs_codes: ["28.05"]')),
        "t-one",
        13,
        "malformed customs code",
    ),
    (
        "malformed technology entry",
        pack_text(rule("t-one", scope='tech_entries: ["12345J"]')),
        "t-one",
        13,
        "malformed technology catalogue entry",
    ),
    (
        "end before start",
        pack_text(rule("t-one", start="2025-05-01", end="2025-04-30")),
        "t-one",
        5,
        "effective_to (2025-04-30) is before effective_from (2025-05-01)",
    ),
    (
        "duplicate rule id",
        pack_text(rule("t-one"), rule("t-one")),
        "t-one",
        15,
        "duplicate rule id (first at line 5)",
    ),
    (
        "items_of unknown rule",
        pack_text(rule("t-one", scope="items_of: [t-none]")),
        "t-one",
        13,
        "items_of names unknown rule 't-none'",
    ),
    (
        "items_of inherits reference-only codes silently",
        pack_text(
            rule("t-one", scope='hs_codes: ["7105"]\n      hs_codes_reference_only: true'),
            rule("t-two", scope="items_of: [t-one]"),
        ),
        "t-two",
        24,
        "customs codes are reference only",
    ),
    (
        "scope selects nothing",
        pack_text(rule("t-one", scope="destination_countries: [US]")),
        "t-one",
        13,
        "scope selects no items",
    ),
    (
        "unknown country",
        pack_text(rule("t-one", scope='any_item: true\n      destination_countries: ["XX"]')),
        "t-one",
        14,
        "unknown country code 'XX'",
    ),
    ("not YAML", HEADER + "  - id: [unclosed\n", None, 6, "not valid YAML"),
]


@pytest.mark.parametrize(
    ("text", "rule_id", "line", "reason"), [pytest.param(*case[1:], id=case[0]) for case in REFUSALS]
)
def test_refused_pack_names_file_rule_line_and_reason(
    pack_path: Callable[[str], Path], text: str, rule_id: str | None, line: int, reason: str
) -> None:
    path = pack_path(text)
    with pytest.raises(RulePackError) as refused:
        load_pack(path)
    error = refused.value
    assert error.file == str(path)
    assert error.rule_id == rule_id
    assert error.line == line
    assert reason in error.reason
    assert str(path) in str(error)


def test_refused_pack_leaves_the_pack_in_force_untouched(pack_path: Callable[[str], Path]) -> None:
    in_force = load_pack(pack_path(GOOD))
    label, rule_ids = in_force.version_label, [r.id for r in in_force.rules]
    with pytest.raises(RulePackError):
        load_pack(pack_path(pack_text(rule("t-one", scope='control_codes: ["bad"]'))))
    assert in_force.version_label == label
    assert [r.id for r in in_force.rules] == rule_ids
    assert dict(in_force.by_control_code).keys() == {"1C902"}


def test_loading_returns_a_new_pack_each_time(pack_path: Callable[[str], Path]) -> None:
    first = load_pack(pack_path(GOOD))
    second = load_pack(pack_path(GOOD.replace('"t1"', '"t2"')))
    assert (first.version, second.version) == ("t1", "t2")
    assert first.digest != second.digest


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RulePackError, match="cannot read"):
        load_pack(tmp_path / "absent.yaml")


def test_every_example_of_the_china_pack_passes(china_pack: CompiledPack) -> None:
    results = run_examples(china_pack)
    assert [r for r in results if not r.passed] == []
    assert all(rule.examples for rule in china_pack.model.rules)
    assert len(results) >= 2 * len(china_pack.rules) - 20


def test_every_china_rule_carries_a_citation_url_and_confidence(china_pack: CompiledPack) -> None:
    for rule in china_pack.rules:
        # Project-policy rules cite the pack's README, which states each policy and its source.
        assert rule.citation.url.startswith(("http://", "https://")) or (
            rule.citation.url == POLICY_README and (BUNDLED_DATA.parent.parent / POLICY_README).is_file()
        ), rule.id
        assert rule.confidence in {"high", "medium", "low"}, rule.id


def test_disputes_stay_visible_in_the_data(china_pack: CompiledPack) -> None:
    gallium = {
        p
        for p, rules in china_pack.by_hs_prefix.items()
        if any(r.id.startswith("cn-2023-23-gallium") for r in rules)
    }
    assert {"8112929010", "8110929010"} <= gallium
    exemption = china_pack.rule("cn-2025-61-foreign-made-rare-earth").exemptions[0]
    assert exemption.confidence == "medium"
    assert exemption.note is not None
    assert "disagree" in exemption.note
    no70 = china_pack.rule("cn-2025-57-rare-earths").suspensions[0]
    assert (no70.start.isoformat(), no70.end.isoformat(), no70.confidence) == (
        "2025-11-07",
        "2026-11-10",
        "high",
    )
