"""The enrollment status kept by the database (migration 0023) is, after every kind of change that moves
it, exactly the status worked out live from the appointment and the invitation; and HR's figures (the
dashboard, the invitations page, the employee list's status filter) read from it equal the live counts."""

from collections import Counter

import pytest
from peewee import JOIN

from checkup.core import clock
from checkup.core.audit import Actor
from checkup.models import Appointment, Enrollment
from checkup.models.appointments import CHECKED_IN, COMPLETED
from checkup.models.base import db
from checkup.services.exam import exam_day
from checkup.services.groups import enrollments, invitations
from checkup.services.groups.enrollments import STATUSES, EmployeeFilters, enrollment_status
from tests.enrollment_helpers import Roster, move_clock

pytestmark = pytest.mark.both_dbs


def live_statuses(contract_id):
    """{enrollment id: status} worked out from the appointment and the invitation (no kept column)."""
    rows = (
        Enrollment.select(Enrollment.id, Enrollment.invited_at, Appointment.status)
        .join(Appointment, JOIN.LEFT_OUTER, on=(Enrollment.appointment == Appointment.id))
        .where(Enrollment.contract == contract_id)
        .tuples()
    )
    return {enrollment_id: enrollment_status(invited_at, status) for enrollment_id, invited_at, status in rows}


def assert_kept(roster):
    """The kept status of every enrollment, and every figure HR reads from it, equal the live ones."""
    contract = roster.contract
    live = live_statuses(contract.id)
    kept = dict(Enrollment.select(Enrollment.id, Enrollment.status).where(Enrollment.contract == contract.id).tuples())
    assert kept == live
    counts = Counter(live.values())
    (progress,) = enrollments.dashboard(roster.org.id)
    assert {s: n for s, n in progress.totals.by_status.items() if n} == dict(counts)
    figures = invitations.overview(contract)
    assert (figures.total, figures.not_invited, figures.invited) == (
        len(live),
        counts["not_invited"],
        counts["invited"],
    )
    assert figures.booked == len(live) - counts["not_invited"] - counts["invited"]
    for status in STATUSES:
        assert enrollments.count_employees(contract, EmployeeFilters(status=status)) == counts[status]
        page = enrollments.contract_employee_page(contract, EmployeeFilters(status=status))
        assert sorted(row.enrollment_id for row in page.items) == sorted(i for i, s in live.items() if s == status)
    return live


def test_the_kept_status_follows_every_change(app, monkeypatch):
    roster = Roster()
    staff = [roster.employee(f"Employee {n}", "not_invited") for n in range(4)]
    # new enrollments, already invited or booked (the bulk insert of an import: the test below)
    roster.employee("Already booked", "booked")
    roster.employee("Already invited", "invited")
    assert_kept(roster)

    # invite: the whole wave marked in one UPDATE
    invitations.send_invitations(Actor(), roster.org.id, roster.contract.id, invitations.ALL)
    assert set(assert_kept(roster).values()) == {"invited", "booked"}

    # book: an appointment linked to the enrollment
    first, second, third, fourth = staff
    for enrollment in (first, second, third):
        appointment = roster.appointment(enrollment.client, "booked")
        Enrollment.update(appointment=appointment).where(Enrollment.id == enrollment.id).execute()
    assert assert_kept(roster)[first.id] == "booked"

    # cancel: the appointment's state changes, the enrollment keeps it as its current one
    cancelled = Enrollment.get_by_id(third.id).appointment
    Appointment.update(status="cancelled", live_day=None).where(Appointment.id == cancelled.id).execute()
    assert assert_kept(roster)[third.id] == "invited"

    # check-in (the desk's service), completion, no-show (the appointment's state alone)
    move_clock(monkeypatch, days=(roster.center.day - clock.today()).days)
    checked = Enrollment.get_by_id(first.id).appointment
    exam_day.check_in(Actor(), checked.id, ["name", "birth_date", "national_id"])
    assert assert_kept(roster)[first.id] == CHECKED_IN
    Appointment.update(status=COMPLETED).where(Appointment.id == checked.id).execute()
    assert assert_kept(roster)[first.id] == COMPLETED
    missed = Enrollment.get_by_id(second.id).appointment
    move_clock(monkeypatch, days=1)
    exam_day.mark_no_show(Actor(), missed.id)
    assert assert_kept(roster)[second.id] == "no_show"

    # book again after the cancellation, then the model saved whole (every column written)
    rebooked = roster.appointment(third.client, "booked")
    enrollment = Enrollment.get_by_id(third.id)
    enrollment.appointment = rebooked
    enrollment.save()
    assert assert_kept(roster)[third.id] == "booked"
    stale = Enrollment.get_by_id(fourth.id)
    Enrollment.update(appointment=roster.appointment(fourth.client, "booked")).where(
        Enrollment.id == fourth.id
    ).execute()
    stale.save()  # an old copy written back: its appointment is gone again, and so is the booking
    assert assert_kept(roster)[fourth.id] == "invited"

    # the appointment removed (ON DELETE SET NULL) and an enrollment taken off the roster
    Appointment.delete().where(Appointment.id == rebooked.id).execute()
    assert assert_kept(roster)[third.id] == "invited"
    Enrollment.delete().where(Enrollment.id == fourth.id).execute()
    assert fourth.id not in assert_kept(roster)

    # nobody can write a status by hand: the rule wins
    Enrollment.update(status="completed").where(Enrollment.id == third.id).execute()
    assert assert_kept(roster)[third.id] == "invited"


def test_a_roster_written_in_bulk_gets_its_statuses(app):
    roster = Roster()
    booked = roster.appointment(roster.employee("Someone", "not_invited").client, "completed")
    client = booked.client
    Enrollment.delete().execute()
    with db.atomic():
        Enrollment.insert_many(
            [
                {
                    "contract": roster.contract.id,
                    "client": client.id,
                    "category": roster.categories["Staff"].id,
                    "employee_no": "B1",
                    "appointment": booked.id,
                }
            ]
        ).execute()
    assert list(assert_kept(roster).values()) == [COMPLETED]
