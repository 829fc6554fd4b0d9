"""What the figures were measured on: cores, memory, CPU model and how busy the machine was."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _mem_total_gib() -> float:
    for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024 / 1024, 1)
    return 0.0


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def machine_info() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "memory_gib": _mem_total_gib(),
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }
