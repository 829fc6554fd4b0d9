"""Where a worker spends its time: py-spy samples the running worker from outside during a run.

py-spy (pinned in the `bench` extra) attaches by pid, so the worker runs unmodified. The raw
collapsed stacks are kept, and the functions with the largest inclusive share are summarised for
BENCHMARKS.md; when py-spy cannot attach (no ptrace permission) the profile is reported as absent.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

_PY_SPY = Path(sys.executable).with_name("py-spy")


class Profiler:
    """`with Profiler(pid, out):` samples the worker until the block ends."""

    def __init__(self, pid: int, raw_path: Path) -> None:
        self.pid = pid
        self.raw_path = raw_path
        self._process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> bool:
        return _PY_SPY.exists() or shutil.which("py-spy") is not None

    def __enter__(self) -> Profiler:
        if self.available():
            binary = str(_PY_SPY) if _PY_SPY.exists() else "py-spy"
            self._process = subprocess.Popen(
                [binary, "record", "--pid", str(self.pid), "--format", "raw", "--rate", "200",
                 "--nonblocking", "--output", str(self.raw_path)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
        return self

    def __exit__(self, *_: object) -> None:
        if self._process is not None:
            self._process.send_signal(2)  # SIGINT: py-spy writes its output and exits
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()


def summarize_collapsed(raw: str, top: int = 15) -> dict[str, Any]:
    """Inclusive and self shares per function from py-spy's collapsed stacks (`a;b;c count`)."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [frame.split(" (")[0] + " (" + _short(frame) + ")" for frame in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    if not total:
        return {"samples": 0}

    def share(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(name, round(100 * n / total, 1)) for name, n in counter.most_common(top)]

    return {"samples": total, "inclusive_pct": share(inclusive), "self_pct": share(own)}


def _short(frame: str) -> str:
    """`fn (path/to/module.py:12)` -> `module.py`; keeps the summary readable and machine-independent."""
    location = frame.rpartition(" (")[2].rstrip(")")
    return Path(location.split(":")[0]).name
