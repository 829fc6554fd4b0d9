"""The generated party list loads through the product's own MOFCOM-format loader."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml

from bench.list_generator import write_list
from pipeline.enrichment.parties.loaders import load_list_file
from pipeline.settings import BUNDLED_DATA


def _programs() -> dict[str, str]:
    data = yaml.safe_load((BUNDLED_DATA / "parties" / "programs.yaml").read_text(encoding="utf-8"))
    return {name: program for program, spec in data["programs"].items() for name in spec["list_names"]}


def test_generated_list_loads_whole_and_spans_every_list(tmp_path: Path) -> None:
    path = write_list(tmp_path / "lists" / "generated.csv", 600, seed=3)
    entries = load_list_file(path, _programs())
    assert len(entries) == 600
    assert len({e.entry_id for e in entries}) == 600
    assert len(Counter(e.list_name for e in entries)) == 4


def test_same_seed_same_file(tmp_path: Path) -> None:
    first = write_list(tmp_path / "a.csv", 50, seed=9).read_bytes()
    assert write_list(tmp_path / "b.csv", 50, seed=9).read_bytes() == first
