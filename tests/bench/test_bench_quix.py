"""The Quix Streams layers as the bench harness sees them: a command per kind and a `/ready` answer."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import replace

import pytest

from bench.quix import serve_ready
from bench.workers import _COMMANDS, WorkerKind
from pipeline.harness.ports import free_port
from pipeline.settings import Settings


def test_both_quix_layers_run_bench_quix_and_only_the_screening_one_screens() -> None:
    assert _COMMANDS[WorkerKind.QUIX_PASSTHROUGH] == ["-m", "bench.quix"]
    assert _COMMANDS[WorkerKind.QUIX_SCREENING] == ["-m", "bench.quix", "--screen"]


def test_ready_answers_200_on_ready_and_404_elsewhere() -> None:
    settings = replace(Settings(), web_host="127.0.0.1", web_port=free_port())
    server = serve_ready(settings)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{settings.web_port}/ready", timeout=5) as response:
            assert response.status == 200
            assert json.loads(response.read()) == {"ready": True}
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"http://127.0.0.1:{settings.web_port}/health", timeout=5)
        assert missing.value.code == 404
        missing.value.close()
    finally:
        server.shutdown()
        server.server_close()
