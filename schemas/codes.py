"""Formats of the codes that appear in orders and rule data, and country/currency checks."""

from __future__ import annotations

import re
from functools import lru_cache

import pycountry

# Control code: digit + category letter A-E + three digits, then sub-paragraphs like `.a.1`.
CONTROL_CODE_PATTERN = r"^[0-9][A-E][0-9]{3}(\.[a-z0-9]{1,3})*$"
# Chinese customs codes in announcements: 8-digit tariff lines or 10-digit commodity numbers.
HS_CODE_PATTERN = r"^[0-9]{8}([0-9]{2})?$"
# Technology catalogue entry: six digits then J (prohibited) or X (restricted).
TECH_ENTRY_PATTERN = r"^[0-9]{6}[JX]$"

CONTROL_CODE_RE = re.compile(CONTROL_CODE_PATTERN)
HS_CODE_RE = re.compile(HS_CODE_PATTERN)
TECH_ENTRY_RE = re.compile(TECH_ENTRY_PATTERN)
# Rule scopes may name a customs-code prefix of 4 to 10 digits (heading to commodity number).
HS_PREFIX_RE = re.compile(r"^[0-9]{4,10}$")


@lru_cache(maxsize=512)
def _known_country(code: str) -> bool:
    return pycountry.countries.get(alpha_2=code) is not None


@lru_cache(maxsize=512)
def _known_currency(code: str) -> bool:
    return pycountry.currencies.get(alpha_3=code) is not None


def check_country(value: str) -> str:
    """Accept an ISO 3166-1 alpha-2 code (any case), return it upper-cased."""
    code = value.strip().upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha() or not _known_country(code):
        msg = f"unknown country code {value!r} (expected ISO 3166-1 alpha-2)"
        raise ValueError(msg)
    return code


def check_currency(value: str) -> str:
    """Accept an ISO 4217 code (any case), return it upper-cased."""
    code = value.strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha() or not _known_currency(code):
        msg = f"unknown currency code {value!r} (expected ISO 4217)"
        raise ValueError(msg)
    return code


def control_code_covers(scope_prefix: str, code: str) -> bool:
    """True when a rule scope names `code` or a parent paragraph of it (`1C902` covers `1C902.a`)."""
    return code == scope_prefix or code.startswith(scope_prefix + ".")
