"""The employee list's department choices (services/groups/enrollments.filter_choices), read from the counts the
database keeps (enrollment_count, migration 0030): on both databases every department of this contract's roster
once, in the order of names a plain DISTINCT gave, whatever the employees' states, and none of another contract's."""

import pytest

from checkup.models import Enrollment
from checkup.services.groups.enrollments import filter_choices
from tests.enrollment_helpers import Roster

pytestmark = pytest.mark.both_dbs


def test_every_department_once_in_order_and_only_this_contracts(app):
    roster = Roster()
    states = ("not_invited", "invited", "booked", "checked_in", "completed", "no_show", "cancelled")
    departments = ("Sales", "", "Plant", "sales", "Zeta & <Co>", "Plant", "Ärzte", "Sales", "", "Aa")
    for number, department in enumerate(departments):
        roster.employee(f"Employee {number}", states[number % len(states)], department=department)
    other = Roster(center=roster.center, name="Other Co")
    other.employee("Olga Other", "completed", department="Secret department")

    shown, categories = filter_choices(roster.contract)

    # the plain DISTINCT the list read before, in the database's own order of names
    plain = (
        Enrollment.select(Enrollment.department)
        .where(Enrollment.contract == roster.contract.id)
        .distinct()
        .order_by(Enrollment.department)
    )
    assert shown == [department for (department,) in plain.tuples()]
    assert sorted(shown) == sorted(set(departments))
    assert {label for _id, label in categories} == {"Staff", "Managers"}


def test_an_empty_roster_has_no_departments(app):
    assert filter_choices(Roster().contract)[0] == []
