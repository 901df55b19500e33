"""Model objects built from rows of plain columns (core/plain_rows, ``PreparedSelect.plain``), as peewee would
build them from a select of the same columns: ``__data__`` keyed by field name, a joined row in ``__rel__``,
nothing marked changed; without peewee's per-column conversions and setattrs, which on the review page's
hundred-odd rows of a dozen columns, or a package's ~40 items on every booking page, cost more than reading them.

Only for models whose selected fields are plain columns (numbers, text, booleans, dates, datetimes): see
core/plain_rows."""

from collections.abc import Sequence
from typing import Any, TypeVar, cast

from peewee import Model

M = TypeVar("M", bound=Model)


def field_names(model: type[Model]) -> tuple[str, ...]:
    """The names of ``model``'s fields in the order ``model.select()`` selects their columns."""
    return tuple(field.name for field in model._meta.sorted_fields)


def model_of(model: type[M], names: Sequence[str], values: Sequence[Any]) -> M:
    """The ``model`` object a selected row's ``values`` (of the fields ``names``, in order) describe."""
    row: Any = model.__new__(model)
    row.__data__ = dict(zip(names, values, strict=True))
    row._dirty = set()
    row.__rel__ = {}
    return cast(M, row)


def models_of(model: type[M], rows: Sequence[Sequence[Any]]) -> list[M]:
    """The ``model`` objects of rows of ``model.select()`` read as plain tuples."""
    names = field_names(model)
    return [model_of(model, names, values) for values in rows]
