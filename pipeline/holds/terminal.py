"""Text from events, made safe for a terminal, and commands that end quietly in a closed pipe.

Order ids, party names and findings come from outside. Printed raw, an escape sequence could move the
cursor, erase or forge rows, and a bidi override could reorder what an analyst reads. `visible` shows
every control, format (bidi, zero-width) and line-separator character as a Python-style escape.
"""

from __future__ import annotations

import functools
import os
import sys
import unicodedata
from collections.abc import Callable
from typing import ParamSpec

# Control (C0, C1, DEL), format (bidi overrides and isolates, zero-width, tags), surrogates, separators.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

P = ParamSpec("P")


def _escape(ch: str) -> str:
    code = ord(ch)
    if ch in _NAMED:
        return _NAMED[ch]
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: str) -> str:
    """`text` with every character a terminal would act on shown as an escape; the rest unchanged."""
    if text.isprintable():
        return text  # the common case: nothing to escape (ordinary spaces are printable)
    return "".join(_escape(ch) if unicodedata.category(ch) in _UNSAFE_CATEGORIES else ch for ch in text)


def bounded(text: str, limit: int) -> str:
    """`visible(text)` of at most `limit` characters of `text`, saying how many were left off."""
    if len(text) <= limit:
        return visible(text)
    return f"{visible(text[:limit])}… ({len(text) - limit} more characters)"


def echo(line: str, *, err: bool = False) -> None:
    """Print one line whose every field may come from an event."""
    print(visible(line), file=sys.stderr if err else sys.stdout)


def quiet_on_closed_pipe(command: Callable[P, int]) -> Callable[P, int]:
    """A command whose reader may go away (`screening holds list | head -1`) ends with exit 0, quietly."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> int:
        try:
            status = command(*args, **kwargs)
            sys.stdout.flush()
        except BrokenPipeError:
            # Python flushes stdout once more at exit: point it at /dev/null so that flush cannot fail.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 0
        return status

    return run
