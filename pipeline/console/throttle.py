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

from limits import RateLimitItemPerSecond
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

    def retry_after(self, name: str, address: str) -> int:
        """Seconds until `name` from `address` may try again; 0 when it may now."""
        waits = [
            self._limiter.get_window_stats(item, key).reset_time - time.time()
            for item, key in ((self._per_user, _name_key(name)), (self._per_address, address))
            if not self._limiter.test(item, key)
        ]
        return max(1, math.ceil(max(waits))) if waits else 0

    def failed(self, name: str, address: str) -> bool:
        """Count a failure; True when it used up the last attempt of the name or of the address."""
        self._limiter.hit(self._per_user, _name_key(name))
        self._limiter.hit(self._per_address, address)
        return self.retry_after(name, address) > 0

    def succeeded(self, name: str) -> None:
        """A correct password forgets the name's earlier failures (the address keeps its count)."""
        self._limiter.clear(self._per_user, _name_key(name))
