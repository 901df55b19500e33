"""Per-client facts kept on write: signing (and amending) keeps the last checkup and the report in force
right in the same transaction; rebuild_all and the migration's backfill compute the same from the rows."""

import datetime
import importlib.util
from decimal import Decimal
from pathlib import Path

import pytest

from checkup.models import Appointment, ClientFacts, Message, Report, Slot
from checkup.models.appointments import CANCELLED, COMPLETED
from checkup.models.base import db
from checkup.models.care import SERVICE_REMINDERS
from checkup.services.accounts import consents
from checkup.services.care import client_facts, reenrollment
from checkup.services.exam import reports
from tests import factories
from tests.report_helpers import ReportWorld

pytestmark = pytest.mark.both_dbs

MIGRATION = Path(__file__).resolve().parents[2] / "checkup" / "migrations" / "0012_client_facts.py"
EXAM_COLUMNS = ("client_id", "last_exam_day", "last_exam_appointment_id", "latest_report_id")


@pytest.fixture
def world(app):
    return ReportWorld()


def _facts(client_id):
    return ClientFacts.get_or_none(ClientFacts.client == client_id)


def _table():
    """Every facts row as plain tuples (the exam columns and the cycle marks), by client."""
    return sorted(
        ClientFacts.select(
            ClientFacts.client,
            ClientFacts.last_exam_day,
            ClientFacts.last_exam_appointment,
            ClientFacts.latest_report,
            ClientFacts.invited_for_day,
            ClientFacts.unreviewed_day,
        ).tuples()
    )


def _sign(world, appointment=None):
    world.all_results()
    return reports.sign(world.actor(), (appointment or world.appointment).id, "Summary", "Advice")


def _checkup(client, day, status=COMPLETED, report_status=None):
    """A checkup written straight to the tables (as the demo or a bulk load does), with a report if asked."""
    slot = Slot.get_or_none(Slot.day == day) or Slot.create(
        day=day, start_time=datetime.time(8), end_time=datetime.time(9), capacity=50
    )
    appointment = Appointment.create(
        exam_code=f"F{client.id:04d}{day:%y%m%d}{Appointment.select().count():03d}",
        client=client,
        slot=slot,
        day=day,
        status=status,
        total_price=Decimal("300"),
        self_amount=Decimal("300"),
    )
    if report_status:
        Report.create(appointment=appointment, status=report_status, signed_at=datetime.datetime(2026, 1, 1))
    return appointment


def test_signing_records_the_last_checkup_and_the_report_in_force(world):
    assert _facts(world.client.id) is None
    report = _sign(world)
    facts = _facts(world.client.id)
    assert facts.last_exam_day == world.appointment.day
    assert facts.last_exam_appointment_id == world.appointment.id
    assert facts.latest_report_id == report.id
    assert (facts.unreviewed_day, facts.invited_for_day) == (world.appointment.day, None)  # a new cycle


def test_the_facts_roll_back_with_the_signing(world):
    world.all_results()
    with db.atomic() as transaction:
        reports.sign(world.actor(), world.appointment.id, "Summary", "Advice")
        assert _facts(world.client.id).latest_report_id is not None
        transaction.rollback()
    assert _facts(world.client.id) is None
    assert Appointment.get_by_id(world.appointment.id).status != COMPLETED


def test_an_amendment_puts_its_version_in_force_and_publishing_keeps_it(world):
    first = _sign(world)
    second = reports.amend(world.actor(), first.id, "Typing error", "Summary corrected", "Advice")
    assert _facts(world.client.id).latest_report_id == second.id
    reports.publish(second.id)  # (the PDF task may have published it already)
    assert Report.get_by_id(second.id).status == "published"
    assert _facts(world.client.id).latest_report_id == second.id
    third = reports.amend(world.actor(), second.id, "Second look", "Summary again", "Advice")
    assert _facts(world.client.id).latest_report_id == third.id


def test_a_checkup_signed_now_starts_the_clients_next_re_enrollment_cycle(world):
    last_year = world.last_year({world.glu: 5.5})  # written straight to the tables: completed, no report
    client_facts.refresh([world.client.id])
    consents.record(None, world.client.id, SERVICE_REMINDERS, True, "registration")
    today = world.appointment.day
    assert _facts(world.client.id).last_exam_appointment_id == last_year.id
    assert reenrollment.due_clients(today) == []  # checked in today: not due
    _sign(world)
    assert _facts(world.client.id).last_exam_day == today
    assert reenrollment.due_clients(today + datetime.timedelta(days=300)) == []
    eleven_months_on = today + datetime.timedelta(days=340)
    assert [c.id for c, _ in reenrollment.due_clients(eleven_months_on)] == [world.client.id]


def test_the_latest_checkup_wins_whatever_order_reports_are_signed(app):
    person = factories.make_client(name="周杰", email="zhou@example.com")
    newer = _checkup(person, datetime.date(2025, 6, 1), report_status="published")
    older = _checkup(person, datetime.date(2024, 6, 1))
    client_facts.refresh([person.id])
    Report.create(appointment=older, status="signed", signed_at=datetime.datetime(2026, 2, 1))  # signed late
    client_facts.refresh([person.id])
    facts = _facts(person.id)
    newer_report = Report.get(Report.appointment == newer.id)
    assert (facts.last_exam_day, facts.last_exam_appointment_id) == (newer.day, newer.id)
    assert facts.latest_report_id == newer_report.id
    same_day = _checkup(person, newer.day)  # two checkups the same day: the later one
    client_facts.refresh([person.id])
    assert _facts(person.id).last_exam_appointment_id == same_day.id
    assert _facts(person.id).latest_report_id == newer_report.id  # the latest checkup *with* a report


def test_a_draft_or_superseded_report_is_never_in_force(app):
    person = factories.make_client(name="吴敏", email="wu@example.com")
    _checkup(person, datetime.date(2025, 3, 1), report_status="superseded")
    _checkup(person, datetime.date(2025, 4, 1), report_status="draft")
    client_facts.refresh([person.id])
    facts = _facts(person.id)
    assert (facts.last_exam_day, facts.latest_report_id) == (datetime.date(2025, 4, 1), None)


def test_a_client_whose_checkups_went_away_keeps_a_row_of_nothing(app):
    person = factories.make_client(name="郑爽", email="zheng@example.com")
    appointment = _checkup(person, datetime.date(2025, 5, 5), report_status="published")
    client_facts.refresh([person.id])
    Appointment.update(status=CANCELLED).where(Appointment.id == appointment.id).execute()
    Report.update(status="superseded").where(Report.appointment == appointment.id).execute()
    client_facts.refresh([person.id])
    facts = _facts(person.id)
    assert (facts.last_exam_day, facts.last_exam_appointment_id, facts.latest_report_id) == (None, None, None)
    cancelled_only = factories.make_client(name="冯媛", email="feng@example.com")
    _checkup(cancelled_only, datetime.date(2025, 5, 5), status=CANCELLED)
    client_facts.refresh([cancelled_only.id])
    assert _facts(cancelled_only.id).last_exam_day is None


def test_rebuild_all_finds_what_the_writes_kept(world):
    report = _sign(world)
    reports.amend(world.actor(), report.id, "Typing error", "Summary corrected", "Advice")
    other = factories.make_client(name="许晴", email="xu@example.com")
    _checkup(other, datetime.date(2025, 1, 10), report_status="published")
    client_facts.refresh([other.id])
    last_day = datetime.date(2025, 1, 10)
    Message.create(
        client=other,
        kind="reenrollment",
        dedupe_key=reenrollment.invitation_key(other.id, last_day),
        email=other.email,
        status="sent",
    )
    reenrollment.rebuild_invitation_state()
    kept = _table()
    ClientFacts.delete().execute()
    assert client_facts.rebuild_all() == 2
    assert _table() == kept
    assert _facts(other.id).invited_for_day == last_day


def test_the_migration_backfills_what_rebuild_all_computes(world):
    _sign(world)
    other = factories.make_client(name="韩梅", email="han@example.com")
    old = _checkup(other, datetime.date(2024, 11, 2), report_status="published")
    _checkup(other, datetime.date(2025, 11, 2))  # completed, no report yet
    Message.create(
        client=other,
        kind="reenrollment",
        dedupe_key=reenrollment.invitation_key(other.id, datetime.date(2025, 11, 2)),
        email=other.email,
        status="sent",
    )
    client_facts.rebuild_all()
    rebuilt = _table()
    assert _facts(other.id).latest_report_id == Report.get(Report.appointment == old.id).id
    spec = importlib.util.spec_from_file_location("client_facts_migration", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with db.atomic() as transaction:  # DDL is transactional on both: the test leaves the table as it was
        migration.down(None, db.obj)
        migration.up(None, db.obj)
        assert _table() == rebuilt
        transaction.rollback()
    assert _table() == rebuilt
