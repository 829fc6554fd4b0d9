"""Which decision is current for an order: revisions supersede, repeats and late arrivals do not.

A higher revision supersedes. The same revision replaces the current decision only when it says so
(`supersedes` names the current decision: a reviewer's follow-up or a re-screen); a repeated or older
revision changes nothing. A cancelled order's decision is withdrawn and stays withdrawn for every
revision up to the cancelling one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from schemas.decision import DecisionRecord


class Verdict(StrEnum):
    FIRST = "first"
    SUPERSEDES = "supersedes"
    FOLLOW_UP = "follow_up"
    REPEATED = "repeated"
    STALE = "stale"

    @property
    def changes_current(self) -> bool:
        return self in {Verdict.FIRST, Verdict.SUPERSEDES, Verdict.FOLLOW_UP}


class CurrentHead(Protocol):
    """What judging a revision needs of the current entry; the decision itself is not needed."""

    @property
    def revision(self) -> int: ...
    @property
    def withdrawn(self) -> bool: ...
    @property
    def decision_id(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class StoredHead:
    """The judging fields of a stored entry, read without validating its decision (the hot path)."""

    revision: int
    withdrawn: bool
    decision_id: str | None

    @classmethod
    def parse(cls, stored: bytes) -> StoredHead:
        data = json.loads(stored)
        decision = data.get("decision")
        return cls(
            int(data["revision"]),
            bool(data.get("withdrawn", False)),
            decision.get("decision_id") if isinstance(decision, dict) else None,
        )


def encode_current(revision: int, decision_json: bytes) -> bytes:
    """The stored entry for a decision already serialized for the topic, without a second dump.

    It reads back with `Current.from_json` like any other entry.
    """
    return b'{"revision":%d,"withdrawn":false,"decision":%s}' % (revision, decision_json)


@dataclass(frozen=True, slots=True)
class Current:
    """What the revisions table keeps per order: the current decision or the withdrawal."""

    revision: int
    decision: DecisionRecord | None
    withdrawn: bool = False

    @property
    def decision_id(self) -> str | None:
        return self.decision.decision_id if self.decision is not None else None

    def to_json(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "withdrawn": self.withdrawn,
            "decision": self.decision.model_dump(mode="json") if self.decision is not None else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Current:
        raw = data.get("decision")
        return cls(
            revision=int(data["revision"]),
            decision=DecisionRecord.model_validate(raw) if raw is not None else None,
            withdrawn=bool(data.get("withdrawn", False)),
        )


def judge_revision(current: CurrentHead | None, revision: int, supersedes: str | None = None) -> Verdict:
    """How an event with `revision` relates to what is current for its order."""
    if current is None:
        return Verdict.FIRST
    if revision > current.revision:
        return Verdict.SUPERSEDES
    if revision < current.revision:
        return Verdict.STALE
    if supersedes is not None and supersedes == current.decision_id and not current.withdrawn:
        return Verdict.FOLLOW_UP
    return Verdict.REPEATED


def accept_decision(current: Current | None, record: DecisionRecord) -> tuple[Verdict, Current | None]:
    """The verdict on `record` and the entry to keep (None means keep `current` unchanged)."""
    verdict = judge_revision(current, record.revision, record.supersedes)
    if not verdict.changes_current:
        return verdict, None
    return verdict, Current(record.revision, record)


def withdraw(current: Current | None, revision: int) -> tuple[Verdict, Current | None]:
    """A cancellation at `revision` withdraws the order unless a later revision is already current."""
    verdict = judge_revision(current, revision)
    if verdict in {Verdict.STALE, Verdict.REPEATED}:
        return verdict, None
    return verdict, Current(revision, current.decision if current else None, withdrawn=True)
