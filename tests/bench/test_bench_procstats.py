"""CPU time and peak memory read from /proc for a process we can see: this one."""

from __future__ import annotations

import os
import time

from bench.procstats import CpuMark, cpu_seconds, peak_rss_mb


def test_busy_loop_shows_up_as_cpu_time() -> None:
    pid = os.getpid()
    before = CpuMark.take(pid, time.time())
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:
        pass
    after = CpuMark.take(pid, time.time())
    assert after.cpu_s - before.cpu_s >= 0.2
    assert 0.0 < before.cores_since(after) <= 1.5
    assert cpu_seconds(pid) >= after.cpu_s


def test_peak_rss_is_at_least_the_memory_held() -> None:
    held = bytearray(64 * 1024 * 1024)
    held[::4096] = b"x" * len(held[::4096])
    assert peak_rss_mb(os.getpid()) >= 64
