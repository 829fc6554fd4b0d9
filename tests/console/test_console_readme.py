"""What the README tells an operator about console users holds: roles, the hash command's format, and
that an unquoted or double-quoted `$` in the environment mangles a hash the console then refuses."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from pipeline.console.auth import ConsoleConfigError, hash_password, parse_users, verify_password
from pipeline.settings import PROJECT_ROOT
from schemas.review import Role

README = PROJECT_ROOT / "README.md"


def console_section() -> str:
    text = README.read_text(encoding="utf-8")
    return text.split("## The hold console", 1)[1].split("\n## ", 1)[0]


def through_bash(assignment: str) -> str:
    """SCREENING_CONSOLE_USERS as a shell sets it from `assignment` (a line of shell)."""
    script = f'{assignment}\nprintf %s "$SCREENING_CONSOLE_USERS"'
    result = subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
        env={"PATH": os.defpath},
    )
    return result.stdout


def test_the_readme_names_every_role_and_the_hash_command() -> None:
    section = console_section()
    for role in Role:
        assert f"`{role.value}`" in section, role
    assert "`screening console --hash-password`" in section
    documented = re.search(r"`(scrypt\$\d+\$\d+\$\d+)\$<salt>\$<hash>`", section)
    assert documented is not None
    assert hash_password("pw").startswith(documented.group(1) + "$")


@pytest.mark.timeout(60)
def test_a_single_quoted_entry_survives_the_shell_and_a_double_quoted_one_is_refused() -> None:
    entry = f"alice:reviewer:{hash_password('correct horse')}"
    kept = through_bash(f"export SCREENING_CONSOLE_USERS='{entry}'")
    assert kept == entry
    assert verify_password("correct horse", parse_users(kept)["alice"].password_hash)

    mangled = through_bash(f'export SCREENING_CONSOLE_USERS="{entry}"')
    assert mangled != entry
    with pytest.raises(ConsoleConfigError, match="is not name:role:scrypt-hash"):
        parse_users(mangled)
