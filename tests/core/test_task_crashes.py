"""Crash windows of the task table (issue #10), each injected at its exact point, each ending with
exactly one email per recipient and kind, one valid PDF per report, and nothing left queued or running:

1. the process dies after the owing transaction commits, before the wake-up;
2. after a task is claimed, before its email is handed over;
3. after the SMTP server accepted the email, before the message row is marked sent;
4. the rq work horse is killed (-9) mid-PDF;
5. the worker and its horse are killed together;

and two `flask cron` schedulers at once: one runs, the other waits and takes over when it dies."""

import datetime
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pypdf
import pytest

from checkup.core import periodic, stored_files, tasks
from checkup.core.audit import Actor
from checkup.models import Appointment, Message, Report, Task
from checkup.models.base import utcnow
from checkup.services.booking import booking
from checkup.services.exam import report_pdf, reports
from tests import factories
from tests.report_helpers import ReportWorld
from tests.task_helpers import (
    ROOT,
    own_redis_app,  # noqa: F401  (the fixture)
    run_burst_worker,
    run_cli,
    worker_env,
)

REPORT_READY = "Your checkup report is ready"
SURVEY = "How was your checkup?"
CRASH_ENV = {"CHECKUP_TASK_LEASE_SECONDS": "2", "CHECKUP_TASK_RETRY_DELAYS": "0,0,0,0,0"}


class Crash(BaseException):
    """The process dies here: not an Exception, so no handler, no ``except Exception`` records it."""


@pytest.fixture(autouse=True)
def fresh_wake_pause(monkeypatch):
    """A failed wake-up pauses this process's wake-ups for a while; no test here inherits or leaves one."""
    monkeypatch.setattr(tasks, "_redis_paused_until", 0.0, raising=False)


# --- helpers -----------------------------------------------------------------------------------------


def wait_for(predicate, timeout=30, message="condition", every=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {message}")


def sent_mail(outbox):
    return Counter((str(m["To"]), str(m["Subject"])) for m in outbox())


def confirmation_subject(day):
    return f"Your checkup on {day.isoformat()} is booked"


def assert_one_valid_pdf(report_id, attempts=None):
    report = Report.get_by_id(report_id)
    assert (report.pdf_state, report.status, report.pdf_error) == ("ready", "published", "")
    folder = report_pdf.reports_dir() / str(report.appointment_id)
    assert sorted(p.name for p in folder.iterdir()) == [f"{report.version}.pdf"]  # no temp file left
    path = folder / f"{report.version}.pdf"
    assert stored_files.sha256_of(path) == report.pdf_checksum
    reader = pypdf.PdfReader(str(path))
    assert len(reader.pages) >= 2 and "王芳" in reader.pages[0].extract_text()
    if attempts is not None:
        assert report.pdf_attempts == attempts
    return report


def assert_nothing_left_owed():
    left = [(t.id, t.kind, t.state, t.last_error[:300]) for t in Task.select().where(Task.state != "done")]
    assert left == []


def wait_out_the_lease(task_id):
    task = Task.get_by_id(task_id)
    assert task.state == "running" and task.lease_until is not None
    wait_for(
        lambda: utcnow() > Task.get_by_id(task_id).lease_until + datetime.timedelta(milliseconds=100),
        timeout=15,
        message="the lease to run out",
    )


def booker(center, email="booker@example.com"):
    """A client with an account, booked through the service on the center's second slot."""
    user = factories.make_user("client", email=email)
    return user, booking.book(Actor(user), user.client_id, center.slot2.id, "BASIC")


def signed_world():
    world = ReportWorld()
    world.all_results()
    report = reports.sign(world.actor(), world.appointment.id, "Summary", "Advice")
    return world, report


def crash_once(kind, point_name):
    """A hook that kills the run of the first task of ``kind`` reaching ``point_name``, once."""
    fired = []

    def hook(task):
        if task.kind == kind and not fired:
            fired.append(task.id)
            raise Crash(point_name)

    hook.fired = fired
    return hook


# --- 1. after commit, before the wake-up ------------------------------------------------------------------


@pytest.mark.both_dbs
@pytest.mark.parametrize("recovery", ["burst-worker", "run-periodic"])
def test_a_wake_up_lost_after_commit_is_made_good_by_the_dispatcher(own_redis_app, monkeypatch, outbox, recovery):
    monkeypatch.setattr(tasks, "wake", lambda task_id: None)  # the process died right after each commit
    world, report = signed_world()
    user, appointment = booker(world.center)
    assert tasks.queue().count == 0  # nothing reached Redis
    assert Counter((t.kind, t.state) for t in Task.select()) == {
        ("mail.booking_confirmation", "queued"): 2,
        ("report.render_pdf", "queued"): 1,
    }

    if recovery == "burst-worker":
        done = run_burst_worker(own_redis_app)  # at start it asks for every due row (perform_due)
        assert done.finished_its_work, done.output[-3000:]
    else:
        done = run_cli(own_redis_app, "run-periodic")
        assert done.returncode == 0, done.stderr[-3000:]

    expected = {
        (user.email, confirmation_subject(world.center.day)): 1,
        (world.client_user.email, REPORT_READY): 1,
        (world.client_user.email, SURVEY): 1,
    }
    assert sent_mail(outbox) == expected
    assert_one_valid_pdf(report.id, attempts=1)
    assert Counter(m.status for m in Message.select()) == {"sent": 3}
    assert_nothing_left_owed()

    # the other recovery path afterwards finds nothing more to do
    again = run_cli(own_redis_app, "run-periodic") if recovery == "burst-worker" else run_burst_worker(own_redis_app)
    assert getattr(again, "finished_its_work", again.returncode == 0)
    assert sent_mail(outbox) == expected
    assert_one_valid_pdf(report.id, attempts=1)
    assert_nothing_left_owed()


# --- 2. after the claim, before the send ------------------------------------------------------------------


@pytest.mark.both_dbs
def test_a_task_claimed_by_a_process_that_died_is_taken_back_after_its_lease_and_sent_once(app, monkeypatch, outbox):
    app.config.update(TASK_LEASE_SECONDS=1, TASK_RETRY_DELAYS=[0, 0, 0, 0, 0])
    from tests.booking_helpers import Center

    center = Center()
    hook = crash_once("mail.booking_confirmation", "claimed")
    monkeypatch.setitem(tasks.HOOKS, "claimed", hook)
    user = factories.make_user("client", email="booker@example.com")
    with pytest.raises(Crash):  # inline (no Redis): the run right after commit dies after its claim
        booking.book(Actor(user), user.client_id, center.slot.id, "BASIC")

    appointment = Appointment.get(Appointment.client == user.client_id)  # the booking committed
    task = Task.get(Task.kind == "mail.booking_confirmation")
    assert hook.fired == [task.id]
    assert (task.state, task.attempts, task.args_json) == ("running", 1, f"[{appointment.id}]")
    assert task.lease_until <= utcnow() + datetime.timedelta(seconds=1, milliseconds=500)  # capped by config
    assert Message.select().count() == 0 and outbox() == []

    assert tasks.dispatch_due() == 0  # within its lease nobody takes it
    assert Task.get_by_id(task.id).state == "running"

    wait_out_the_lease(task.id)
    assert tasks.dispatch_due() == 1  # taken back (failed, due at once) and run
    task = Task.get_by_id(task.id)
    assert (task.state, task.attempts, task.last_error) == ("done", 2, "")
    assert sent_mail(outbox) == {(user.email, confirmation_subject(center.day)): 1}
    message = Message.get()
    assert (message.status, message.attempts, message.kind) == ("sent", 1, "booking_confirmation")

    assert tasks.dispatch_due() == 0
    tasks.recover_abandoned(utcnow() + datetime.timedelta(hours=1))
    assert sent_mail(outbox) == {(user.email, confirmation_subject(center.day)): 1}
    assert_nothing_left_owed()


# --- 3. after the SMTP server accepted, before the row is marked sent -------------------------------------


@pytest.fixture
def smtp_server(app):
    """A real local SMTP server (aiosmtpd) that records every message it accepts."""
    import socket

    from aiosmtpd.controller import Controller

    received = []

    class Recorder:
        async def handle_DATA(self, server, session, envelope):
            received.append((list(envelope.rcpt_tos), envelope.content))
            return "250 Message accepted for delivery"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Recorder(), hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    try:
        yield received
    finally:
        controller.stop()


@pytest.mark.both_dbs
def test_a_crash_after_the_mail_server_accepted_never_sends_the_email_again(app, monkeypatch, smtp_server, outbox):
    app.config.update(TASK_LEASE_SECONDS=1, TASK_RETRY_DELAYS=[0, 0, 0, 0, 0])
    from tests.booking_helpers import Center

    center = Center()
    hook = crash_once("mail.booking_confirmation", "mail_accepted")
    monkeypatch.setitem(tasks.HOOKS, "mail_accepted", hook)
    user = factories.make_user("client", email="booker@example.com")
    with pytest.raises(Crash):
        booking.book(Actor(user), user.client_id, center.slot.id, "BASIC")

    assert [rcpt for rcpt, _content in smtp_server] == [[user.email]]  # it went out...
    message = Message.get()
    assert message.status == "sending"  # ...and the row does not know
    task = Task.get(Task.kind == "mail.booking_confirmation")
    assert hook.fired == [task.id] and (task.state, task.attempts) == ("running", 1)

    wait_out_the_lease(task.id)
    assert tasks.dispatch_due() == 1
    assert len(smtp_server) == 1  # never sent again
    message = Message.get_by_id(message.id)
    # not delivered for sure, not sent again: "failed" (the brief) or "uncertain" (messages.UNCERTAIN)
    assert message.status in ("failed", "uncertain") and "may have gone out" in message.error, (
        message.status,
        message.error,
    )
    assert message.retry_at is None and message.attempts == 1
    task = Task.get_by_id(task.id)
    assert (task.state, task.attempts) == ("done", 2)

    assert tasks.dispatch_due() == 0
    from checkup.services.mail import messages

    assert messages.retry_failed(utcnow() + datetime.timedelta(days=2)) == 0  # no later retry either
    assert len(smtp_server) == 1 and outbox() == []
    assert_nothing_left_owed()

    # staff see the message on the client's page, and why it was not sent again
    scheduler = factories.make_user("scheduler", email="desk@example.com")
    http = app.test_client()
    factories.sign_in_directly(http, scheduler)
    page = http.get(f"/directory/clients/{user.client_id}").get_data(as_text=True)
    assert confirmation_subject(center.day) in page and "not sent again" in page.replace(
        "not tried again", "not sent again"
    )
    assert "may have gone out" in page or "Maybe delivered" in page, (
        "staff are told the message was not delivered, yet the mail server accepted it"
    )


@pytest.mark.both_dbs
def test_a_message_the_stuck_sweep_gave_up_on_is_not_sent_again_by_its_task(app, monkeypatch, smtp_server):
    """The same crash, then a long outage: when the dispatcher comes back, the periodic mail sweep
    (mail.retry_failed) finds the row still `sending` after more than an hour and gives up on it; the
    email task's own retry must not send it again either."""
    app.config.update(TASK_LEASE_SECONDS=1, TASK_RETRY_DELAYS=[0, 0, 0, 0, 0])
    from checkup.services.mail import messages
    from tests.booking_helpers import Center

    center = Center()
    monkeypatch.setitem(tasks.HOOKS, "mail_accepted", crash_once("mail.booking_confirmation", "mail_accepted"))
    user = factories.make_user("client", email="booker@example.com")
    with pytest.raises(Crash):
        booking.book(Actor(user), user.client_id, center.slot.id, "BASIC")
    assert len(smtp_server) == 1
    message = Message.get()
    task = Task.get(Task.kind == "mail.booking_confirmation")
    # the hand-off began two hours ago and nothing ran since (the machine was down)
    Message.update(retry_at=utcnow() - messages.STUCK_AFTER * 2).where(Message.id == message.id).execute()
    wait_out_the_lease(task.id)

    periodic.owe_due(only="mail.retry_failed", fresh=True)  # the scheduler's first tick after the outage
    tasks.dispatch_due()
    assert len(smtp_server) == 1, "an email the server had accepted was sent a second time"
    message = Message.get_by_id(message.id)
    assert message.status in ("failed", "uncertain") and "may have gone out" in message.error
    assert Task.get_by_id(task.id).state == "done"
    assert_nothing_left_owed()


# --- 4 and 5. a work horse killed mid-PDF; the worker and its horse killed together --------------------------


def _pgid(pid):
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def work_horse_of(worker_pid):
    """The worker's forked work horse (rq puts it in a process group of its own)."""
    found = subprocess.run(["pgrep", "-P", str(worker_pid)], capture_output=True, text=True).stdout.split()
    horses = [int(pid) for pid in found if _pgid(int(pid)) == int(pid)]
    return horses[0] if len(horses) == 1 else None


def gone(pid):
    if not os.path.exists(f"/proc/{pid}"):
        return True
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] == "Z"  # a zombie is dead, not yet reaped
    except FileNotFoundError:
        return True


def start_worker(app, log_path):
    log = open(log_path, "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
        env=worker_env(app, CHECKUP_REPORT_RENDER_DELAY_SECONDS=120, **CRASH_ENV),
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    process.log = log
    return process


def stop(process, grace=5):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:  # rq's warm shutdown may sit in its pub/sub join: the machine goes
            process.kill()
            process.wait()
    process.log.close()


def kill_mid_render(app, report, tmp_path, also_the_worker):
    """Start a worker whose renders take two minutes, kill -9 its horse mid-render (and the worker too
    when ``also_the_worker``), stop whatever is left; returns the render task, left ``running``."""
    worker = start_worker(app, tmp_path / "worker.log")
    try:
        wait_for(
            lambda: Report.get_by_id(report.id).pdf_state == "rendering", timeout=45, message="the render to start"
        )
        horse = wait_for(lambda: work_horse_of(worker.pid), timeout=10, message="the work horse")
        if also_the_worker:
            for pid in (horse, worker.pid):
                os.kill(pid, signal.SIGKILL)
            worker.wait(timeout=10)
        else:
            os.kill(horse, signal.SIGKILL)
        wait_for(lambda: gone(horse), timeout=10, message="the horse to die")
    finally:
        stop(worker)
    log = (tmp_path / "worker.log").read_text()
    stuck = Report.get_by_id(report.id)
    assert (stuck.pdf_state, stuck.pdf_attempts) == ("rendering", 1), log[-3000:]
    assert not (report_pdf.reports_dir() / str(report.appointment_id) / f"{report.version}.pdf").exists()
    task = Task.get(Task.kind == "report.render_pdf")
    assert (task.state, task.attempts) == ("running", 1), log[-3000:]
    assert task.lease_until - task.started_at <= datetime.timedelta(seconds=2)  # CHECKUP_TASK_LEASE_SECONDS
    return task


@pytest.mark.both_dbs
def test_a_work_horse_killed_mid_pdf_is_recovered_by_run_periodic(own_redis_app, tmp_path, outbox):
    world, report = signed_world()
    task = kill_mid_render(own_redis_app, report, tmp_path, also_the_worker=False)
    wait_out_the_lease(task.id)

    done = run_cli(own_redis_app, "run-periodic", **CRASH_ENV)  # the cron line; nobody asked about reports
    assert done.returncode == 0, done.stderr[-3000:]
    assert_one_valid_pdf(report.id, attempts=2)
    task = Task.get_by_id(task.id)
    assert (task.state, task.attempts, task.last_error) == ("done", 2, "")
    assert sent_mail(outbox) == {(world.client_user.email, REPORT_READY): 1, (world.client_user.email, SURVEY): 1}
    assert_nothing_left_owed()

    again = run_burst_worker(own_redis_app, **CRASH_ENV)  # rq's leftovers of the killed job change nothing
    assert again.finished_its_work, again.output[-3000:]
    assert_one_valid_pdf(report.id, attempts=2)
    assert sent_mail(outbox) == {(world.client_user.email, REPORT_READY): 1, (world.client_user.email, SURVEY): 1}
    assert_nothing_left_owed()


@pytest.mark.both_dbs
def test_a_worker_killed_with_its_horse_mid_pdf_is_recovered_by_the_next_worker(own_redis_app, tmp_path, outbox):
    world, report = signed_world()
    task = kill_mid_render(own_redis_app, report, tmp_path, also_the_worker=True)
    wait_out_the_lease(task.id)

    done = run_burst_worker(own_redis_app, **CRASH_ENV)  # a new worker starts: it dispatches what is due
    assert done.finished_its_work, done.output[-3000:]
    assert_one_valid_pdf(report.id, attempts=2)
    task = Task.get_by_id(task.id)
    assert (task.state, task.attempts, task.last_error) == ("done", 2, "")
    assert sent_mail(outbox) == {(world.client_user.email, REPORT_READY): 1, (world.client_user.email, SURVEY): 1}
    assert_nothing_left_owed()

    again = run_cli(own_redis_app, "run-periodic", **CRASH_ENV)
    assert again.returncode == 0, again.stderr[-3000:]
    assert_one_valid_pdf(report.id, attempts=2)
    assert sent_mail(outbox) == {(world.client_user.email, REPORT_READY): 1, (world.client_user.email, SURVEY): 1}


# --- D. two schedulers ----------------------------------------------------------------------------------------


def start_cron(app, log_path):
    log = open(log_path, "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "cron"],
        env=worker_env(app, PYTHONUNBUFFERED="1"),
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    process.log, process.log_path = log, log_path
    return process


def said(process, words):
    return words in process.log_path.read_text()


def periodic_rows(started, now):
    """{kind: [interval numbers]} of the periodic rows, checking that each is keyed on an interval between
    ``started`` and ``now`` (epoch seconds) and that no kind was owed outside its schedule."""
    rows = {}
    kinds = dict(periodic.SCHEDULE)
    for task in Task.select().where(Task.kind.in_(list(kinds))):
        prefix = f"periodic:{task.kind}:"
        assert task.dedupe_key.startswith(prefix), (task.kind, task.dedupe_key)
        interval = int(task.dedupe_key[len(prefix) :])
        assert started // kinds[task.kind] <= interval <= now // kinds[task.kind], (task.kind, interval)
        rows.setdefault(task.kind, []).append(interval)
    return rows


def assert_one_row_per_interval(started, now):
    rows = periodic_rows(started, now)
    for kind, seconds in periodic.SCHEDULE:
        intervals = rows.get(kind, [])
        assert intervals, f"{kind} was never owed"
        assert len(intervals) == len(set(intervals)), (kind, intervals)
        assert len(intervals) <= now // seconds - started // seconds + 1, (kind, intervals)
    return rows


@pytest.mark.both_dbs
def test_two_cron_schedulers_one_runs_one_waits_and_takes_over(own_redis_app, tmp_path):
    started = int(time.time())
    crons = [start_cron(own_redis_app, tmp_path / f"cron-{n}.log") for n in (1, 2)]
    try:
        active = wait_for(
            lambda: next((c for c in crons if said(c, "scheduler running")), None),
            timeout=20,
            message="a scheduler to start",
        )
        waiting = next(c for c in crons if c is not active)
        wait_for(
            lambda: said(waiting, "waiting to be the only scheduler"),
            timeout=20,
            message="the second scheduler to start waiting",
        )
        time.sleep(20)  # two ticks of the active one (every 15 s)
        assert active.poll() is None and waiting.poll() is None  # both still run...
        assert not said(waiting, "scheduler running"), waiting.log_path.read_text()  # ...one schedules
        assert_one_row_per_interval(started, int(time.time()))

        os.kill(active.pid, signal.SIGKILL)
        active.wait(timeout=10)
        killed_at = time.monotonic()
        wait_for(lambda: said(waiting, "scheduler running"), timeout=10, message="the waiting one to take over")
        took = time.monotonic() - killed_at
        assert took < 5, f"the waiting scheduler took over after {took:.1f} s"
        time.sleep(1)  # its first tick owes nothing the first scheduler owed already for the interval
        assert_one_row_per_interval(started, int(time.time()))
    finally:
        for process in crons:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            process.log.close()
