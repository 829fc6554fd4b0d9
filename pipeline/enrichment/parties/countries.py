"""Country values of list files (ISO codes, English names) to ISO 3166-1 alpha-2."""

from __future__ import annotations

from functools import lru_cache

import pycountry


@lru_cache(maxsize=1024)
def to_alpha2(value: str) -> str | None:
    """ISO alpha-2 for `value`, None for an empty value; ValueError when it names no country."""
    text = value.strip()
    if not text:
        return None
    if len(text) == 2 and text.isalpha():
        found = pycountry.countries.get(alpha_2=text.upper())
    elif len(text) == 3 and text.isalpha():
        found = pycountry.countries.get(alpha_3=text.upper())
    else:
        try:
            found = pycountry.countries.lookup(text)
        except LookupError:
            found = None
    if found is None:
        msg = f"unknown country {value!r}"
        raise ValueError(msg)
    return str(found.alpha_2)
