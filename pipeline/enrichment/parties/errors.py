"""The one exception family of party-list loading."""

from __future__ import annotations

from pathlib import Path


class ListFileError(Exception):
    """A party-list file was refused; the list version already in force stays in force."""

    def __init__(self, path: Path | str, line: int | None, reason: str) -> None:
        self.path = str(path)
        self.line = line
        self.reason = reason
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {reason}")


class ListShrinkRefusedError(ListFileError):
    """A new list version drops more entries than allowed and waits for an operator to confirm it."""
