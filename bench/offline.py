"""Offline figures: the engine, party screening and the worker's own per-order code, without Kafka.

Runs bench/engine.py, bench/parties.py and bench/processing.py.

The first two belong to the rule-engine and party-screening engineers; the suite only runs each with
modest sizes and keeps what they print (parsed when it is JSON, else as text lines).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from pipeline.settings import PROJECT_ROOT

SCRIPTS: dict[str, list[str]] = {
    "engine": ["bench/engine.py", "--runs", "3"],
    "parties": ["bench/parties.py", "--runs", "3", "--checks", "20000"],
    "processing": ["bench/processing.py", "--runs", "3", "--orders", "4000"],
}


def run_offline(name: str, timeout_s: float = 300) -> dict[str, Any]:
    script, *args = SCRIPTS[name]
    if not (PROJECT_ROOT / script).exists():
        return {"status": "missing", "script": script}
    done = subprocess.run(
        [sys.executable, script, *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    result: dict[str, Any] = {
        "status": "ok" if done.returncode == 0 else "failed",
        "command": [script, *args],
    }
    try:
        result["figures"] = json.loads(done.stdout)
    except json.JSONDecodeError:
        result["lines"] = [line for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0:
        result["stderr_tail"] = done.stderr.splitlines()[-10:]
    return result
