"""Broker faults under load on the secured cluster, at a size for every CI run (soak/cluster_faults.py;
`make faults-cluster` runs the same scenarios at 20,000 orders): two workers as the worker principal,
then every order exactly one current decision or one dead letter, none duplicated, none wrongly
released, no licence over-drawn, by `screening conservation check` and the harness alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.harness.cluster import cluster
from soak.cluster_faults import FAULTS, run_fault
from tests.deploy.cluster.secured import SecuredCluster

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.kafka,
    pytest.mark.slow,
    pytest.mark.timeout(900),
    # kafka-python's selector can drop a TLS socket to a paused broker without closing it.
    pytest.mark.filterwarnings("ignore:unclosed <ssl.SSLSocket:ResourceWarning"),
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <ssl.SSLSocket:pytest.PytestUnraisableExceptionWarning"
    ),
]

ORDERS = 300


@pytest.mark.parametrize("fault", FAULTS)
def test_a_broker_fault_under_load_loses_and_duplicates_nothing(
    fault: str, secured_cluster: SecuredCluster, tmp_path: Path
) -> None:
    figures = run_fault(fault, ORDERS, tmp_path, rate=100.0)
    assert figures.orders == ORDERS
    assert figures.decided + figures.dead_lettered == ORDERS
    assert (figures.lost, figures.duplicated, figures.wrongly_released) == (0, 0, 0)
    assert figures.overdrawn_licences == 0
    assert figures.conservation_check_exit == 0
    # The fault was real and over: every node back, every partition of orders in sync again.
    assert cluster("status", timeout=30).stdout.count(": running") == 3
    assert figures.replicas_in_sync_after_s > 0
