"""Name-based ids for decisions and alerts: the same name always gives the same id.

`url_uuid(name)` is `str(uuid.uuid5(uuid.NAMESPACE_URL, name))`, computed on bytes: building a
`uuid.UUID` object costs more than the SHA-1, and the hot path makes one or more ids per order.
`random_uuid()` is `str(uuid.uuid4())` the same way.
"""

from __future__ import annotations

import hashlib
import os
import uuid

_URL_NAMESPACE = uuid.NAMESPACE_URL.bytes


def url_uuid(name: str) -> str:
    """The RFC 4122 version-5 UUID of `name` in the URL namespace, as its canonical string."""
    digest = bytearray(
        hashlib.sha1(_URL_NAMESPACE + name.encode("utf-8"), usedforsecurity=False).digest()[:16]
    )
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    return _canonical(digest)


def random_uuid() -> str:
    """A random (version-4) UUID as its canonical string."""
    value = bytearray(os.urandom(16))
    value[6] = (value[6] & 0x0F) | 0x40  # version 4
    return _canonical(value)


def _canonical(value: bytearray) -> str:
    value[8] = (value[8] & 0x3F) | 0x80  # RFC 4122 variant
    text = value.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
