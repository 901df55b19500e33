"""Clients' data rights, the services: requests due 15 working days later (weekends skipped), answered
or refused with an email; deletion anonymizes the client and keeps their reports; the copy of their data
(ZIP) holds their record and PDFs and nobody else's; the staff accesses they are shown; retention."""

import datetime
import json

import pytest

from checkup.core import audit, clock, national_id
from checkup.core.audit import Actor
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.models import (
    Appointment,
    AuditEvent,
    Client,
    Consent,
    DataExport,
    DataRequest,
    LoginSession,
    Message,
    Report,
    Result,
    Task,
    User,
)
from checkup.models.base import utcnow
from checkup.models.care import CONSENT_PURPOSES
from checkup.services.access import access_log
from checkup.services.accounts import accounts, consents, sessions
from checkup.services.exam import report_pdf
from checkup.services.privacy import anonymization, data_export, data_rights, deadlines
from tests import factories
from tests.data_rights_helpers import RightsWorld, zip_contents


@pytest.fixture
def world(app):
    return RightsWorld()


def on_day(monkeypatch, day):
    monkeypatch.setattr(clock, "today", lambda: day)


# --- due dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "asked, due",
    [
        (datetime.date(2026, 3, 6), datetime.date(2026, 3, 27)),  # Friday: three weeks later
        (datetime.date(2026, 3, 7), datetime.date(2026, 3, 27)),  # Saturday counts from Monday
        (datetime.date(2026, 3, 8), datetime.date(2026, 3, 27)),  # Sunday too
        (datetime.date(2026, 3, 9), datetime.date(2026, 3, 30)),  # Monday: the Monday three weeks later
        (datetime.date(2026, 3, 11), datetime.date(2026, 4, 1)),  # Wednesday
    ],
)
def test_a_request_is_due_fifteen_working_days_later_weekends_skipped(asked, due):
    assert deadlines.due_date(asked) == due
    assert deadlines.add_working_days(asked, 0) == asked


@pytest.mark.both_dbs
def test_a_correction_is_asked_answered_and_emailed(app, world, monkeypatch, outbox):
    on_day(monkeypatch, datetime.date(2026, 3, 6))
    with pytest.raises(ValidationError) as refused:
        data_rights.request_correction(world.as_client(), world.client.id, "shoe_size", "  ")
    assert set(refused.value.field_errors) == {"field", "details"}
    request = data_rights.request_correction(
        world.as_client(), world.client.id, "phone", "My phone is 13900001111, not 13800000000."
    )
    assert (request.kind, request.status, request.due_on) == ("correction", "open", datetime.date(2026, 3, 27))
    assert data_rights.queue_counts(datetime.date(2026, 3, 27)) == {"open": 1, "overdue": 0}
    assert data_rights.queue_counts(datetime.date(2026, 3, 30)) == {"open": 1, "overdue": 1}

    with pytest.raises(ValidationError) as no_note:
        data_rights.complete(world.as_admin(), request.id, " ")
    assert "note" in no_note.value.field_errors
    done = data_rights.complete(world.as_admin(), request.id, "Phone number corrected to 13900001111.")
    assert (done.status, done.handled_by_id, done.note) == (
        "done",
        world.admin.id,
        "Phone number corrected to 13900001111.",
    )
    assert done.handled_at is not None and done.outcome_email == ""  # sent, then forgotten
    with pytest.raises(Conflict):
        data_rights.complete(world.as_admin(), request.id, "again")
    with pytest.raises(Conflict):
        data_rights.refuse(world.as_admin(), request.id, "too late")

    mail = [m for m in outbox() if m["To"] == "wang@example.com" and "data request" in m["Subject"]]
    assert [m["Subject"] for m in mail] == ["Your data request is done"]
    body = mail[0].get_content()
    assert "Phone number corrected to 13900001111." in body and "Correction: Phone" in body
    actions = [
        e.action for e in AuditEvent.select().where(AuditEvent.object_type == "data_request").order_by(AuditEvent.id)
    ]
    assert actions == ["data_request.created", "data_request.done"]
    assert Message.get(Message.kind == "data_request").client_id == world.client.id


@pytest.mark.both_dbs
def test_a_refusal_needs_a_reason_and_tells_the_client_why(app, world, outbox):
    request = data_rights.request_correction(
        world.as_client(), world.client.id, "results", "My glucose was normal at home."
    )
    with pytest.raises(ValidationError) as no_reason:
        data_rights.refuse(world.as_admin(), request.id, "")
    assert "reason" in no_reason.value.field_errors
    assert DataRequest.get_by_id(request.id).status == "open"
    refused = data_rights.refuse(world.as_admin(), request.id, "The laboratory value was checked and is right.")
    assert (refused.status, refused.note) == ("refused", "The laboratory value was checked and is right.")
    mail = [m for m in outbox() if m["Subject"] == "Your data request was refused"]
    assert len(mail) == 1 and "The laboratory value was checked and is right." in mail[0].get_content()
    assert AuditEvent.select().where(AuditEvent.action == "data_request.refused").count() == 1


def test_a_client_has_at_most_five_corrections_and_one_deletion_waiting(app, world):
    for n in range(data_rights.MAX_OPEN_CORRECTIONS):
        data_rights.request_correction(world.as_client(), world.client.id, "address", f"Flat {n}")
    with pytest.raises(Conflict):
        data_rights.request_correction(world.as_client(), world.client.id, "address", "one more")
    with pytest.raises(ValidationError) as unconfirmed:
        data_rights.request_deletion(world.as_client(), world.client.id, confirmed=False)
    assert "confirmed" in unconfirmed.value.field_errors
    data_rights.request_deletion(world.as_client(), world.client.id, confirmed=True, reason="Moving abroad.")
    with pytest.raises(Conflict):
        data_rights.request_deletion(world.as_client(), world.client.id, confirmed=True)
    assert [r.kind for r in data_rights.client_requests(world.client.id)][0] == "deletion"


# --- deletion ----------------------------------------------------------------------------------------


@pytest.mark.both_dbs
def test_deletion_anonymizes_the_client_and_keeps_their_reports(app, world, outbox):
    number = factories.national_id_for()
    Client.update(
        national_id_hash=national_id.lookup_hash(number),
        national_id_cipher=national_id.encrypt(number),
        phone="13800000000",
        address="1 Garden Road",
        notes="Prefers mornings",
        employee_no="E-77",
        department="Sales",
        occupation="Engineer",
        tags="vip",
    ).where(Client.id == world.client.id).execute()
    sessions.start_session(world.client_user)
    export = data_export.request_export(world.as_client(), world.client.id)
    export_file = data_export.file_for(DataExport.get_by_id(export.id))
    assert export_file.is_file()
    pdf = report_pdf.file_for(world.report)
    results_before = Result.select().where(Result.appointment == world.appointment.id).count()
    request = data_rights.request_deletion(world.as_client(), world.client.id, confirmed=True)

    data_rights.complete(world.as_admin(), request.id, "Your data is deleted.")

    client = Client.get_by_id(world.client.id)
    assert client.name == f"Deleted client #{client.id}" and client.anonymized_at is not None
    for field in ("phone", "email", "address", "notes", "employee_no", "department", "occupation", "tags"):
        assert getattr(client, field) == "", field
    assert client.national_id_hash is None and client.national_id_cipher is None
    assert client.birth_date == datetime.date(1985, 1, 1) and client.sex == "female"
    account = User.get_by_id(world.client_user.id)
    assert not account.is_active and account.email.endswith("@deleted.invalid") and account.name == client.name
    with pytest.raises(ValidationError):
        accounts.authenticate("wang@example.com", factories.PASSWORD)
    assert LoginSession.select().where(LoginSession.user == account.id).count() == 0
    assert consents.current(client.id) == {purpose: False for purpose in CONSENT_PURPOSES}
    assert Consent.select().where(Consent.client == client.id, Consent.source == "data_deletion").count() == 2
    assert not export_file.exists() and DataExport.get_by_id(export.id).state == "expired"
    # what the law requires stays, linked to the anonymized record
    report = Report.get_by_id(world.report.id)
    assert report.pdf_state == "ready" and pdf.is_file() and report.results_snapshot
    assert Result.select().where(Result.appointment == world.appointment.id).count() == results_before
    assert Appointment.get_by_id(world.appointment.id).client_id == client.id
    # the email address is free for a new account
    assert User.select().where(User.email == "wang@example.com").count() == 0
    assert factories.make_user("client", email="wang@example.com").client_id != client.id
    # the outcome went to the address the client had, and no copy of it is kept
    mail = [m for m in outbox() if m["Subject"] == "Your data request is done"]
    assert len(mail) == 1 and mail[0]["To"] == "wang@example.com"
    assert "Wang" not in mail[0].get_content() and "王芳" not in mail[0].get_content()
    assert DataRequest.get_by_id(request.id).outcome_email == ""
    assert Message.get(Message.kind == "data_request").email == ""
    anonymized = AuditEvent.get(AuditEvent.action == "client.anonymized")
    assert (anonymized.user_id, anonymized.client_id) == (world.admin.id, client.id)
    assert "national_id" in json.loads(anonymized.detail)["fields"]


def test_deletion_waits_while_a_checkup_is_booked(app, world):
    booked = factories.make_user("client", email="booked@example.com")
    from checkup.services.booking import booking

    booking.book(Actor(), booked.client_id, world.center.slot.id, "BASIC")
    request = data_rights.request_deletion(Actor(booked), booked.client_id, confirmed=True)
    with pytest.raises(Conflict) as waiting:
        data_rights.complete(world.as_admin(), request.id, "Deleted.")
    assert "booked" in str(waiting.value.message)
    assert DataRequest.get_by_id(request.id).status == "open"  # nothing happened
    assert Client.get_by_id(booked.client_id).anonymized_at is None and User.get_by_id(booked.id).is_active


def test_an_export_request_is_never_answered_by_hand(app, world):
    export = data_export.request_export(world.as_client(), world.client.id)
    with pytest.raises(Conflict):
        data_rights.refuse(world.as_admin(), export.request_id, "No.")
    with pytest.raises(NotFound):
        data_rights.complete(world.as_admin(), 999999, "x")


# --- the copy of one's data ----------------------------------------------------------------------------


@pytest.mark.both_dbs
def test_the_export_zip_holds_the_record_and_pdfs_and_nobody_elses(app, world):
    # the other client's own history must stay out
    factories.make_user("physician", email="doc2@example.com")
    data_rights.request_correction(Actor(world.other_user), world.other_client.id, "name", "Other Name")
    from checkup.services.booking import booking

    other_appointment = booking.book(Actor(), world.other_client.id, world.center.slot2.id, "BASIC")
    data_rights.request_correction(world.as_client(), world.client.id, "address", "New address")
    audit.record(Actor(world.physician), "directory.client_viewed", world.client)

    export = data_export.request_export(world.as_client(), world.client.id)

    export = DataExport.get_by_id(export.id)  # made inline (no Redis): ready at once
    assert export.state == "ready" and export.progress == 100
    assert export.expires_at - export.ready_at == datetime.timedelta(days=7)
    assert DataRequest.get_by_id(export.request_id).status == "done"
    path, name = data_export.download(world.as_client(), export.id, world.client.id)
    names, record, text, pdfs = zip_contents(path.read_bytes())
    assert set(record) == {
        "about",
        "client",
        "account",
        "consents",
        "appointments",
        "follow_ups",
        "referrals",
        "consultations",
        "surveys",
        "messages",
        "company_checkups",
        "waitlist",
        "data_requests",
        "record_accesses",
    }
    assert record["client"]["name"] == "王芳" and record["account"]["email"] == "wang@example.com"
    assert record["account"]["roles"] == ["client"] and "password_hash" not in text
    [appointment] = record["appointments"]
    assert appointment["exam_code"] == world.appointment.exam_code
    assert {i["code"] for i in appointment["items"]} == {"WBC", "GLU", "ALT", "US-LIVER"}
    assert {r["code"]: r["value"] for r in appointment["results"]}["GLU"] == "25.1"
    [report] = appointment["reports"]
    assert report["summary"] == "Glucose high." and report["findings"]
    assert report["pdf_file"] in names and pdfs[report["pdf_file"]] == report_pdf.file_for(world.report).read_bytes()
    assert {c["purpose"] for c in record["consents"]} == {"service_reminders", "marketing_email"}
    assert record["follow_ups"] and record["data_requests"][0]["details"] == "New address"
    assert record["record_accesses"][0]["by"] == {"roles": ["physician"], "account_id": world.physician.id}
    assert "李医生" not in json.dumps(record["record_accesses"], ensure_ascii=False)
    for foreign in ("Other Person", "other@example.com", "13911112222", "Other Name", other_appointment.exam_code):
        assert foreign not in text
    assert name.startswith("my-checkup-data-") and name.endswith(".zip")
    assert [
        e.action
        for e in AuditEvent.select().where(AuditEvent.action.startswith("data_request.export")).order_by(AuditEvent.id)
    ] == ["data_request.export_requested", "data_request.export_ready", "data_request.export_downloaded"]
    downloaded = AuditEvent.get(AuditEvent.action == "data_request.export_downloaded")
    assert (downloaded.user_id, downloaded.client_id, downloaded.ip) == (
        world.client_user.id,
        world.client.id,
        "10.0.0.1",
    )


def test_another_clients_export_answers_like_a_missing_one(app, world):
    export = data_export.request_export(world.as_client(), world.client.id)
    with pytest.raises(NotFound):
        data_export.download(Actor(world.other_user), export.id, world.other_client.id)
    with pytest.raises(NotFound):
        data_export.export_for_client(export.id, world.other_client.id)


def test_one_export_is_made_at_a_time_and_a_failed_one_is_tried_again(app, world, monkeypatch):
    app.config["REDIS_URL"], app.config["JOBS_INLINE"] = "redis://127.0.0.1:1/0", False  # owed, not run
    first = data_export.request_export(world.as_client(), world.client.id)
    assert data_export.request_export(world.as_client(), world.client.id).id == first.id
    assert DataRequest.select().where(DataRequest.kind == "export").count() == 1
    monkeypatch.setattr(data_export, "_write_zip", lambda *args: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        data_export.build(first.id)
    failed = DataExport.get_by_id(first.id)
    assert failed.state == "failed" and "disk full" in failed.error
    assert not list(data_export.exports_dir().rglob("*.tmp"))
    again = data_export.request_export(world.as_client(), world.client.id)
    assert again.id == first.id and again.state == "pending"
    assert Task.select().where(Task.kind == "data_export.build").count() == 2


def test_a_lost_report_pdf_is_left_out_of_the_copy_and_made_again(app, world):
    app.config["REDIS_URL"], app.config["JOBS_INLINE"] = "redis://127.0.0.1:1/0", False  # owed, not run
    report_pdf.file_for(world.report).unlink()
    export = data_export.request_export(world.as_client(), world.client.id)
    data_export.build(export.id)  # outside a task run: nothing to wait for
    names, record, _text, _pdfs = zip_contents(data_export.file_for(DataExport.get_by_id(export.id)).read_bytes())
    assert [name for name in names if name.endswith(".pdf")] == []
    assert record["appointments"][0]["reports"][0]["pdf_file"] is None
    assert Report.get_by_id(world.report.id).pdf_state == "pending"
    assert Task.select().where(Task.kind == "report.render_pdf", Task.state == "queued").count() == 1


@pytest.mark.both_dbs
def test_an_expired_export_is_deleted_by_the_periodic_task(app, world):
    export = data_export.request_export(world.as_client(), world.client.id)
    path = data_export.file_for(DataExport.get_by_id(export.id))
    leftover = path.parent / f".{export.id}.zip.abc.tmp"
    leftover.write_bytes(b"half a zip")
    assert data_export.purge_expired(utcnow() + datetime.timedelta(days=6)) == 0 and path.exists()
    assert data_export.purge_expired(utcnow() + datetime.timedelta(days=9)) == 1
    assert not path.exists() and not leftover.exists()
    expired = DataExport.get_by_id(export.id)
    assert (expired.state, expired.path) == ("expired", "")
    with pytest.raises(NotFound):
        data_export.download(world.as_client(), export.id, world.client.id)
    from checkup.core import periodic

    assert ("data_export.purge_expired", periodic.HOUR) in periodic.SCHEDULE


# --- who accessed the record -----------------------------------------------------------------------


@pytest.mark.both_dbs
def test_the_access_list_shows_staff_as_role_and_number_and_only_this_client(app, world, count_queries):
    counselor = factories.make_user("counselor", "admin", email="care@example.com", name="Counselor Qian")
    audit.record(Actor(world.admin), "directory.client_viewed", world.client)
    audit.record(Actor(counselor), "consultation.notes_viewed", None, client=world.client.id)
    audit.record(Actor(world.physician), "directory.client_viewed", world.other_client)  # someone else's
    audit.record(world.as_client(), "report.downloaded", world.report, client=world.client.id)  # their own
    audit.record(audit.SYSTEM, "waitlist.offered", world.client)  # the system's

    with count_queries() as few:
        page = access_log.staff_accesses(world.client.id)
    rows = [(a.user_id, a.roles, str(a.purpose)) for a in page.items]
    assert rows == [
        (counselor.id, ("admin", "counselor"), "Read the notes of your consultations"),
        (world.admin.id, ("admin",), "Opened your client record"),
        (world.physician.id, ("physician",), "Signed your report"),  # from signing, via the report's appointment
    ]
    assert all(not hasattr(a, "name") for a in page.items)
    for _ in range(40):
        audit.record(Actor(world.physician), "report.downloaded", world.report, client=world.client.id)
    with count_queries() as many:
        page = access_log.staff_accesses(world.client.id, 2)
    assert few.count == many.count == 3
    assert (page.number, page.pages, page.total) == (2, 2, 43)
    assert access_log.purpose_of("break_glass.opened") == "Accessed your record"
    assert str(access_log.purpose_of("referral.scheduled")) == "Updated your referral"


def test_audit_events_know_their_client_through_the_object(app, world):
    appointment = Appointment.get_by_id(world.appointment.id)
    result = Result.get(Result.appointment == appointment.id)
    consent = Consent.get(Consent.client == world.client.id)
    for obj in (
        world.client,
        appointment,
        Appointment(id=appointment.id),
        world.report,
        result,
        consent,
        world.client_user,
    ):
        assert audit.client_of(obj) == world.client.id, obj
    assert audit.client_of(None, str(world.client.id)) == world.client.id
    assert audit.client_of(world.physician) is None and audit.client_of(None) is None
    assert audit.client_of(None, True) is None


MIGRATION = "0007_data_requests"


def test_the_migration_fills_in_the_client_of_events_already_recorded(app, world):
    from playhouse.migrations import Runner

    from checkup import database
    from checkup.models.base import db

    signed = AuditEvent.get(AuditEvent.action == "report.signed")
    audit.record(Actor(world.admin), "consultation.notes_viewed", None, client=world.client.id)
    runner = Runner(db.obj, database.MIGRATIONS_DIR)
    mine = next(m for m in runner.migrations() if m.name == MIGRATION).load()
    with runner.migrator.migration_context(True):
        mine.down(runner.migrator, db.obj)  # back to the schema before it, events without a client
    runner.History.delete().where(runner.History.name == MIGRATION).execute()
    assert runner.up() == [MIGRATION]
    assert AuditEvent.get_by_id(signed.id).client_id == world.client.id
    named = AuditEvent.get(AuditEvent.action == "consultation.notes_viewed")
    assert named.client_id == world.client.id
    assert AuditEvent.select().where(AuditEvent.object_type == "client", AuditEvent.client_id.is_null()).count() == 0


# --- retention -------------------------------------------------------------------------------------


def _age(client_user, years):
    then = utcnow() - datetime.timedelta(days=365 * years + 10)
    User.update(created_at=then, last_login_at=then).where(User.id == client_user.id).execute()
    Client.update(created_at=then).where(Client.id == client_user.client_id).execute()


def _move_checkup_back(appointment_id, years):
    day = clock.today() - datetime.timedelta(days=365 * years + 10)
    Appointment.update(day=day).where(Appointment.id == appointment_id).execute()


@pytest.mark.both_dbs
def test_retention_anonymizes_inactive_accounts_and_purges_old_records(app, world):
    sleeper = factories.make_user("client", email="sleeper@example.com")
    _age(sleeper, 4)  # no exam, no sign-in for four years
    recent = factories.make_user("client", email="recent@example.com")
    _age(recent, 4)
    User.update(last_login_at=utcnow()).where(User.id == recent.id).execute()  # signed in last week
    old_pdf = report_pdf.file_for(world.report)
    _move_checkup_back(world.appointment.id, 31)  # 王芳 (a recent account) had her checkup 31 years ago

    anonymized, purged = anonymization.run_retention()

    assert anonymized == 1
    assert Client.get_by_id(world.client.id).anonymized_at is None
    assert Client.get_by_id(sleeper.client_id).anonymized_at is not None
    assert User.get_by_id(sleeper.id).email == f"deleted-{sleeper.id}@deleted.invalid"
    assert Client.get_by_id(recent.client_id).anonymized_at is None
    assert purged == 1
    report = Report.get_by_id(world.report.id)
    assert (report.pdf_state, report.pdf_path, report.results_snapshot, report.summary) == ("none", "", "", "")
    assert not old_pdf.exists() and Result.select().where(Result.appointment == world.appointment.id).count() == 0
    assert report.status == "published" and report.version == 1  # the trace that there was one
    assert AuditEvent.select().where(AuditEvent.action == "retention.report_purged").count() == 1
    inactive = AuditEvent.get(AuditEvent.action == "client.anonymized", AuditEvent.client_id == sleeper.client_id)
    assert inactive.user_id is None and json.loads(inactive.detail)["reason"] == "inactive"
    assert anonymization.run_retention() == (0, 0)  # nothing more to do
    from checkup.core import periodic

    assert ("retention.run", periodic.DAY) in periodic.SCHEDULE


def test_retention_keeps_records_inside_the_period(app, world):
    app.config["RECORD_RETENTION_YEARS"] = 30
    _move_checkup_back(world.appointment.id, 29)
    assert anonymization.purge_old_records(audit.SYSTEM) == 0
    assert Report.get_by_id(world.report.id).pdf_state == "ready"
    app.config["RECORD_RETENTION_YEARS"] = 20
    assert anonymization.purge_old_records(audit.SYSTEM) == 1


def test_an_account_booked_again_or_working_here_is_not_anonymized_for_inactivity(app, world):
    from checkup.services.booking import booking

    sleeper = factories.make_user("client", email="sleeper@example.com")
    _age(sleeper, 5)
    colleague = factories.make_user("client", "scheduler", email="desk@example.com")  # a client who works here
    _age(colleague, 5)
    assert anonymization.inactive_client_ids() == [sleeper.client_id]
    booking.book(Actor(), sleeper.client_id, world.center.slot.id, "BASIC")
    assert anonymization.inactive_client_ids() == []
    app.config["INACTIVE_ACCOUNT_YEARS"] = 6
    assert anonymization.inactive_client_ids() == []
