"""The management dashboard's figures, its export, and contract renewal tasks."""

import datetime
import io
import json
from decimal import Decimal

import pytest

from checkup.core import clock
from checkup.core.audit import Actor
from checkup.models import Appointment, AuditEvent, Enrollment, FollowUp, Referral, RenewalTask, Report, Slot, Survey
from checkup.models.appointments import CANCELLED, COMPLETED, NO_SHOW
from checkup.models.base import utcnow
from checkup.services.admin import management
from checkup.services.care import renewals
from checkup.services.money import ledger
from tests import factories

pytestmark = pytest.mark.both_dbs


def _appointment(
    client,
    day,
    status,
    source="individual",
    price="300",
    package=None,
    code=None,
    cancelled_at=None,
    start=datetime.time(8),
):
    slot = Slot.get_or_none(Slot.day == day, Slot.start_time == start) or Slot.create(
        day=day, start_time=start, end_time=datetime.time(start.hour + 1), capacity=50
    )
    return Appointment.create(
        exam_code=code or f"M{Appointment.select().count():07d}",
        client=client,
        slot=slot,
        day=day,
        package=package,
        status=status,
        source=source,
        total_price=Decimal(price),
        company_amount=Decimal(price) if source == "group" else 0,
        self_amount=0 if source == "group" else Decimal(price),
        cancelled_at=cancelled_at,
    )


@pytest.fixture
def figures(app):
    today = clock.today()
    past = today - datetime.timedelta(days=10)
    package = factories.make_package("MIX", [factories.make_item("X1")], name_en="Mixed", name_zh="综合")
    person = factories.make_client(name="周杰")
    for n in range(3):
        _appointment(person, past - datetime.timedelta(days=n), COMPLETED, package=package)
    _appointment(person, past, COMPLETED, source="group", price="500", start=datetime.time(9))
    _appointment(person, past, NO_SHOW, start=datetime.time(10))
    yesterday = today - datetime.timedelta(days=1)
    starts = clock.local(yesterday, datetime.time(8)).astimezone(datetime.UTC)
    _appointment(person, yesterday, CANCELLED, cancelled_at=starts.replace(tzinfo=None) - datetime.timedelta(hours=3))
    report = Report.create(appointment=Appointment.select().first(), status="published")
    counselor = factories.make_user("counselor", email="sla@example.com", name="陈顾问")
    now = utcnow()
    FollowUp.create(
        client=person,
        report=report,
        level="A",
        due_at=now,
        status="closed",
        closed_at=now - datetime.timedelta(hours=1),
        closed_by=counselor,
    )
    FollowUp.create(
        client=person,
        report=report,
        level="A",
        due_at=now - datetime.timedelta(days=2),
        status="closed",
        closed_at=now,
        closed_by=counselor,
    )
    FollowUp.create(client=person, report=report, level="C", due_at=now - datetime.timedelta(days=1))
    for status in ("completed", "completed", "declined", "proposed"):
        Referral.create(client=person, target_kind="external", hospital="市第一医院", reason="x", status=status)
    Survey.create(report=report, client=person, answered_at=now, overall=4)
    ledger.post_missing_charges()  # made without booking: the ledger's charges, which revenue reads
    return {"today": today, "package": package}


def test_dashboard_figures(figures):
    data = management.dashboard()
    months = dict(data["throughput"]["months"])
    assert sum(months.values()) == 4
    assert data["revenue"]["individual"] == Decimal("900") and data["revenue"]["group"] == Decimal("500")
    assert data["attendance"]["no_show_rate"] == 20.0  # 1 no-show of 5 past appointments that were due
    assert data["attendance"]["late_cancels"] == 1
    levels = {level: (percent, n) for level, percent, n in data["sla"]["levels"]}
    assert levels == {"A": (50.0, 2)}
    assert data["sla"]["open_overdue"] == 1
    assert data["referrals"]["conversion"] == round(100 * 2 / 3, 1) and data["referrals"]["open"] == 1
    assert data["satisfaction"]["average"] == 4
    mix = {package.code if package else None: n for package, n in data["packages"]}
    assert mix == {"MIX": 3, None: 1}


def test_dashboard_page_and_export_for_admin(figures, client, login):
    from openpyxl import load_workbook

    login(factories.make_user("admin", email="boss@example.com"))
    page = client.get("/admin/management")
    assert page.status_code == 200
    assert "chart.umd.min.js" in page.text and 'role="img"' in page.text
    export = client.get("/admin/management.xlsx")
    assert export.status_code == 200
    book = load_workbook(io.BytesIO(export.data))
    assert len(book.sheetnames) == 10
    assert AuditEvent.select().where(AuditEvent.action == "management.exported").count() == 1


def test_dashboard_with_no_data_renders_empty_states(app, client, login):
    login(factories.make_user("admin", email="boss@example.com"))
    page = client.get("/admin/management")
    assert page.status_code == 200 and "No completed exams in this period." in page.text


def test_dashboard_content_is_printed_once_per_kept_figures_and_language(figures, app, client, login):
    """The content holds only the kept figures in one language: the same figures print the same markup without
    rendering it again; figures counted again, or the other language, print anew (and never each other's)."""
    app.config["HEADLINE_MAX_AGE_SECONDS"] = 300
    login(factories.make_user("admin", email="boss@example.com"))
    renders = []

    def count(sender, template, context, **extra):
        renders.append(template.name)

    from flask import template_rendered

    body = "management/_dashboard_body.html"
    with template_rendered.connected_to(count, app):
        first = client.get("/admin/management")
        second = client.get("/admin/management")
        assert renders.count(body) == 1
        assert first.text.split("<main", 1)[1] == second.text.split("<main", 1)[1]
        assert "Completed exams per month" in first.text and "Mixed" in first.text
        client.post("/language", data={"locale": "zh", "next": "/"})
        chinese = client.get("/admin/management")
        assert renders.count(body) == 2
        assert "每月完成体检人次" in chinese.text and "综合" in chinese.text and "Completed exams" not in chinese.text
        app.extensions["checkup.headlines"].clear()  # the figures are counted again: a new value
        client.get("/admin/management")
        assert renders.count(body) == 3


def test_renewal_task_opens_once_before_the_anniversary_with_last_years_figures(app):
    today = clock.today()
    organization = factories.make_organization("Acme Renewal Ltd", account_manager="刘经理")
    contract = factories.make_contract(
        organization,
        status="closed",
        name="2026 checkup",
        window_start=today - datetime.timedelta(days=340),
        window_end=today - datetime.timedelta(days=200),
    )
    later = factories.make_contract(
        organization,
        status="active",
        name="far away",
        window_start=today,
        window_end=today + datetime.timedelta(days=30),
    )
    category = contract.categories[0] if contract.categories else factories.make_category(contract, "all")
    person = factories.make_client(name="吴磊")
    appointment = _appointment(person, today - datetime.timedelta(days=300), COMPLETED, source="group")
    Enrollment.create(contract=contract, client=person, category=category, employee_no="E1", appointment=appointment)
    assert renewals.create_due_tasks(today) == 1
    assert renewals.create_due_tasks(today) == 0
    task = RenewalTask.get()
    assert task.contract_id == contract.id and task.contract_id != later.id
    assert task.account_manager == "刘经理"
    assert json.loads(task.figures_json)["completed"] == 1


def test_renewal_task_done_needs_a_note(app, client, login):
    today = clock.today()
    contract = factories.make_contract(
        factories.make_organization("Beta Renewal"),
        status="active",
        window_start=today - datetime.timedelta(days=330),
        window_end=today + datetime.timedelta(days=10),
    )
    renewals.create_due_tasks(today)
    task = RenewalTask.get(RenewalTask.contract == contract.id)
    login(factories.make_user("admin", email="boss@example.com"))
    assert "Beta Renewal" in client.get("/admin/renewals").text
    client.post(f"/admin/renewals/{task.id}/done", data={"note": "  "})
    assert RenewalTask.get_by_id(task.id).status == "open"
    assert client.post(f"/admin/renewals/{task.id}/done", data={"note": "Signed for 2027"}).status_code == 303
    assert RenewalTask.get_by_id(task.id).status == "done"
    assert client.post(f"/admin/renewals/{task.id}/done", data={"note": "again"}).status_code == 303
    assert client.post("/admin/renewals/999999/done", data={"note": "x"}).status_code == 303
    assert Actor  # the service records the actor; the audit row proves it
    assert AuditEvent.select().where(AuditEvent.action == "renewal.done").count() == 1
