"""What HR sees of its roster: the status rule, the dashboard counts, the employee list and its export."""

import datetime
import io

import pytest
from openpyxl import load_workbook
from peewee import JOIN

from checkup.core.audit import Actor
from checkup.core.errors import NotFound
from checkup.models import Appointment, AuditEvent, Enrollment
from checkup.services.groups import enrollments
from checkup.services.groups.enrollments import EmployeeFilters, enrollment_status
from tests import factories
from tests.enrollment_helpers import Roster

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def roster(app):
    roster = Roster()
    roster.employee("Ann Not", "not_invited", department="Sales")
    roster.employee("Ben Invited", "invited", department="Sales")
    roster.employee("Cat Cancelled", "cancelled", department="Sales")
    roster.employee("Dan Booked", "booked", department="Plant", category="Managers")
    roster.employee("Eve CheckedIn", "checked_in", department="Plant")
    roster.employee("Fay Completed", "completed", department="Plant", category="Managers")
    roster.employee("Gus NoShow", "no_show", department="")
    return roster


@pytest.mark.parametrize(
    "invited,appointment,expected",
    [
        (False, None, "not_invited"),
        (True, None, "invited"),
        (False, "cancelled", "not_invited"),
        (True, "cancelled", "invited"),
        (True, "booked", "booked"),
        (False, "booked", "booked"),
        (True, "checked_in", "checked_in"),
        (True, "completed", "completed"),
        (True, "no_show", "no_show"),
    ],
)
def test_status_derives_from_the_current_appointment(invited, appointment, expected):
    assert enrollment_status(datetime.datetime(2025, 1, 1) if invited else None, appointment) == expected


def test_sql_status_agrees_with_the_rule_for_every_enrollment(roster):
    rows = (
        Enrollment.select(Enrollment.invited_at, Appointment.status, enrollments.status_sql().alias("s"))
        .join(Appointment, JOIN.LEFT_OUTER, on=(Enrollment.appointment == Appointment.id))
        .tuples()
    )
    assert [s for _, _, s in rows] == [enrollment_status(i, a) for i, a, _ in rows]
    assert sorted(s for _, _, s in rows) == sorted(
        ["not_invited", "invited", "invited", "booked", "checked_in", "completed", "no_show"]
    )


def test_dashboard_counts_overall_by_department_and_by_category(roster, count_queries):
    with count_queries() as q:
        (progress,) = enrollments.dashboard(roster.org.id)
    assert q.count == 2
    assert progress.totals.by_status == {
        "not_invited": 1,
        "invited": 2,
        "booked": 1,
        "checked_in": 1,
        "completed": 1,
        "no_show": 1,
    }
    assert progress.totals.total == 7
    departments = {name: counts.by_status for name, counts in progress.by_department}
    assert [name for name, _ in progress.by_department] == ["Plant", "Sales", ""]
    assert departments["Sales"] == {
        "not_invited": 1,
        "invited": 2,
        "booked": 0,
        "checked_in": 0,
        "completed": 0,
        "no_show": 0,
    }
    assert departments[""]["no_show"] == 1
    categories = dict(progress.by_category)
    assert [label for label, _ in progress.by_category] == ["Staff", "Managers"]
    assert categories["Managers"].by_status["booked"] == 1 and categories["Managers"]["completed"] == 1
    assert categories["Staff"].total == 5


def test_dashboard_query_count_does_not_grow_with_contracts_or_rows(roster, count_queries):
    with count_queries() as few:
        enrollments.dashboard(roster.org.id)
    second = Roster(organization=roster.org, center=roster.center)
    for n in range(12):
        second.employee(f"Extra {n}", ["invited", "booked", "completed"][n % 3], department=f"D{n % 4}")
    with count_queries() as many:
        progress = enrollments.dashboard(roster.org.id)
    assert len(progress) == 2 and few.count == many.count == 2


def test_dashboard_leaves_out_contracts_closed_long_ago_and_other_organizations(roster):
    from checkup.core import clock

    long_ago = clock.today() - datetime.timedelta(days=800)
    factories.make_contract(
        roster.org, status="closed", window_start=long_ago, window_end=long_ago + datetime.timedelta(days=30)
    )
    factories.make_contract(roster.org, status="draft")
    factories.make_contract(status="active")  # another company's
    shown = [p.contract.status for p in enrollments.dashboard(roster.org.id)]
    assert shown == ["active", "draft"]


def test_another_organizations_contract_is_not_found(roster):
    other = factories.make_organization("Other Co")
    with pytest.raises(NotFound):
        enrollments.employee_page(other.id, roster.contract.id, EmployeeFilters())
    with pytest.raises(NotFound):
        enrollments.export_employees(Actor(), other.id, roster.contract.id, EmployeeFilters())
    with pytest.raises(NotFound):
        enrollments.contract_for_hr(roster.org.id, 10**12)


@pytest.mark.parametrize(
    "filters,names",
    [
        (
            EmployeeFilters(),
            {"Ann Not", "Ben Invited", "Cat Cancelled", "Dan Booked", "Eve CheckedIn", "Fay Completed", "Gus NoShow"},
        ),
        (EmployeeFilters(status="invited"), {"Ben Invited", "Cat Cancelled"}),
        (EmployeeFilters(status="completed"), {"Fay Completed"}),
        (EmployeeFilters(department="Plant"), {"Dan Booked", "Eve CheckedIn", "Fay Completed"}),
        (EmployeeFilters(department="-"), {"Gus NoShow"}),
        (EmployeeFilters(search="ben"), {"Ben Invited"}),
        (EmployeeFilters(search="%"), set()),
        (
            EmployeeFilters(status="bogus"),
            {"Ann Not", "Ben Invited", "Cat Cancelled", "Dan Booked", "Eve CheckedIn", "Fay Completed", "Gus NoShow"},
        ),
    ],
)
def test_employee_list_filters(roster, filters, names):
    page = enrollments.employee_page(roster.org.id, roster.contract.id, filters)
    assert {row.name for row in page.items} == names


def test_employee_list_by_category_and_rows_carry_status_only(roster):
    managers = roster.categories["Managers"].id
    page = enrollments.employee_page(roster.org.id, roster.contract.id, EmployeeFilters(category_id=managers))
    assert {(row.name, row.status, row.category) for row in page.items} == {
        ("Dan Booked", "booked", "Managers"),
        ("Fay Completed", "completed", "Managers"),
    }
    assert set(page.items[0]._fields) == {
        "enrollment_id",
        "employee_no",
        "name",
        "department",
        "category",
        "status",
        "invited_at",
        "has_email",
    }


def test_employee_list_pages(roster):
    for n in range(enrollments.PER_PAGE):
        roster.employee(f"Many {n}")
    first = enrollments.employee_page(roster.org.id, roster.contract.id, EmployeeFilters(), 1)
    second = enrollments.employee_page(roster.org.id, roster.contract.id, EmployeeFilters(), 2)
    assert (first.total, first.pages, len(first.items), len(second.items)) == (57, 2, 50, 7)
    assert not {r.enrollment_id for r in first.items} & {r.enrollment_id for r in second.items}


def test_export_neutralises_formulas_and_is_audited(roster):
    roster.employee('=HYPERLINK("http://evil.test","x")', department="+cmd|' /C calc'!A0", employee_no="@SUM(1)")
    hr = factories.make_user("hr", organization=roster.org)
    filename, data = enrollments.export_employees(
        Actor(hr, "10.0.0.1"), roster.org.id, roster.contract.id, EmployeeFilters()
    )
    assert filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("Employee number", "Full name", "Company department", "Category", "Status")
    assert len(rows) == 9
    evil = next(r for r in rows if "HYPERLINK" in str(r[1]))
    assert evil[0] == "'@SUM(1)" and evil[1].startswith("'=") and evil[2].startswith("'+")
    assert {r[4] for r in rows[1:]} == {"Not invited", "Invited", "Booked", "Checked in", "Completed", "No-show"}
    event = AuditEvent.get(AuditEvent.action == "hr.export")
    assert (event.user_id, event.object_id, event.ip) == (hr.id, str(roster.contract.id), "10.0.0.1")
    assert '"rows": 8' in event.detail


def test_the_status_chart_is_laid_out_once_with_every_figure():
    counts = enrollments.Counts()
    for status, n in {"not_invited": 1, "invited": 200, "completed": 50}.items():
        counts.add(status, n)
    chart = counts.chart()
    assert counts.figures == (1, 200, 0, 0, 50, 0, 251)
    assert chart.description == "Not invited: 1; Invited: 200; Booked: 0; Checked in: 0; Completed: 50; No-show: 0"
    assert [bar.status for bar in chart.bars] == list(enrollments.STATUSES) and chart.height == 190
    bars = {bar.status: bar for bar in chart.bars}
    # (baseline, top, width %, end %): the longest bar ends at 84 %, a quarter of it is 12 % long, a count
    # too small to measure still shows a sliver, a zero none
    assert (bars["not_invited"].baseline, bars["not_invited"].top) == (22, 8)
    assert (bars["invited"].baseline, bars["invited"].width, bars["invited"].end) == (52, 48.0, 84.0)
    assert (bars["completed"].width, bars["completed"].end) == (12.0, 48.0)
    assert (bars["not_invited"].width, bars["not_invited"].end) == (0.3, 36.3)
    assert (bars["booked"].width, bars["booked"].end, bars["booked"].count) == (0.0, 36.0, 0)


def test_an_empty_roster_charts_zero_bars():
    chart = enrollments.Counts().chart()
    assert {(bar.count, bar.width) for bar in chart.bars} == {(0, 0.0)}


def test_picking_a_listed_contract_needs_no_query_and_another_organizations_is_not_found(roster, count_queries):
    choices = enrollments.org_contracts(roster.org.id)
    with count_queries() as q:
        assert enrollments.pick_contract(roster.org.id, roster.contract.id, choices) is choices[0]
    assert q.count == 0
    other = Roster(center=roster.center, name="Other Co")
    with pytest.raises(NotFound):
        enrollments.pick_contract(roster.org.id, other.contract.id, choices)


def test_the_employee_page_rows_are_the_ones_peewee_reads(roster):
    """The page reads its rows as the driver returns them (core/plain_rows): the same values and types."""
    page = enrollments.employee_page(roster.org.id, roster.contract.id, EmployeeFilters())
    assert page.items == list(enrollments.employee_rows(roster.contract, EmployeeFilters()))
    invited = next(row for row in page.items if row.name == "Ben Invited")
    assert isinstance(invited.invited_at, datetime.datetime) and invited.has_email is True
