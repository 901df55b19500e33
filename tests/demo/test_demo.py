"""`flask seed-demo` on an empty database: every role can log in to a portal that has a day going on,
and Acme's employees and the demo client have last year's and this year's reports (with trends)."""

import datetime
import time

from checkup.core import clock, stored_files
from checkup.demo import demo, demo_floor_day
from checkup.models import Appointment, Client, Organization, Report, Result, Slot, User
from checkup.models.appointments import BOOKED, CHECKED_IN, COMPLETED, LIVE_STATUSES
from checkup.models.base import db
from checkup.models.results import PDF_READY, PUBLISHED
from checkup.services.exam import report_pdf, reports, review_queue, stations
from tests.booking_helpers import assert_counters_consistent


def test_seed_demo_fills_an_empty_portal(app):
    assert demo.database_is_empty()
    started = time.monotonic()
    outcome = app.test_cli_runner().invoke(args=["seed-demo"])
    elapsed = time.monotonic() - started
    print(f"seed-demo took {elapsed:.1f} s")
    assert outcome.exit_code == 0, outcome.output
    assert "demo center loaded" in outcome.output
    assert elapsed < 45, f"seed-demo took {elapsed:.1f} s"

    with db.connection_context():
        accounts = [(email, roles) for email, _name, roles in demo.ACCOUNTS]
        accounts.append((demo.DEMO_CLIENT["email"], ["client"]))
        for email, roles in accounts:
            user = User.get_or_none(User.email == email)
            assert user is not None, email
            assert sorted(r.role for r in user.roles) == sorted(roles), email

        today = clock.today()
        statuses = [a.status for a in Appointment.select().where(Appointment.day == today)]
        floor = demo_floor_day.FLOOR_CLIENTS  # the clients in flight on the floor (tests/demo/test_demo_floor_day.py)
        assert 4 + floor <= len(statuses) <= 6 + floor, len(statuses)
        assert statuses.count(BOOKED) >= 1 and statuses.count(CHECKED_IN) >= 2, statuses
        progress = [
            stations.appointment_progress(a.id)
            for a in Appointment.select().where(Appointment.day == today, Appointment.status == CHECKED_IN)
        ]
        assert any(0 < p.done < p.total for p in progress), "someone is halfway through the stations"
        assert any(a.day == today for a in review_queue.ready_for_review()), "one client of today is ready to sign"

        alerts = stations.open_alerts()
        assert alerts and alerts[0].appointment.day == today
        assert alerts[0].result.flag in ("HH", "LL")

        client = Client.get(Client.email == demo.DEMO_CLIENT["email"])
        published = reports.client_reports(client.id)
        assert len(published) == 2, "the checkup of ten days ago and last year's"
        report, last_year = published
        assert today - datetime.timedelta(days=20) < report.appointment.day < today
        assert 330 < (report.appointment.day - last_year.appointment.day).days < 400
        assert report.pdf_state == PDF_READY
        assert Report.get_by_id(report.id).status == PUBLISHED
        path = report_pdf.file_for(report)
        assert path.is_file() and path.read_bytes().startswith(b"%PDF")
        assert stored_files.sha256_of(path) == report.pdf_checksum
        assert last_year.signed_at < report.signed_at
        trends = [row for row in reports.snapshot_rows(report) if row["trend"]]
        assert len(trends) >= 20, "the recent report shows last year's values"
        assert any(row["code"] == "TC" and row["previous"] == "5.34" for row in trends)

        _check_history(today)
        _check_groups_and_care(today)


def _check_history(today):
    """At least 30 Acme employees with last year's and this year's published reports, trends, one critical."""
    acme = Organization.get(Organization.name == "Acme Manufacturing")
    done = (
        Report.select(Report, Appointment)
        .join(Appointment)
        .join(Client)
        .where(Client.organization == acme.id, Report.status == PUBLISHED)
    )
    by_client = {}
    for report in done:
        by_client.setdefault(report.appointment.client_id, []).append(report)
    with_both = []
    for client_id, rows in by_client.items():
        ages = sorted((today - r.appointment.day).days for r in rows)
        if len(rows) == 2 and 0 < ages[0] <= 62 and 330 <= ages[1] - ages[0] <= 400:
            with_both.append(client_id)
    assert len(with_both) >= 30, f"{len(with_both)} Acme employees with this and last year's reports"

    employees = Client.select().where(Client.id.in_(with_both))
    assert len({c.name for c in employees}) == len(with_both), "names are unique"
    assert {c.sex for c in employees} == {"male", "female"}
    assert all(c.employee_no.startswith("A") and c.email.endswith("@example.com") for c in employees)

    recent = (
        Result.select(Result.flag)
        .join(Appointment)
        .join(Client)
        .where(
            Client.organization == acme.id,
            Appointment.status == COMPLETED,
            Appointment.day > today - datetime.timedelta(days=90),
        )
    )
    flags = [r.flag for r in recent]
    assert [f for f in flags if f in ("HH", "LL")] == ["HH"], "exactly one critical value among Acme's this year"
    abnormal = sum(f in ("H", "L", "A") for f in flags)
    assert 0.05 * len(flags) < abnormal < 0.25 * len(flags), (abnormal, len(flags))
    assert {"H", "L", "A"} <= set(flags)
    critical = Result.select().join(Appointment).where(Appointment.client.in_(with_both), Result.flag == "HH").get()
    assert critical.alerts.count() == 1 and critical.alerts[0].acknowledged_at is not None

    for client_id in with_both:
        newer = max(by_client[client_id], key=lambda r: r.appointment.day)
        assert newer.signed_by.email == "physician@demo.test"
        rows = reports.snapshot_rows(newer)
        assert sum(1 for row in rows if row["previous"]) >= len(rows) * 0.9, "trends show"

    every = list(Report.select().where(Report.status == PUBLISHED))
    assert len(every) >= 62
    for report in every:
        assert report.pdf_state == PDF_READY and report.signed_at is not None
        assert report.signed_at <= datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        path = report_pdf.file_for(report)
        assert path.is_file(), report.id
        assert stored_files.sha256_of(path) == report.pdf_checksum

    for slot in Slot.select().where(Slot.day < today):
        taken = Appointment.select().where(Appointment.slot == slot.id).count()
        live = Appointment.select().where(Appointment.slot == slot.id, Appointment.status.in_(LIVE_STATUSES)).count()
        assert taken <= slot.capacity and live == 0, slot.day
    assert_counters_consistent()


def _check_groups_and_care(today):
    """Acme's active contract has a roster in every state; every counselor screen has something to show."""
    from checkup.models import (
        Campaign,
        Consent,
        ContactAttempt,
        Enrollment,
        FollowUp,
        GroupContract,
        Message,
        Referral,
        RenewalTask,
        Survey,
    )
    from checkup.models.care import REFERRAL_STATUSES
    from checkup.services.care import reenrollment

    acme = Organization.get(Organization.name == "Acme Manufacturing")
    active = GroupContract.get(GroupContract.organization == acme.id, GroupContract.status == "active")
    assert active.categories.count() == 3
    roster = list(Enrollment.select().where(Enrollment.contract == active.id))
    assert len(roster) >= 40
    states = {
        "not_invited" if e.invited_at is None else (e.appointment.status if e.appointment else "invited")
        for e in roster
    }
    assert {"not_invited", "invited", BOOKED, COMPLETED, "no_show"} <= states
    assert (
        GroupContract.select().where(GroupContract.organization == acme.id, GroupContract.status == "closed").count()
        == 1
    )

    open_ones = FollowUp.select().where(FollowUp.status == "open")
    assert {f.level for f in open_ones} >= {"B", "C"}
    assert {f.level for f in FollowUp.select().where(FollowUp.status == "closed")} >= {"A", "B", "C"}
    assert any(f.due_at < datetime.datetime.now() for f in open_ones), "some are overdue"
    assert any(f.assignee_id is None for f in open_ones), "an unassigned pool"
    assert ContactAttempt.select().count() >= 5
    assert {r.status for r in Referral.select()} == set(REFERRAL_STATUSES)
    answered = Survey.select().where(Survey.answered_at.is_null(False))
    assert answered.count() >= 10 and any(s.follow_up_id for s in answered)
    assert FollowUp.select().where(FollowUp.kind == "service").count() == 1
    campaign = Campaign.get(Campaign.status == "sent")
    statuses = [m.status for m in Message.select().where(Message.campaign == campaign.id)]
    assert statuses.count("sent") == campaign.sent_count > 0
    assert {"bounced", "failed"} <= set(statuses)  # a campaign's outcomes, as real sends go
    assert {c.source for c in Consent.select()} >= {"registration", "staff_paper", "staff_phone"}
    assert RenewalTask.select().count() == 1
    assert len(reenrollment.due_clients(today)) >= 1
