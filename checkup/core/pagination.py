"""One page of a query's rows, in two queries (a count and the rows)."""

from dataclasses import dataclass
from typing import Any

from peewee import SelectBase

PER_PAGE = 50


@dataclass
class Page:
    items: list[Any]  # the query's rows; a service may swap them for what its page shows
    number: int
    pages: int
    total: int
    per_page: int

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def paginate(query: SelectBase, number: int | None, per_page: int = PER_PAGE) -> Page:
    """Page ``number`` of ``query`` (clamped into range) in two queries: a count and the rows."""
    total = query.count()
    pages = max(1, -(-total // per_page))
    number = min(max(1, number or 1), pages)
    return Page(list(query.paginate(number, per_page)), number, pages, total, per_page)
