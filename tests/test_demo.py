"""`flask seed-demo` on an empty database: every role can log in to a portal that has a day going on."""
import time

from checkup.extensions import db
from checkup.models import Appointment, Client, Report, User
from checkup.models.appointments import BOOKED, CHECKED_IN
from checkup.services import clock, demo, report_pdf, reports, results


def test_seed_demo_fills_an_empty_portal(app):
    assert demo.database_is_empty()
    started = time.monotonic()
    outcome = app.test_cli_runner().invoke(args=["seed-demo"])
    elapsed = time.monotonic() - started
    assert outcome.exit_code == 0, outcome.output
    assert "demo center loaded" in outcome.output
    assert elapsed < 10, f"seed-demo took {elapsed:.1f} s"

    with db.connection_context():
        accounts = [(email, roles) for email, _name, roles in demo.ACCOUNTS]
        accounts.append((demo.DEMO_CLIENT["email"], ["client"]))
        for email, roles in accounts:
            user = User.get_or_none(User.email == email)
            assert user is not None, email
            assert sorted(r.role for r in user.roles) == sorted(roles), email

        today = clock.today()
        statuses = [a.status for a in Appointment.select().where(Appointment.day == today)]
        assert 4 <= len(statuses) <= 6, statuses
        assert statuses.count(BOOKED) >= 1 and statuses.count(CHECKED_IN) >= 2, statuses
        progress = [results.appointment_progress(a.id) for a in
                    Appointment.select().where(Appointment.day == today, Appointment.status == CHECKED_IN)]
        assert any(0 < p.done < p.total for p in progress), "someone is halfway through the stations"
        assert any(a.day == today for a in reports.ready_for_review()), "one client of today is ready to sign"

        alerts = results.open_alerts()
        assert alerts and alerts[0].appointment.day == today
        assert alerts[0].result.flag in ("HH", "LL")

        client = Client.get(Client.email == demo.DEMO_CLIENT["email"])
        published = reports.client_reports(client.id)
        assert len(published) == 1
        report = published[0]
        assert report.appointment.day < today and report.pdf_state == reports.PDF_READY
        assert Report.get_by_id(report.id).status == reports.PUBLISHED
        path = report_pdf.file_for(report)
        assert path.is_file() and path.read_bytes().startswith(b"%PDF")
        assert report_pdf.sha256_of(path) == report.pdf_checksum
