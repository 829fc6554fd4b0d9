"""Reference data changing under a running worker: bad updates refused, good ones applied mid-stream,
and through it all nothing lost and nothing released that the fault-free run would have held."""

from __future__ import annotations

import csv
import json
import time
import urllib.request
from pathlib import Path

import pytest

from pipeline.harness.worker_process import WorkerProcess
from pipeline.kafka import clients
from pipeline.kafka.reference import publish
from pipeline.reference.envelope import envelope_for
from schemas.decision import Route
from schemas.reference import ReferenceKind, ReferenceRefusal
from soak.runs import FaultRun

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(240)]

ORDERS = 120
NEWLY_LISTED = ("Hamburg Feinmetall GmbH", "DE")


def reference_versions(worker: WorkerProcess) -> dict[str, str]:
    url = f"http://127.0.0.1:{worker.settings.web_port}/reference"
    with urllib.request.urlopen(url, timeout=5) as response:
        versions: dict[str, str] = json.load(response)["versions"]
        return versions


def wait_for_version(worker: WorkerProcess, kind: str, version: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while reference_versions(worker).get(kind) != version:
        assert time.monotonic() < deadline, f"{kind} {version} not applied: {reference_versions(worker)}"
        time.sleep(0.3)


def list_with_new_entry(source: Path, target: Path) -> Path:
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    fields = list(rows[0])
    name, country = NEWLY_LISTED
    rows.append(
        dict.fromkeys(fields, "")
        | {
            "list": "List of Export Controls",
            "type": "Company",
            "name": name,
            "country": country,
            "date_listed": "01.01.2026",
            "source_url": "https://www.mofcom.gov.cn/reliability-test-listing.html",
        }
    )
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return target


def refusals(fault_run: FaultRun) -> list[ReferenceRefusal]:
    consumer = clients.consumer(
        fault_run.settings,
        "test",
        fault_run.settings.topics.reference_errors,
        auto_offset_reset="earliest",
        consumer_timeout_ms=3000,
    )
    try:
        return [ReferenceRefusal.model_validate_json(record.value) for record in consumer]
    finally:
        consumer.close()


def test_reference_updates_mid_stream(fault_run: FaultRun, tmp_path: Path) -> None:
    settings = fault_run.settings
    worker = fault_run.start_worker("reference")
    in_force = reference_versions(worker)
    fault_run.produce_orders(ORDERS // 3)

    # Malformed updates: refused with an error event, the versions in force stay.
    broken_pack = tmp_path / "rules" / "china.yaml"
    broken_pack.parent.mkdir()
    broken_pack.write_text("version: broken\nrules:\n  - id: [unclosed\n", encoding="utf-8")
    empty_list = tmp_path / "empty-list.csv"
    empty_list.write_text("list,type,name\n", encoding="utf-8")
    publish(settings, [envelope_for(broken_pack), envelope_for(empty_list, ReferenceKind.PARTIES)])
    fault_run.produce_orders(ORDERS // 3)

    # A good list update mid-stream: a consignee of the mix becomes listed.
    update = envelope_for(list_with_new_entry(settings.party_list_files[0], tmp_path / "parties.csv"))
    publish(settings, [update])
    wait_for_version(worker, "parties", update.version)
    after_update = fault_run.produce_orders(ORDERS // 3)

    report = fault_run.settle()
    fault_run.assert_conserved(report, "reference updates mid-stream (2 malformed, 1 list update)")
    refused = {r.kind for r in refusals(fault_run)}
    assert {"rules", "parties"} <= refused
    assert reference_versions(worker).get("rules") == in_force.get("rules")

    decisions = fault_run.probe.decision_records.values()
    # The refused pack never screened anything: every decision used the pack in force at the start.
    assert len({d.versions.get("rules") for d in decisions}) == 1
    newly_listed = [
        d
        for d in decisions
        if d.source
        and any((d.source["partition"], d.source["offset"]) == (a.partition, a.offset) for a in after_update)
        and any(m.listed_name == NEWLY_LISTED[0] for m in d.party_matches)
    ]
    assert newly_listed, "no order for the newly listed consignee after the update"
    assert all(d.route is Route.HOLD for d in newly_listed)
    assert all(d.versions.get("parties") == update.version for d in newly_listed)
