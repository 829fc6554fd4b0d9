"""The orders agent keeps the current decision of the orders it decides, in the order's own partition."""

from __future__ import annotations

import pytest
from aiokafka.partitioner import murmur2

from pipeline.rescreen.agent import CurrentDecisions
from pipeline.worker.outputs import SourceRecord
from schemas.decision import DecisionRecord


@pytest.mark.parametrize("partitions", [1, 12])
def test_the_orders_agent_keeps_a_decision_only_in_the_orders_own_partition(partitions: int) -> None:
    record = DecisionRecord.model_validate(
        {
            "decision_id": "d-1",
            "order_id": "ORD-42",
            "revision": 1,
            "route": "release",
            "as_of": "2026-03-01",
            "evaluated_at": "2026-03-01T00:00:00Z",
        }
    )
    own = (murmur2(b"ORD-42") & 0x7FFFFFFF) % partitions
    table: dict[bytes, bytes] = {}
    current = CurrentDecisions(table, partitions)
    raw = record.model_dump_json().encode()
    if partitions > 1:
        elsewhere = SourceRecord("orders", (own + 1) % partitions, 5, b"other-key", b"{}")
        assert not current.accept_own(record, raw, elsewhere)
        assert table == {}
    assert current.accept_own(record, raw, SourceRecord("orders", own, 6, b"ORD-42", b"{}"))
    found = current.lookup("ORD-42")
    assert found is not None
    assert found.decision == record
