"""Numbers that arrive from outside (URL arguments, form fields, import cells) as ids and page numbers."""

from typing import TypeGuard

MAX_ID = 2**31 - 1  # beyond this PostgreSQL's integer (and SQLite's binding) would fail, not just miss
MAX_PAGE = 100_000


def valid_id(value: object) -> TypeGuard[int]:
    """Can ``value`` be a row id? (An int in the 32-bit key range; a bool is not an id.)"""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def storable_id(value: object) -> int | None:
    """``value`` if it can be a row id; None for ids no column holds (a URL may carry 10**30)."""
    return value if valid_id(value) else None


def id_from_text(value: object) -> int | None:
    """The id a text holds ("42", " 42 "), or None for anything else."""
    text = str(value if value is not None else "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


def parse_page(value: object) -> int:
    """A page number from a query argument: 1 for anything that is not a plausible page."""
    try:
        number: int = int(value)  # type: ignore[call-overload]  # any value at all: what int() refuses is page 1
    except (TypeError, ValueError):
        return 1
    return max(1, min(number, MAX_PAGE))
