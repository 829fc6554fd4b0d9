"""Pages of a long list: the page asked for (clamped to the ones that exist) and links to the others."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlencode

T = TypeVar("T")

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500


@dataclass(frozen=True, slots=True)
class Paging:
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def window(self, items: Sequence[T]) -> list[T]:
        start = (self.number - 1) * self.per_page
        return list(items[start : start + self.per_page])


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text else default
    except ValueError:
        return default


def paging(query: Mapping[str, str], total: int) -> Paging:
    """`page` and `per_page` of a query string, each forced into range."""
    per_page = min(MAX_PER_PAGE, max(1, _int(query.get("per_page"), DEFAULT_PER_PAGE)))
    pages = max(1, -(-total // per_page))
    number = min(pages, max(1, _int(query.get("page"), 1)))
    return Paging(number, per_page, total)


def page_url(path: str, query: Mapping[str, str], number: int) -> str:
    """`path` with the same query string, on page `number`."""
    kept = {k: v for k, v in query.items() if k not in {"page", "notice"}}
    return f"{path}?{urlencode({**kept, 'page': str(number)})}"
