"""`screening parties check | lint` on the bundled lists and on a malformed list file."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.cli.parties import EVAL_FILE
from pipeline.settings import BUNDLED_DATA


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


def test_eval_reads_its_hand_written_cases_from_the_package_data(capsys: pytest.CaptureFixture[str]) -> None:
    assert EVAL_FILE.is_relative_to(BUNDLED_DATA)
    assert main(["parties", "eval"]) == 0
    out = capsys.readouterr().out
    # The kana row exists only thanks to the hand-written cases: the bundled list has no kana names.
    assert all(script in out for script in ("latin", "han", "kana"))
    assert "Precision" in out
