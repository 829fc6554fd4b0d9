"""`screening parties check | lint` on the bundled lists and on a malformed list file."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli import main


def test_check_prints_the_hit_with_program_and_status(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parties", "check", "Leidos Inc", "--country", "US", "--as-of", "2026-01-05"]) == 0
    out = capsys.readouterr().out
    assert "CN-ECL" in out
    assert "stopped" in out


def test_check_with_a_malformed_list_file_fails_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "own.csv"
    bad.write_text(
        "id,name,aliases,country,program,listed_from,listed_to,reason\nX,,,,P,,,\n", encoding="utf-8"
    )
    from pipeline.enrichment.parties.errors import ListFileError

    with pytest.raises(ListFileError, match=r"own\.csv:2"):
        main(["parties", "check", "Acme", "--list", str(bad)])


def test_lint_reports_the_bundled_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parties", "lint"]) == 0
    assert "273 entries" in capsys.readouterr().out
