"""`screening reference load`: files are checked before anything is published."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli import main


@pytest.mark.parametrize(
    ("name", "text", "extra"),
    [
        ("licences.yaml", "version: x\nlicences: [{number: L}]\n", ([], 1)),
        ("notes.txt", "hello\n", ([], 2)),
        ("a.csv", "list,name\n", (["--kind", "parties"], 1)),
    ],
)
def test_bad_files_are_refused_before_publishing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str, extra: tuple[list[str], int]
) -> None:
    args, code = extra
    monkeypatch.setenv("SCREENING_BOOTSTRAP_SERVERS", "127.0.0.1:9")  # nothing listens: must not be reached
    monkeypatch.setenv("SCREENING_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert main(["reference", "load", str(path), *args]) == code


def test_one_file_per_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCREENING_BOOTSTRAP_SERVERS", "127.0.0.1:9")
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    for path in (first, second):
        path.write_text("list,name\n", encoding="utf-8")
    assert main(["reference", "load", str(first), str(second)]) == 2
