"""The care lists' prepared statements: one name per shape of the SQL, short enough for PostgreSQL (it cuts
names at 63 bytes, and two statements under one cut name would run each other's SQL)."""

import itertools

from checkup.services.care import followup_worklist
from checkup.services.care.followup_worklist import Filters, _Shape
from checkup.services.care.followups import DUE_FILTERS, STATUSES, Viewer


def test_every_worklist_shape_has_a_statement_name_of_its_own():
    viewers = [Viewer(1, True, True, (2, 3)), Viewer(1, False, False)] + [
        Viewer(1, False, True, tuple(range(1, heads + 1))) for heads in (0, 1, 2, 12, 99)
    ]
    names = {}
    for viewer, level, status, due, department, assignee, page in itertools.product(
        viewers, ("", "A"), STATUSES, ("", *DUE_FILTERS), (None, 4), ("", "me", "none", "17"), (1, 3)
    ):
        shape = _Shape.of(viewer, Filters(level, status, due, department, assignee, page))
        name = shape.name()
        assert len(name.encode()) <= 63, name
        assert names.setdefault(name, shape) == shape, f"{name} names two shapes"
        # every parameter the shape names has a value
        assert len(shape.parameters()) == len(set(shape.parameters()))
    assert len(names) > 1000


def test_the_page_size_is_part_of_the_shape(monkeypatch):
    viewer = Viewer(1, False, True, ())
    before = _Shape.of(viewer, Filters())
    monkeypatch.setattr(followup_worklist, "PER_PAGE", 3)
    after = _Shape.of(viewer, Filters())
    assert before != after and before.name() != after.name()
