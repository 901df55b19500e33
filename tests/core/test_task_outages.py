"""Work owed survives outages (issue #10): Redis configured but down (a closed port, a Redis we stop),
Redis hanging, and a reports folder that cannot be written. Pages answer, the owed work is rows in the
task table, and once things are back the dispatcher (a worker, `run-periodic`, `cron`) delivers every
email exactly once and every PDF once; nobody types a command about the work itself."""

import time
from collections import Counter

import pypdf
import pytest

from checkup import create_app
from checkup.core import stored_files, tasks
from checkup.models import Appointment, Message, Report, Task
from checkup.models.base import utcnow
from checkup.services.exam import report_pdf, reports
from tests import factories
from tests.conftest import PASSWORD, FreshContextClient, base_config
from tests.report_helpers import ReportWorld
from tests.task_helpers import (
    CLOSED_REDIS_URL,
    HangingServer,
    ThrowAwayRedis,
    own_redis_app,  # noqa: F401  (the fixture)
    run_burst_worker,
    run_cli,
)

ROLES = ("client", "hr", "scheduler", "physician", "counselor", "admin")
REPORT_READY = "Your checkup report is ready"
RESET = "Reset your password"
SURVEY = "How was your checkup?"


@pytest.fixture(autouse=True)
def fresh_wake_pause(monkeypatch):
    """A failed wake-up pauses this process's wake-ups for a while (checkup.core.tasks); each test here
    starts, and leaves the next test, without that pause."""
    monkeypatch.setattr(tasks, "_redis_paused_until", 0.0, raising=False)


# --- helpers -----------------------------------------------------------------------------------------


@pytest.fixture(params=["closed-port", "stopped-redis"])
def down_redis(request, app):
    """The app's REDIS_URL points at a Redis that is down: a port nobody listens on, or a Redis we
    started, used, and stopped. Yields a callable that brings an empty Redis back and returns its URL."""
    servers = []
    if request.param == "closed-port":
        url = CLOSED_REDIS_URL
    else:
        server = ThrowAwayRedis().start()
        servers.append(server)
        from redis import Redis

        assert Redis.from_url(server.url).ping()  # it was up...
        server.stop()  # ...and is gone now
        url = server.url
    app.config["REDIS_URL"] = url

    def bring_back():
        """An empty Redis (the same port for the stopped one); the app and its processes point at it."""
        server = ThrowAwayRedis(servers[0].port if servers else None).start()
        servers.append(server)
        app.config["REDIS_URL"] = server.url
        return server.url

    try:
        yield bring_back
    finally:
        for server in servers:
            server.stop()


def post_login(http, user):
    return http.post("/login", data={"email": user.email, "password": PASSWORD})


def signed_in(app, user):
    http = app.test_client()
    response = post_login(http, user)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return http


def book_through_the_web(http, slot_id, code="BASIC"):
    return http.post(f"/me/book/{code}/confirm", data={"slot": slot_id, "idempotency_key": f"key-{slot_id}-{code}"})


def sent_mail(outbox):
    """Counter of (recipient, subject) over the outbox."""
    return Counter((str(m["To"]), str(m["Subject"])) for m in outbox())


def task_states():
    return Counter((t.kind, t.state) for t in Task.select())


def assert_one_valid_pdf(report_id):
    report = Report.get_by_id(report_id)
    assert (report.pdf_state, report.status, report.pdf_error) == ("ready", "published", "")
    folder = report_pdf.reports_dir() / str(report.appointment_id)
    assert sorted(p.name for p in folder.iterdir()) == [f"{report.version}.pdf"]  # no temp file either
    path = folder / f"{report.version}.pdf"
    assert stored_files.sha256_of(path) == report.pdf_checksum
    assert len(pypdf.PdfReader(str(path)).pages) >= 1
    return report


def assert_nothing_left_owed():
    left = [(t.id, t.kind, t.state, t.last_error) for t in Task.select().where(Task.state != "done")]
    assert left == []


# --- A. Redis down ---------------------------------------------------------------------------------------


@pytest.mark.both_dbs
def test_pages_answer_while_redis_is_down_and_a_worker_delivers_everything_once_it_is_back(app, down_redis, outbox):
    users = {role: factories.make_user(role, email=f"{role}-outage@example.com") for role in ROLES}
    for role, user in users.items():  # every role signs in: 303, no 5xx
        started = time.monotonic()
        response = post_login(app.test_client(), user)
        assert response.status_code == 303, (role, response.status_code)
        assert time.monotonic() - started < 5, role

    world = ReportWorld()  # its booking (service) owes a confirmation while Redis is down
    world.all_results()
    booker = users["client"]
    http = signed_in(app, booker)
    booked = book_through_the_web(http, world.center.slot.id)
    assert booked.status_code == 303, booked.get_data(as_text=True)[:500]
    appointment = Appointment.get(Appointment.client == booker.client_id)
    assert http.get(booked.headers["Location"]).status_code == 200

    world.sign_stations()  # every station signed its conclusion: the checkup waits for the chief physician
    doctor = signed_in(app, world.chief_user())
    signed = doctor.post(
        f"/exam/review/{world.appointment.id}/sign", data={"summary": "Glucose critical", "advice": "See a doctor"}
    )
    assert signed.status_code == 303, signed.get_data(as_text=True)[:500]
    report = Report.get(Report.appointment == world.appointment.id)
    assert (report.status, report.pdf_state) == ("signed", "pending")
    status = doctor.get(f"/exam/review/reports/{report.id}/status", headers={"HX-Request": "true"})
    assert status.status_code == 200

    forgot = app.test_client().post("/password/forgot", data={"email": users["counselor"].email})
    assert forgot.status_code == 303

    # every owed email and the PDF are rows, none run (Redis is down, nothing runs them inline)
    assert task_states() == {
        ("mail.booking_confirmation", "queued"): 2,
        ("report.render_pdf", "queued"): 1,
        ("mail.password_reset", "queued"): 1,
    }
    assert {t.attempts for t in Task.select()} == {0}
    confirmation = Task.get((Task.kind == "mail.booking_confirmation") & (Task.caused_by == booker.id))
    assert confirmation.args_json == f"[{appointment.id}]"
    assert Task.get(Task.kind == "report.render_pdf").args_json == f"[{report.id}]"
    assert Task.get(Task.kind == "mail.password_reset").args_json == f"[{users['counselor'].id}]"
    assert Message.select().count() == 0 and outbox() == []
    assert not (report_pdf.reports_dir() / str(world.appointment.id)).exists()

    down_redis()  # an empty Redis: every wake-up sent meanwhile is lost, the rows are not
    finished = run_burst_worker(app)
    assert finished.finished_its_work, finished.output[-3000:]

    expected = {
        (booker.email, f"Your checkup on {world.center.day.isoformat()} is booked"): 1,
        (world.client_user.email, REPORT_READY): 1,
        (world.client_user.email, SURVEY): 1,
        (users["counselor"].email, RESET): 1,
    }
    assert sent_mail(outbox) == expected  # the service booking's client was examined by then: no confirmation
    assert_one_valid_pdf(report.id)
    assert Counter(m.status for m in Message.select()) == {"sent": 4}
    assert_nothing_left_owed()

    again = run_cli(app, "run-periodic")  # and again: nothing more goes out
    assert again.returncode == 0, again.stderr[-3000:]
    assert run_burst_worker(app).finished_its_work
    assert sent_mail(outbox) == expected
    assert Report.get_by_id(report.id).pdf_attempts == 1
    assert_nothing_left_owed()


def test_run_periodic_delivers_what_was_owed_while_redis_was_down(app, down_redis, outbox):
    world = ReportWorld()
    world.all_results()
    report = reports.sign(world.actor(), world.appointment.id, "Summary", "Advice")
    assert task_states() == {("mail.booking_confirmation", "queued"): 1, ("report.render_pdf", "queued"): 1}

    finished = run_cli(app, "run-periodic")  # Redis still down: the dispatcher runs the rows itself
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert sent_mail(outbox) == {(world.client_user.email, REPORT_READY): 1, (world.client_user.email, SURVEY): 1}
    assert_one_valid_pdf(report.id)
    assert_nothing_left_owed()

    down_redis()
    assert run_burst_worker(app).finished_its_work
    assert run_cli(app, "run-periodic").returncode == 0
    assert sent_mail(outbox) == {(world.client_user.email, REPORT_READY): 1, (world.client_user.email, SURVEY): 1}
    assert Report.get_by_id(report.id).pdf_attempts == 1


@pytest.fixture
def app_with_limiter_on(app, tmp_path):
    """The same database, with rate limits on and their storage on ``url`` (a second app, as in
    production where the limiter's storage is the configured Redis)."""
    made = []

    def build(redis_url, **extra):
        real = create_app(
            base_config(
                tmp_path,
                DATABASE_URL=app.config["DATABASE_URL"],
                REDIS_URL=redis_url,
                RATELIMIT_ENABLED=True,
                LOGIN_LIMIT_PER_ACCOUNT="3/minute",
                **extra,
            )
        )
        real.test_client_class = FreshContextClient
        made.append(real)
        return real

    yield build


def test_login_works_with_the_rate_limiter_storage_on_a_dead_redis(app_with_limiter_on):
    real = app_with_limiter_on(CLOSED_REDIS_URL, RATELIMIT_STORAGE_URI=CLOSED_REDIS_URL)
    with real.app_context():
        users = [factories.make_user(role, email=f"{role}-limiter@example.com") for role in ROLES]
        for user in users:
            started = time.monotonic()
            assert post_login(real.test_client(), user).status_code == 303
            assert time.monotonic() - started < 5
        http = real.test_client()
        wrong = [
            http.post("/login", data={"email": users[0].email, "password": "not the password"}).status_code
            for _ in range(3)
        ]
        assert wrong == [422, 422, 422]
        # the limits fall back to this process's memory: the fourth try in the minute is refused
        assert post_login(http, users[0]).status_code == 429


def test_a_hanging_redis_does_not_hang_login_or_booking(app_with_limiter_on):
    hanging = HangingServer()
    try:
        # as in production: REDIS_URL set, so the limiter's storage is that same (hanging) Redis
        real = app_with_limiter_on(hanging.url)
        assert real.config["RATELIMIT_STORAGE_URI"] == hanging.url
        with real.app_context():
            from tests.booking_helpers import Center

            center = Center()
            user = factories.make_user("client", email="patient@example.com")
            http = real.test_client()
            started = time.monotonic()
            assert post_login(http, user).status_code == 303
            login_seconds = time.monotonic() - started

            started = time.monotonic()
            booked = book_through_the_web(http, center.slot.id)
            booking_seconds = time.monotonic() - started
            assert booked.status_code == 303, booked.get_data(as_text=True)[:500]
            assert Appointment.select().where(Appointment.client == user.client_id).count() == 1
            assert task_states() == {("mail.booking_confirmation", "queued"): 1}
            assert hanging.connections  # it was asked, and it never answered
    finally:
        hanging.close()
    print(f"hanging Redis: login {login_seconds:.2f} s, booking {booking_seconds:.2f} s")
    assert login_seconds < 5, f"login took {login_seconds:.1f} s"
    assert booking_seconds < 5, f"booking took {booking_seconds:.1f} s"


def test_seed_demo_succeeds_with_redis_down(app):
    started = time.monotonic()
    seeded = run_cli(app, "seed-demo", CHECKUP_REDIS_URL=CLOSED_REDIS_URL)
    assert seeded.returncode == 0, (seeded.stdout[-2000:], seeded.stderr[-3000:])
    assert "demo center loaded" in seeded.stdout
    assert time.monotonic() - started < 60
    from checkup.models import User

    assert User.select().where(User.email == "admin@demo.test").exists()
    # what the demo owes waits as rows; nothing is left half-run
    assert Task.select().count() >= 1
    assert Task.select().where(Task.state.in_(("running", "failed", "dead"))).count() == 0


def test_a_burst_worker_exits_promptly_once_the_queue_is_empty(own_redis_app):
    """`flask worker --burst` (e.g. from a cron line) must exit once it has run the queue, not sit in
    rq's pub/sub thread for up to a minute: three runs, each gone within a few seconds of saying so."""
    for _ in range(3):
        worker = run_burst_worker(own_redis_app, grace=8)
        assert "done, quitting" in worker.output, worker.output[-3000:]
        assert worker.returncode == 0 and worker.quit_seconds < 5, (
            f"the burst worker was still running {worker.quit_seconds:.1f} s after 'done, quitting'"
        )


# --- C. The reports folder cannot be written, then can again -----------------------------------------------


def broken_reports_dir(app, tmp_path):
    """REPORTS_DIR under a regular file: every mkdir there fails (NotADirectoryError), even for root."""
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    app.config["REPORTS_DIR"] = str(blocker / "reports")
    return blocker


def test_a_report_whose_folder_cannot_be_written_is_retried_by_the_dispatcher_until_it_can(app, tmp_path, outbox):
    app.config["TASK_RETRY_DELAYS"] = [1, 1, 1, 1, 1]
    blocker = broken_reports_dir(app, tmp_path)
    world = ReportWorld()
    world.all_results()
    before = utcnow()
    report = reports.sign(world.actor(), world.appointment.id, "Summary", "Advice")  # rendered inline: fails

    failed = Report.get_by_id(report.id)
    assert (failed.status, failed.pdf_state, failed.pdf_attempts) == ("signed", "failed", 1)
    assert "NotADirectoryError" in failed.pdf_error
    task = Task.get(Task.kind == "report.render_pdf")
    assert (task.state, task.attempts) == ("failed", 1)
    assert "NotADirectoryError" in task.last_error
    assert task.next_attempt_at > before and task.next_attempt_at > task.finished_at
    assert tasks.dispatch_due() == 0  # not due yet: nothing is tried before its time
    assert REPORT_READY not in [s for _to, s in sent_mail(outbox)]

    blocker.unlink()  # the folder is fixed (here: the file in its way removed)
    app.config["TASK_RETRY_DELAYS"] = [0, 0, 0, 0, 0]
    deadline = time.monotonic() + 5
    while utcnow() < task.next_attempt_at and time.monotonic() < deadline:
        time.sleep(0.1)
    assert tasks.dispatch_due() >= 1  # the render (the emails it owes run inline right after it, no Redis)

    ready = assert_one_valid_pdf(report.id)
    assert ready.pdf_attempts == 2
    task = Task.get_by_id(task.id)
    assert (task.state, task.attempts, task.last_error) == ("done", 2, "")
    assert sent_mail(outbox)[(world.client_user.email, REPORT_READY)] == 1
    assert tasks.dispatch_due() == 0
    assert sent_mail(outbox)[(world.client_user.email, REPORT_READY)] == 1
    assert_nothing_left_owed()


def test_a_render_that_keeps_failing_is_dead_after_the_last_retry_and_shown_to_staff(app, tmp_path, outbox):
    app.config["TASK_RETRY_DELAYS"] = [0, 0, 0, 0, 0]
    blocker = broken_reports_dir(app, tmp_path)
    world = ReportWorld()
    world.all_results()
    report = reports.sign(world.actor(), world.appointment.id, "Summary", "Advice")
    tasks.dispatch_due()
    task = Task.get(Task.kind == "report.render_pdf")
    assert (task.state, task.attempts) == ("dead", 6)
    assert "NotADirectoryError" in task.last_error
    stuck = Report.get_by_id(report.id)
    assert (stuck.status, stuck.pdf_state, stuck.pdf_attempts) == ("signed", "failed", 6)
    assert tasks.dispatch_due() == 0  # dead: no more tries by itself
    assert Task.get_by_id(task.id).attempts == 6
    assert REPORT_READY not in [s for _to, s in sent_mail(outbox)]

    admin = factories.make_user("admin", email="boss@example.com")
    http = app.test_client()
    factories.sign_in_directly(http, admin)
    page = http.get("/admin/tasks").get_data(as_text=True)
    assert f"task-{task.id}" in page and "NotADirectoryError" in page

    blocker.unlink()
    assert tasks.retry_now(task.id)  # staff press "retry" (inline without Redis)
    tasks.dispatch_due()
    assert_one_valid_pdf(report.id)
    assert sent_mail(outbox)[(world.client_user.email, REPORT_READY)] == 1
    assert_nothing_left_owed()
