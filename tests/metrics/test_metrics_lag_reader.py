"""The group reader's lag arithmetic and its logging, broker-free."""

from __future__ import annotations

import logging

import pytest

import pipeline.kafka.lag as lag_module
from pipeline.kafka.lag import GroupPosition


def test_lag_is_the_end_minus_the_committed_offset_for_committed_partitions_only() -> None:
    position = GroupPosition(
        state="Stable",
        members=1,
        committed={("orders", 0): 10, ("orders", 1): 7},
        ends={("orders", 0): 25, ("orders", 1): 7, ("orders", 2): 90},
    )
    assert position.lag == {("orders", 0): 15, ("orders", 1): 0}
    assert position.draining


def test_faust_member_data_warnings_are_dropped_and_other_warnings_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert lag_module.log  # the module is imported, so its filter is installed
    groups = logging.getLogger("kafka.admin._groups")
    with caplog.at_level(logging.WARNING, logger="kafka.admin._groups"):
        groups.warning("Unable to decode member_metadata for g/member-1")
        groups.warning("Unable to decode member_assignment for g/member-1")
        groups.warning("coordinator not available")
    assert [r.getMessage() for r in caplog.records] == ["coordinator not available"]
