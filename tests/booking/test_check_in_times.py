"""The day sheet's check-in times (services/exam/day_sheets._check_in_times) read through a prepared select per
padded length of the page's ids: the same times whatever the number of ids (none, each size, between sizes,
past the largest), only check-in events of appointments, and one query each time."""

import datetime

import pytest

from checkup.core import clock
from checkup.models import AuditEvent
from checkup.services.exam import day_sheets

pytestmark = pytest.mark.both_dbs

AT = datetime.datetime(2026, 3, 4, 1, 0)


def _event(object_id, minutes, action="exam_day.checked_in", object_type="appointment"):
    AuditEvent.create(
        action=action, object_type=object_type, object_id=str(object_id), at=AT + datetime.timedelta(minutes=minutes)
    )


@pytest.mark.parametrize("count", [0, 1, 3, 4, 5, 16, 17, 50, 51, 60])
def test_the_times_of_the_ids_asked(app, count, count_queries):
    for n in range(1, 61):
        _event(n, n)
    _event(1, 99, action="exam_day.no_show")  # another action
    _event(2, 99, object_type="slot")  # another kind of object
    ids = list(range(1, count + 1))
    with count_queries() as q:
        times = day_sheets._check_in_times(ids)
    assert q.count == 1
    assert times == {n: clock.from_utc(AT + datetime.timedelta(minutes=n)) for n in ids}
