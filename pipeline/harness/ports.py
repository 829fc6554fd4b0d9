"""Free TCP ports on the loopback interface for workers' web servers and throwaway brokers."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port the OS has just handed out and released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def preferred_or_free(host: str, preferred: int) -> int:
    """`preferred` when nothing listens there, else a free port."""
    with socket.socket() as probe:
        if probe.connect_ex((host, preferred)) != 0:
            return preferred
    return free_port()


def free_port_pair(first: int = 19600, last: int = 19700) -> tuple[int, int]:
    """Two adjacent free ports below the ephemeral range, where no outgoing connection can take them
    between this check and a broker binding them."""
    for port in range(first, last, 2):
        try:
            for candidate in (port, port + 1):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        return port, port + 1
    msg = f"no two adjacent free ports between {first} and {last}"
    raise RuntimeError(msg)
