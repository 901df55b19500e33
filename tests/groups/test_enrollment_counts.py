"""The counts the database keeps (migration 0030: ``enrollment_count`` by contract, status, department and
category; ``organization_client_count`` by organization) equal a fresh count of the rows after every kind of
write: single inserts, a roster import's multi-row inserts, the status moves of the services (invite, book,
reschedule, cancel, check-in, completion, no-show), department and category changes, anonymization, a client
moved to another organization, deletes and cascades; two transactions adding to one count lose neither; and
HR's figures read from them equal the live ones."""

import threading
from collections import Counter

import pytest
from peewee import SQL, fn
from playhouse.schema_diff import diff_models

from checkup.core import clock
from checkup.core.audit import Actor
from checkup.core.errors import NotFound
from checkup.models import Appointment, Client, Enrollment, GroupContract
from checkup.models.appointments import COMPLETED
from checkup.models.base import db
from checkup.models.groups import EnrollmentCount, OrganizationClientCount
from checkup.services.accounts import organizations
from checkup.services.exam import exam_day
from checkup.services.groups import enrollments, group_booking, invitations
from checkup.services.groups.enrollments import STATUSES, EmployeeFilters
from checkup.services.groups.roster import roster
from checkup.services.privacy import anonymization
from tests import factories
from tests.enrollment_helpers import Roster, move_clock
from tests.group_booking_helpers import GroupCenter, enroll
from tests.roster_helpers import RosterWorld, csv_bytes, employee

pytestmark = pytest.mark.both_dbs


def fresh_enrollment_counts():
    key = (Enrollment.contract, Enrollment.status, Enrollment.department, Enrollment.category)
    rows = Enrollment.select(*key, fn.COUNT(SQL("*"))).group_by(*key).tuples()
    return {(contract, status, department, category): n for contract, status, department, category, n in rows}


def fresh_client_counts():
    rows = (
        Client.select(Client.organization, fn.COUNT(SQL("*")))
        .where(Client.organization.is_null(False))
        .group_by(Client.organization)
        .tuples()
    )
    return dict(rows)


def assert_counts_kept():
    """Every kept count equals a fresh count (a count at 0 may keep its row; none is ever below 0)."""
    kept = list(
        EnrollmentCount.select(
            EnrollmentCount.contract_id,
            EnrollmentCount.status,
            EnrollmentCount.department,
            EnrollmentCount.category_id,
            EnrollmentCount.n,
        ).tuples()
    )
    assert all(n >= 0 for *_key, n in kept), kept
    assert {tuple(key): n for *key, n in kept if n} == fresh_enrollment_counts()
    kept_clients = list(
        OrganizationClientCount.select(OrganizationClientCount.organization_id, OrganizationClientCount.n).tuples()
    )
    assert all(n >= 0 for _organization, n in kept_clients), kept_clients
    assert {organization: n for organization, n in kept_clients if n} == fresh_client_counts()


def assert_hr_figures(organization_id, contract):
    """HR's figures (dashboard, roster size, the list's counts, department choices) equal live counts."""
    live = list(
        Enrollment.select(Enrollment.status, Enrollment.department, Enrollment.category)
        .where(Enrollment.contract == contract.id)
        .tuples()
    )
    by_status = Counter(status for status, _department, _category in live)
    progress = next(p for p in enrollments.dashboard(organization_id) if p.contract.id == contract.id)
    assert {s: n for s, n in progress.totals.by_status.items() if n} == dict(by_status)
    departments = {department for _status, department, _category in live}
    assert {d for d, _counts in progress.by_department} == departments
    for department, counts in progress.by_department:
        assert counts.total == sum(1 for _s, d, _c in live if d == department)
    plain = (
        Enrollment.select(Enrollment.department)
        .where(Enrollment.contract == contract.id)
        .distinct()
        .order_by(Enrollment.department)
    )
    assert enrollments.filter_choices(contract)[0] == [department for (department,) in plain.tuples()]
    for status in ("", *STATUSES):
        for department in ("", "-", *departments):
            filters = EmployeeFilters(status=status, department=department)
            expected = sum(
                1
                for s, d, _c in live
                if (not status or s == status) and (not department or d == ("" if department == "-" else department))
            )
            assert enrollments.count_employees(contract, filters) == expected
            assert enrollments.count_employees(contract, filters, up_to=1) == min(expected, 1)
            assert enrollments.contract_employee_page(contract, filters).total == expected
    category = next(iter({c for _s, _d, c in live}), None)
    if category is not None:
        filters = EmployeeFilters(category_id=category)
        assert enrollments.count_employees(contract, filters) == sum(1 for _s, _d, c in live if c == category)
    assert organizations.roster_size(organization_id) == fresh_client_counts().get(organization_id, 0)
    assert organizations.organization_with_roster_size(organization_id).roster_size == fresh_client_counts().get(
        organization_id, 0
    )


def test_the_tables_are_the_models(app):
    assert not diff_models(db.obj, [EnrollmentCount, OrganizationClientCount])


def test_counts_follow_the_status_moves_of_the_services(app, monkeypatch):
    world = GroupCenter()  # an enrollment made with a single INSERT
    others = [enroll(world.contract, department=department) for department in ("Sales", "Sales", "", "Plant")]
    assert_counts_kept()
    organization, contract = world.organization.id, world.contract

    # the invitation wave: one UPDATE of many rows
    invitations.send_invitations(Actor(), organization, contract.id, invitations.ALL)
    assert_counts_kept()
    assert_hr_figures(organization, contract)

    # booked, rescheduled, cancelled, booked again
    def book(enrollment, slot):
        return group_booking.book(Actor(), enrollment.id, slot.id, client_id=enrollment.client_id)

    first = book(world.enrollment, world.slot)
    assert_counts_kept()
    group_booking.reschedule(Actor(), world.enrollment.id, world.slot2.id, client_id=world.employee.id)
    assert_counts_kept()
    group_booking.cancel(Actor(), world.enrollment.id, "schedule", client_id=world.employee.id)
    assert_counts_kept()
    assert Appointment.get_by_id(first.id).status == "cancelled"
    again = book(world.enrollment, world.slot)
    second = book(others[0], world.slot)
    book(others[1], world.slot)
    assert_counts_kept()
    assert_hr_figures(organization, contract)

    # checked in at the desk, completed (the statement a signed report runs), a no-show
    move_clock(monkeypatch, days=(world.day - clock.today()).days)
    exam_day.check_in(Actor(), again.id, ["name", "birth_date", "national_id"])
    assert_counts_kept()
    Appointment.update(status=COMPLETED, live_day=None).where(Appointment.id == again.id).execute()
    assert_counts_kept()
    move_clock(monkeypatch, days=1)
    exam_day.mark_no_show(Actor(), second.id)
    assert_counts_kept()
    assert Enrollment.get_by_id(others[0].id).status == "no_show"
    assert Enrollment.get_by_id(others[1].id).status == "booked"
    assert_hr_figures(organization, contract)


def test_counts_follow_department_category_contract_and_client_changes(app):
    roster_ = Roster()
    staff = [
        roster_.employee(f"Employee {n}", state, department=department)
        for n, (state, department) in enumerate(
            [("not_invited", "Sales"), ("invited", "Sales"), ("booked", "Plant"), ("completed", ""), ("no_show", "")]
        )
    ]
    other = Roster(center=roster_.center, name="Other Co")
    other.employee("Olga Other", "completed", department="Secret department")
    assert_counts_kept()
    managers = roster_.categories["Managers"]

    # department and category, one row and many rows, as the roster's re-import writes them
    Enrollment.update(department="Plant").where(Enrollment.id == staff[0].id).execute()
    assert_counts_kept()
    Enrollment.update(category=managers, department="Office").where(
        Enrollment.id.in_([e.id for e in staff[1:4]])
    ).execute()
    assert_counts_kept()
    # an old copy of the model saved whole (every column written)
    stale = Enrollment.get_by_id(staff[4].id)
    stale.department = "Night shift"
    stale.save()
    assert_counts_kept()
    # an enrollment moved to another contract (nothing does it today; the counts follow anyway)
    Enrollment.update(contract=other.contract, category=other.categories["Staff"]).where(
        Enrollment.id == staff[0].id
    ).execute()
    assert_counts_kept()
    assert_hr_figures(roster_.org.id, roster_.contract)
    assert_hr_figures(other.org.id, other.contract)

    # anonymization blanks the department (the roster keeps the row)
    anonymization.anonymize_client(Actor(), staff[3].client_id, "request")
    assert Enrollment.get_by_id(staff[3].id).department == ""
    assert_counts_kept()
    # the appointment removed (ON DELETE SET NULL): the booked employee is back to invited
    Appointment.delete().where(Appointment.id == staff[2].appointment_id).execute()
    assert Enrollment.get_by_id(staff[2].id).status == "invited"
    assert_counts_kept()

    # clients: created with and without an organization, moved, detached, deleted
    loose = factories.make_client(name="No company")
    moved = factories.make_client(name="Moving", organization=roster_.org)
    assert_counts_kept()
    Client.update(organization=other.org).where(Client.id == moved.id).execute()
    assert_counts_kept()
    Client.update(organization=roster_.org).where(Client.id == loose.id).execute()
    Client.update(organization=None).where(Client.id == moved.id).execute()
    assert_counts_kept()
    Client.delete().where(Client.id.in_([loose.id, moved.id])).execute()
    assert_counts_kept()
    assert_hr_figures(roster_.org.id, roster_.contract)

    # deletes: one enrollment, then a whole contract (its enrollments go with it: a cascade)
    Enrollment.delete().where(Enrollment.id == staff[3].id).execute()
    assert_counts_kept()
    GroupContract.delete().where(GroupContract.id == other.contract.id).execute()
    assert not Enrollment.select().where(Enrollment.contract == other.contract.id).exists()
    assert_counts_kept()
    assert (
        not EnrollmentCount.select()
        .where(EnrollmentCount.contract_id == other.contract.id, EnrollmentCount.n != 0)
        .exists()
    )
    Enrollment.delete().execute()
    assert_counts_kept()
    assert_hr_figures(roster_.org.id, roster_.contract)


def test_a_roster_import_and_its_reimport_are_counted(app):
    world = RosterWorld(categories=["All staff", "Managers"])
    staff = {"category": "All staff"}

    def imported(rows):
        uploaded = roster.upload(world.actor(), world.organization.id, world.contract.id, "r.csv", csv_bytes(rows))
        return roster.request_commit(world.actor(), world.organization.id, world.contract.id, uploaded.id)

    assert imported([employee(n, department=f"D{n % 3}", **staff) for n in range(1, 31)]).state == "imported"
    assert_counts_kept()
    assert fresh_client_counts()[world.organization.id] == 30
    # re-imported: departments and categories change, new employees come
    rows = [
        employee(n, department=f"D{n % 4}", category="Managers" if n % 5 == 0 else "All staff") for n in range(1, 41)
    ]
    assert imported(rows).state == "imported"
    assert_counts_kept()
    assert_hr_figures(world.organization.id, world.contract)


def test_two_transactions_adding_to_one_count_lose_neither(app):
    roster_ = Roster()
    roster_.employee("First", "not_invited", department="Sales")
    clients = [factories.make_client(name=f"Racer {n}", organization=roster_.org) for n in range(2)]
    key = dict(contract=roster_.contract.id, category=roster_.categories["Staff"].id, department="Sales")
    first_wrote, release = threading.Event(), threading.Event()
    errors = []

    def add(client, employee_no, hold):
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                with db.atomic():
                    Enrollment.create(client=client.id, employee_no=employee_no, **key)
                    Client.create(
                        name=f"New {employee_no}", sex="female", birth_date=client.birth_date, organization=roster_.org
                    )
                    if hold:  # the count rows stay locked by this transaction until it commits
                        first_wrote.set()
                        release.wait(10)
            except Exception as error:  # noqa: BLE001 - the test reports it
                errors.append(error)
            finally:
                db.close()

    db.close()
    holder = threading.Thread(target=add, args=(clients[0], "R1", True))
    holder.start()
    assert first_wrote.wait(10)
    follower = threading.Thread(target=add, args=(clients[1], "R2", False))
    follower.start()
    follower.join(0.5)
    assert follower.is_alive()  # waiting for the holder's lock (PostgreSQL's row lock, SQLite's write lock)
    release.set()
    holder.join(20)
    follower.join(20)
    db.connect(reuse_if_open=True)
    assert not errors
    assert_counts_kept()
    count = EnrollmentCount.get(
        EnrollmentCount.contract_id == roster_.contract.id,
        EnrollmentCount.status == "not_invited",
        EnrollmentCount.department == "Sales",
    )
    assert count.n == 3
    assert organizations.roster_size(roster_.org.id) == 5  # First, two racers, two new


def test_another_organizations_contract_stays_not_found(app):
    mine = Roster()
    theirs = Roster(center=mine.center, name="Theirs Co")
    theirs.employee("Secret", "booked", department="Secret department")
    with pytest.raises(NotFound):
        enrollments.employee_page(mine.org.id, theirs.contract.id, EmployeeFilters())
    assert [p.contract.id for p in enrollments.dashboard(mine.org.id)] == [mine.contract.id]
    (progress,) = enrollments.dashboard(mine.org.id)
    assert progress.totals.total == 0 and progress.by_department == []
    assert enrollments.filter_choices(mine.contract)[0] == []
    assert organizations.roster_size(mine.org.id) == 0
