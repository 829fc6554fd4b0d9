"""Failed sign-ins counted per user name and per client address, in moving windows (`limits`).

A name or an address with too many failures in the window is refused before any password is
checked, until its oldest failure leaves the window. Unknown names count like known ones, so a
refusal says nothing about who exists. Names are hashed before they become keys: the store stays
small whatever is typed into the user field.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import Counter

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


def _name_key(name: str) -> str:
    return hashlib.sha256(name.encode(errors="surrogatepass")).hexdigest()[:32]


class SignInThrottle:
    def __init__(
        self, *, max_failures_per_user: int, max_failures_per_address: int, window_seconds: int
    ) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._per_user = RateLimitItemPerSecond(
            max_failures_per_user, window_seconds, namespace="signin-user"
        )
        self._per_address = RateLimitItemPerSecond(
            max_failures_per_address, window_seconds, namespace="signin-address"
        )
        self.window_seconds = window_seconds
        # Attempts admitted but not yet settled (their hash is running): they count against the limits
        # too, or concurrent guesses would all pass the check before the first failure is counted.
        self._in_flight: Counter[str] = Counter()

    def _keys(self, name: str, address: str) -> tuple[tuple[RateLimitItem, str], ...]:
        return ((self._per_user, _name_key(name)), (self._per_address, address))

    def _retry_after(self, name: str, address: str) -> int:
        waits = []
        for item, key in self._keys(name, address):
            stats = self._limiter.get_window_stats(item, key)
            if stats.remaining <= self._in_flight[f"{item.namespace}/{key}"]:
                waits.append(stats.reset_time - time.time())
        return max(1, math.ceil(max(waits))) if waits else 0

    def admit(self, name: str, address: str) -> int:
        """0 and the attempt is admitted, or the seconds until `name` from `address` may try again."""
        if wait := self._retry_after(name, address):
            return wait
        for item, key in self._keys(name, address):
            self._in_flight[f"{item.namespace}/{key}"] += 1
        return 0

    def settle(self, name: str, address: str, *, succeeded: bool) -> bool:
        """Count an admitted attempt's outcome; True when a failure used up the last attempt.

        A correct password forgets the name's earlier failures (the address keeps its count)."""
        for item, key in self._keys(name, address):
            self._in_flight[f"{item.namespace}/{key}"] -= 1
            if self._in_flight[f"{item.namespace}/{key}"] <= 0:
                del self._in_flight[f"{item.namespace}/{key}"]
        if succeeded:
            self._limiter.clear(self._per_user, _name_key(name))
            return False
        for item, key in self._keys(name, address):
            self._limiter.hit(item, key)
        return self._retry_after(name, address) > 0
