"""Helpers for the stateful tests: worker processes on the real broker, orders in, decisions out."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from pipeline.decisions.revisions import Current, accept_decision
from pipeline.harness.worker_process import WorkerProcess
from pipeline.kafka.orders import produce_keyed
from pipeline.kafka.readback import Received, read_from_start
from pipeline.settings import Settings
from schemas.decision import DecisionRecord

PARTITIONS = 6


class Worker(WorkerProcess):
    def wait_reference(self, kind: str, version: str, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.get("/reference")[1].get("versions", {}).get(kind) == version:
                return
            time.sleep(0.2)
        pytest.fail(f"worker never loaded {kind} {version}:\n{self.log_tail()}")


def produce(settings: Settings, orders: Iterable[dict[str, Any]], topic: str | None = None) -> None:
    produce_keyed(settings, ((body["order_id"], json.dumps(body).encode()) for body in orders), topic=topic)


def read_decisions(
    settings: Settings, until: Callable[[list[DecisionRecord]], bool], timeout_s: float = 90
) -> list[DecisionRecord]:
    """Every record on `screening.decisions`, read from the start until `until` holds."""
    found: list[DecisionRecord] = []

    def parsed(records: list[Received]) -> bool:
        found.extend(DecisionRecord.model_validate_json(r.value) for r in records[len(found) :])
        return until(found)

    read_from_start(settings, [settings.topics.decisions], until=parsed, timeout_s=timeout_s)
    return found


def current_of(records: Iterable[DecisionRecord]) -> dict[str, DecisionRecord]:
    """The current decision per order, by the revision rules, in the order the records were read."""
    current: dict[str, Current] = {}
    for record in records:
        _, kept = accept_decision(current.get(record.order_id), record)
        if kept is not None:
            current[record.order_id] = kept
    return {order_id: entry.decision for order_id, entry in current.items() if entry.decision is not None}


def decided(*order_ids: str, revision: int = 1) -> Callable[[list[DecisionRecord]], bool]:
    wanted = set(order_ids)
    return lambda records: wanted <= {r.order_id for r in records if r.revision >= revision}
