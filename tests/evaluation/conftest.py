"""Evaluation cases written as JSON lines, built from the shared valid order."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

CaseLine = Callable[..., str]


@pytest.fixture
def case_line(make_order: Callable[..., dict[str, Any]]) -> CaseLine:
    """One JSONL case: a valid order plus `id`, `class`, `accept`, `why`; keywords replace fields."""

    def build(case_id: str = "c-1", **fields: Any) -> str:
        record: dict[str, Any] = {
            "id": case_id,
            "class": "sample",
            "accept": ["LICENSE"],
            "why": "Germanium ingot under No. 23/2023 (§2.1).",
            **make_order(order_id=f"EVAL-{case_id}"),
        }
        record.update(fields)
        return json.dumps(record, ensure_ascii=False)

    return build
