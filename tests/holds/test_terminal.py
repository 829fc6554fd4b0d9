"""What reaches a terminal from an event: control characters, escapes and bidi overrides shown, never raw."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.holds.terminal import bounded, visible


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("ORD-1", "ORD-1"),
        ("ORD-1\x1b[2K\rORD-FAKE", "ORD-1\\x1b[2K\\rORD-FAKE"),
        ("a\nb\tc", "a\\nb\\tc"),
        ("bell\x07 nul\x00 del\x7f", "bell\\x07 nul\\x00 del\\x7f"),
        ("c1 csi \x9b31m", "c1 csi \\x9b31m"),
        ("evil\u202egpj.exe", "evil\\u202egpj.exe"),
        ("isolate\u2066x\u2069", "isolate\\u2066x\\u2069"),
        ("mark\u200f\u200e\u061c", "mark\\u200f\\u200e\\u061c"),
        ("zero\u200bwidth\ufeff", "zero\\u200bwidth\\ufeff"),
        ("line\u2028para\u2029", "line\\u2028para\\u2029"),
        ("tag\U000e0041", "tag\\U000e0041"),
        ("三菱重工業\u3000株式会社", "三菱重工業\u3000株式会社"),
        ("Müller & Söhne, Zürich", "Müller & Söhne, Zürich"),
        ("back\\slash", "back\\slash"),
        ("", ""),
    ],
)
def test_visible(raw: str, shown: str) -> None:
    assert visible(raw) == shown


@given(st.text())
def test_no_control_format_or_separator_character_survives(raw: str) -> None:
    assert not {unicodedata.category(ch) for ch in visible(raw)} & {"Cc", "Cf", "Cs", "Zl", "Zp"}


@pytest.mark.parametrize(
    ("raw", "limit", "shown"),
    [
        ("alice", 64, "alice"),
        ("x" * 100, 10, "xxxxxxxxxx… (90 more characters)"),
        ("\x1b" * 10, 8, "\\x1b" * 8 + "… (2 more characters)"),
    ],
)
def test_bounded(raw: str, limit: int, shown: str) -> None:
    assert bounded(raw, limit) == shown


def test_a_closed_pipe_ends_a_command_quietly() -> None:
    """`command | head -1`: the reader goes away mid-output; exit 0, no traceback."""
    script = textwrap.dedent(
        """
        import sys
        from pipeline.holds.terminal import echo, quiet_on_closed_pipe

        @quiet_on_closed_pipe
        def command() -> int:
            for n in range(200_000):
                echo(f"row {n}")
            return 0

        sys.exit(command())
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None
    assert child.stdout.readline() == b"row 0\n"
    child.stdout.close()
    _, errors = child.communicate(timeout=60)
    assert (child.returncode, errors) == (0, b"")
