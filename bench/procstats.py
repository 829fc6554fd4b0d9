"""CPU time and peak resident memory of a process, read from /proc (no psutil needed)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    # Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS_PER_S


def memory_kib(pid: int, field: str) -> int:
    """A `Vm*` line of /proc/<pid>/status in KiB (VmRSS now, VmHWM peak)."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


@dataclass(frozen=True, slots=True)
class CpuMark:
    pid: int
    cpu_s: float
    wall_s: float

    @classmethod
    def take(cls, pid: int, wall_s: float) -> CpuMark:
        return cls(pid, cpu_seconds(pid), wall_s)

    def cores_since(self, later: CpuMark) -> float:
        """CPU used between two marks, in cores (1.0 = one core fully busy)."""
        elapsed = later.wall_s - self.wall_s
        return (later.cpu_s - self.cpu_s) / elapsed if elapsed > 0 else 0.0


def peak_rss_mb(pid: int) -> float:
    return memory_kib(pid, "VmHWM") / 1024
