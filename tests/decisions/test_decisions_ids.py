"""Name-based ids: the fast form gives exactly the ids `uuid.uuid5` gave, so redelivered records
keep their decision and alert ids across the change."""

from __future__ import annotations

import uuid

import pytest

from pipeline.decisions.ids import random_uuid, url_uuid

NAMES = [
    "",
    "decision:PO-1:3:parties=v1,rules=r7:" + "ab" * 32,
    "3f0c9b9e-0000-4000-8000-000000000000/0/cn.mofcom.unreliable-entity",
    "订单-北京/0/规则",
    "x" * 5000,
]


@pytest.mark.parametrize("name", NAMES)
def test_url_uuid_is_uuid5_in_the_url_namespace(name: str) -> None:
    assert url_uuid(name) == str(uuid.uuid5(uuid.NAMESPACE_URL, name))


def test_url_uuid_is_a_version_5_rfc_4122_uuid() -> None:
    parsed = uuid.UUID(url_uuid("decision:PO-9:1"))
    assert parsed.version == 5
    assert parsed.variant == uuid.RFC_4122


def test_different_names_give_different_ids() -> None:
    ids = {url_uuid(f"decision:PO-{i}:1") for i in range(1000)}
    assert len(ids) == 1000


def test_random_uuid_is_a_canonical_version_4_rfc_4122_uuid() -> None:
    ids = [random_uuid() for _ in range(1000)]
    assert len(set(ids)) == 1000
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
