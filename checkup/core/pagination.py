"""One page of a query's rows: counted (a count and the rows, or both in one query with a window count), or
peeked (the rows and one more)."""

from dataclasses import dataclass
from typing import Any

from peewee import SQL, Select, SelectBase, fn

from checkup.core.arguments import MAX_PAGE

PER_PAGE = 50


@dataclass
class Page:
    items: list[Any]  # the query's rows; a service may swap them for what its page shows
    number: int
    pages: int | None  # None: not counted, and more rows follow (see ``peek``)
    total: int | None
    per_page: int
    more: bool = False  # a peeked page with rows after it

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.more if self.pages is None else self.number < self.pages

    @property
    def first(self) -> int:
        """The position of the page's first row in the whole list (1-based)."""
        return (self.number - 1) * self.per_page + 1

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1


def paginate(query: SelectBase, number: int | None, per_page: int = PER_PAGE) -> Page:
    """Page ``number`` of ``query`` (clamped into range) in two queries: a count and the rows."""
    total = query.count()
    pages = max(1, -(-total // per_page))
    number = min(max(1, number or 1), pages)
    return Page(list(query.paginate(number, per_page)), number, pages, total, per_page)


def peek(query: SelectBase, number: int | None, per_page: int = PER_PAGE) -> Page:
    """Page ``number`` of ``query`` in one query and no count: ``per_page + 1`` rows are read, the last
    only to learn whether a next page exists. The total (and the number of pages) is known once no row
    follows; a page past the end is empty."""
    number = min(max(1, number or 1), MAX_PAGE)
    rows = list(query.limit(per_page + 1).offset((number - 1) * per_page))
    return page_of_rows(rows, number, per_page)


def page_of_rows(rows: list[Any], number: int, per_page: int = PER_PAGE) -> Page:
    """The page ``peek`` makes of up to ``per_page + 1`` rows read from position ``(number - 1) * per_page``."""
    if len(rows) > per_page:
        return Page(rows[:per_page], number, None, None, per_page, more=True)
    if not rows and number > 1:
        return Page([], number, None, None, per_page)  # past the end: how far it is, nobody counted
    return Page(rows, number, number, (number - 1) * per_page + len(rows), per_page)


def whole_count() -> Any:
    """The column to add last to a page's selection for ``counted_page``: how many rows the whole list has."""
    return fn.COUNT(SQL("*")).over()


def counted_page(query: Select, number: int | None, per_page: int) -> Page:
    """Page ``number`` of ``query`` (tuples; its last column ``whole_count()``) in one query, where
    ``paginate`` runs a count and then the rows: for pages that show a total and are read on every poll
    (the exam floor's guidance, the review queue). Each item is the row without the count; a page past the
    end is counted and clamped as ``paginate`` does (two more queries)."""
    number = max(1, number or 1)
    rows = list(query.tuples().paginate(number, per_page))
    if not rows and number > 1:
        page = paginate(query.tuples(), number, per_page)
        page.items = [row[:-1] for row in page.items]
        return page
    total = rows[0][-1] if rows else 0
    return Page([row[:-1] for row in rows], number, max(1, -(-total // per_page)), total, per_page)
