"""Wait for a worker process started by a harness (bench, soak, tests) to answer on `/ready`."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable


def wait_until_ready(
    web_port: int,
    *,
    name: str,
    alive: Callable[[], bool],
    log_tail: Callable[[], str],
    timeout_s: float,
) -> None:
    """Until `/ready` answers 200; fails early, with the log tail, if the process died."""
    url = f"http://127.0.0.1:{web_port}/ready"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not alive():
            msg = f"{name} exited during start-up; log tail:\n{log_tail()}"
            raise RuntimeError(msg)
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    msg = f"{name} not ready within {timeout_s:.0f}s; log tail:\n{log_tail()}"
    raise TimeoutError(msg)
