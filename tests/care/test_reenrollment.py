"""Annual re-enrollment: who is invited (and who is not), one invitation per checkup cycle, the funnel."""

import datetime
from decimal import Decimal

import pytest

from checkup.core import clock
from checkup.models import Appointment, AppointmentItem, Finding, Message, Report, Slot
from checkup.models.appointments import BOOKED, COMPLETED
from checkup.models.care import MARKETING_EMAIL, SERVICE_REMINDERS
from checkup.services.accounts import consents
from checkup.services.care import reenrollment
from tests import factories

pytestmark = pytest.mark.both_dbs


def _completed(client, day, package, items=(), findings=()):
    slot = Slot.get_or_none(Slot.day == day) or Slot.create(
        day=day, start_time=datetime.time(8), end_time=datetime.time(9), capacity=50
    )
    appointment = Appointment.create(
        exam_code=f"R{client.id:05d}{day:%y%m%d}",
        client=client,
        slot=slot,
        day=day,
        package=package,
        status=COMPLETED,
        total_price=Decimal("300"),
        self_amount=Decimal("300"),
    )
    for item in items:
        AppointmentItem.create(appointment=appointment, item=item, price=Decimal("10"))
    report = Report.create(appointment=appointment, status="published", signed_at=datetime.datetime(2026, 1, 1))
    for item in findings:
        Finding.create(report=report, item=item, text=f"{item.name_en} high", level="C")
    return appointment


@pytest.fixture
def world(app):
    today = clock.today()
    glu = factories.make_item("GLU", name_en="Fasting glucose", name_zh="空腹血糖")
    tsh = factories.make_item("TSH", name_en="Thyroid stimulating hormone", name_zh="促甲状腺激素")
    package = factories.make_package("BASIC", [glu], name_en="Basic checkup", name_zh="基础体检")
    eleven_months = reenrollment.months_before(today, 11)

    def client(name, email, last_day, consent=True, **kw):
        person = factories.make_client(name=name, email=email, phone="")
        _completed(person, last_day, package, items=[glu], **kw)
        if consent:
            consents.record(None, person.id, SERVICE_REMINDERS, True, "registration")
        return person

    due = client("张伟", "due@example.com", eleven_months, findings=[tsh, glu])
    recent = client("李娜", "recent@example.com", today - datetime.timedelta(days=200))
    no_consent = client("王强", "quiet@example.com", eleven_months, consent=False)
    consents.record(None, no_consent.id, MARKETING_EMAIL, True, "registration")  # marketing is not enough
    booked = client("赵敏", "booked@example.com", eleven_months - datetime.timedelta(days=30))
    future = Slot.create(
        day=today + datetime.timedelta(days=5),
        start_time=datetime.time(8),
        end_time=datetime.time(9),
        capacity=5,
        booked=1,
    )
    Appointment.create(
        exam_code="UPCOMING1",
        client=booked,
        slot=future,
        day=future.day,
        live_day=future.day,
        package=package,
        status=BOOKED,
        total_price=Decimal("300"),
        self_amount=Decimal("300"),
    )
    no_email = client("孙丽", "", eleven_months)
    return {
        "today": today,
        "due": due,
        "recent": recent,
        "no_consent": no_consent,
        "booked": booked,
        "no_email": no_email,
        "tsh": tsh,
        "package": package,
    }


def test_months_before_keeps_the_day_or_takes_the_month_end():
    assert reenrollment.months_before(datetime.date(2026, 11, 29), 11) == datetime.date(2025, 12, 29)
    assert reenrollment.months_before(datetime.date(2026, 3, 31), 1) == datetime.date(2026, 2, 28)
    assert reenrollment.months_before(datetime.date(2026, 1, 15), 13) == datetime.date(2024, 12, 15)


def test_only_consented_clients_eleven_months_on_without_a_booking_are_due(world):
    due = reenrollment.due_clients(world["today"])
    assert [client.id for client, _ in due] == [world["due"].id]
    assert due[0][1] == reenrollment.months_before(world["today"], 11)


def test_the_invitation_suggests_last_package_and_the_finding_items_it_lacks(app, world, outbox):
    app.config["CLIENT_LOCALE"] = "zh"  # the lapsed client has no account: the center's language for clients
    assert reenrollment.send_invitations(world["today"]) == 1
    messages = outbox()
    assert len(messages) == 1
    text = messages[0].get_content()
    assert messages[0]["To"] == "due@example.com"
    assert "张伟" in text and "促甲状腺激素" in text  # TSH is a finding item not in the package
    assert "/preferences/" in text  # the manage/unsubscribe link
    package, items = reenrollment.suggestion(world["due"].id, reenrollment.months_before(world["today"], 11))
    assert package.code == "BASIC" and [i.code for i in items] == ["TSH"]


def test_a_rerun_or_retry_sends_nothing_twice(world, outbox):
    reenrollment.send_invitations(world["today"])
    assert reenrollment.send_invitations(world["today"]) == 0
    assert reenrollment.send_invitations(world["today"] + datetime.timedelta(days=1)) == 0
    assert len(outbox()) == 1
    assert Message.select().where(Message.kind == "reenrollment").count() == 1


def test_withdrawal_takes_effect_before_the_next_message(world, outbox):
    consents.record(None, world["due"].id, SERVICE_REMINDERS, False, "privacy_page")
    assert reenrollment.send_invitations(world["today"]) == 0
    assert outbox() == []


def test_funnel_counts_invited_booked_and_completed(world):
    reenrollment.send_invitations(world["today"])
    flow = reenrollment.funnel()
    assert (flow["invited"], flow["booked"], flow["completed"]) == (1, 0, 0)
    assert flow["due"] == 1  # still due until they book
    slot = Slot.create(
        day=world["today"] + datetime.timedelta(days=3),
        start_time=datetime.time(10),
        end_time=datetime.time(11),
        capacity=5,
        booked=1,
    )
    Appointment.create(
        exam_code="AGAIN0001",
        client=world["due"],
        slot=slot,
        day=slot.day,
        live_day=slot.day,
        package=world["package"],
        status=BOOKED,
        total_price=Decimal("300"),
        self_amount=Decimal("300"),
    )
    flow = reenrollment.funnel()
    assert (flow["due"], flow["invited"], flow["booked"], flow["rate"]) == (0, 1, 1, 100.0)


def test_counselor_sees_the_funnel_and_can_send_now(world, client, login, outbox):
    login(factories.make_user("counselor", email="care@example.com"))
    page = client.get("/care/reenrollment")
    assert page.status_code == 200 and "张伟" in page.text
    answer = client.post("/care/reenrollment/run")
    assert answer.status_code == 303
    assert len(outbox()) == 1
    assert "张伟" in client.get("/care/reenrollment").text


def test_run_periodic_runs_the_daily_job_from_the_command_line(world, app, outbox):
    outcome = app.test_cli_runner().invoke(args=["run-periodic", "--only", "reenrollment.send_invitations"])
    assert outcome.exit_code == 0, outcome.output
    assert "reenrollment.send_invitations: done" in outcome.output
    assert len(outbox()) == 1
    again = app.test_cli_runner().invoke(args=["run-periodic", "--only", "reenrollment.send_invitations"])
    assert "reenrollment.send_invitations: done" in again.output
    assert len(outbox()) == 1  # invited once this cycle
