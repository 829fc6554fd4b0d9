"""Reference data on the real broker: hot reload, refusal of bad data, readiness, delta re-screening."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from stateful_support import (  # type: ignore[import-not-found]
    Worker,
    current_of,
    decided,
    produce,
    read_decisions,
)

from pipeline.kafka import clients
from pipeline.kafka.reference import publish
from pipeline.reference.envelope import envelope_for
from pipeline.settings import BUNDLED_DATA, Settings
from schemas.decision import Route
from schemas.reference import ReferenceKind, ReferenceRefusal
from tests.order_flow import ZEPHYR, chair_line
from tests.order_flow import gallium_order_body as order

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

StartWorkers = Callable[..., list[Worker]]
LISTS = BUNDLED_DATA / "parties" / "cn-mofcom-party-lists.csv"
NEW_ROW = (
    "List of Export Controls,Company,Zephyr Precision Optics GmbH,,,Germany,01.03.2026,,"
    "test designation,https://www.mofcom.gov.cn/,\n"
)


def lists_with_zephyr(folder: Path) -> Path:
    path = folder / "cn-mofcom-party-lists.csv"
    path.write_text(LISTS.read_text(encoding="utf-8") + NEW_ROW, encoding="utf-8")
    return path


def zephyr_order(order_id: str, **fields: Any) -> dict[str, Any]:
    return order(
        order_id, consignee=ZEPHYR, end_user=ZEPHYR, lines=chair_line(), licence_numbers=[], **fields
    )


def test_new_list_entry_loaded_mid_stream_holds_the_next_order(
    flow: Settings, start_workers: StartWorkers, tmp_path: Path
) -> None:
    (worker,) = start_workers(flow, 1)
    produce(flow, [zephyr_order("ORD-BEFORE")])
    assert current_of(read_decisions(flow, decided("ORD-BEFORE")))["ORD-BEFORE"].route is Route.RELEASE
    envelope = envelope_for(lists_with_zephyr(tmp_path))
    publish(flow, [envelope])
    worker.wait_reference("parties", envelope.version)
    produce(flow, [zephyr_order("ORD-AFTER")])
    after = current_of(read_decisions(flow, decided("ORD-AFTER")))["ORD-AFTER"]
    assert after.route is Route.HOLD
    assert any(m.listed_name == ZEPHYR["name"] for m in after.party_matches)
    assert after.versions["parties"] == envelope.version


def test_malformed_reference_file_is_refused_and_the_previous_version_stays(
    flow: Settings, start_workers: StartWorkers, tmp_path: Path
) -> None:
    from kafka import TopicPartition

    (worker,) = start_workers(flow, 1)
    good = envelope_for(lists_with_zephyr(tmp_path))
    publish(flow, [good])
    worker.wait_reference("parties", good.version)
    broken = tmp_path / "broken" / "cn-mofcom-party-lists.csv"
    broken.parent.mkdir()
    broken.write_text("list,name\nUEL\n", encoding="utf-8")
    publish(flow, [envelope_for(broken)])
    consumer = clients.consumer(flow, "test", consumer_timeout_ms=30_000)
    errors = TopicPartition(flow.topics.reference_errors, 0)
    consumer.assign([errors])
    consumer.seek_to_beginning(errors)
    refusal = ReferenceRefusal.model_validate_json(next(iter(consumer)).value)
    consumer.close()
    assert refusal.kind == "parties"
    assert refusal.kept_version == good.version
    assert worker.get("/reference")[1]["versions"]["parties"] == good.version
    produce(flow, [zephyr_order("ORD-STILL-HELD")])
    assert current_of(read_decisions(flow, decided("ORD-STILL-HELD")))["ORD-STILL-HELD"].route is Route.HOLD


def test_without_rule_pack_or_party_list_the_worker_is_not_ready_and_releases_nothing(
    flow: Settings, start_workers: StartWorkers, tmp_path: Path
) -> None:
    bare = replace(flow, rules_file=tmp_path / "no-rules.yaml", party_list_files=(tmp_path / "no-lists.csv",))
    (worker,) = start_workers(bare, 1, ready=False)
    worker.wait_status("/health", 200)
    assert worker.wait_status("/ready", 503)["ready"] is False
    # The start-up server answers /ready before faust's own pages exist: wait for /reference itself.
    assert worker.wait_status("/reference", 200)["missing"] == ["parties", "rules"]
    produce(flow, [order("ORD-CHAIR", lines=chair_line(), licence_numbers=[])])
    held = current_of(read_decisions(flow, decided("ORD-CHAIR")))["ORD-CHAIR"]
    assert held.route is Route.HOLD
    assert held.fail_closed
    publish(flow, [envelope_for(BUNDLED_DATA / "rules" / "china.yaml"), envelope_for(LISTS)])
    worker.wait_status("/ready", 200)
    produce(flow, [order("ORD-CHAIR-2", lines=chair_line(), licence_numbers=[])])
    assert current_of(read_decisions(flow, decided("ORD-CHAIR-2")))["ORD-CHAIR-2"].route is Route.RELEASE


def test_delta_rescreening_turns_a_released_unshipped_order_into_a_hold(
    flow: Settings, start_workers: StartWorkers, tmp_path: Path
) -> None:
    (worker,) = start_workers(flow, 1)
    produce(flow, [zephyr_order("ORD-OPEN"), zephyr_order("ORD-SHIPPED")])
    produce(flow, [zephyr_order("ORD-SHIPPED", revision=2, status="shipped")])
    first = current_of(read_decisions(flow, decided("ORD-OPEN", "ORD-SHIPPED")))
    assert first["ORD-OPEN"].route is Route.RELEASE
    envelope = envelope_for(lists_with_zephyr(tmp_path))
    publish(flow, [envelope])
    worker.wait_reference("parties", envelope.version)
    records = read_decisions(
        flow, lambda rs: any(r.order_id == "ORD-OPEN" and r.route is Route.HOLD for r in rs)
    )
    current = current_of(records)
    assert current["ORD-OPEN"].route is Route.HOLD
    assert current["ORD-OPEN"].supersedes == first["ORD-OPEN"].decision_id
    assert current["ORD-OPEN"].revision == 1
    assert current["ORD-SHIPPED"].route is Route.RELEASE
    status, looked_up = worker.get("/decisions/ORD-OPEN")
    assert status == 200
    assert json.dumps(looked_up["decision"]["route"]) == '"hold"'
    assert ReferenceKind.PARTIES.value in current["ORD-OPEN"].versions
