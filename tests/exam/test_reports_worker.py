"""Report PDFs through real rq workers on real Redis, including a work horse killed mid-render."""

import os
import signal
import subprocess
import sys
import time

import pypdf
import pytest

from checkup.core import stored_files, tasks
from checkup.models import Report, Task
from checkup.services.exam import report_pdf, reports
from tests.conftest import REDIS_URL
from tests.report_helpers import ReportWorld
from tests.task_helpers import redis_app  # noqa: F401  (the fixture)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


def worker_env(app, delay=0):
    env = dict(
        os.environ,
        CHECKUP_DATABASE_URL=app.config["DATABASE_URL"],
        CHECKUP_REDIS_URL=REDIS_URL,
        CHECKUP_SECRET_KEY=app.config["SECRET_KEY"],
        CHECKUP_NATIONAL_ID_KEY=app.config["NATIONAL_ID_KEY"],
        CHECKUP_OUTBOX_DIR=app.config["OUTBOX_DIR"],
        CHECKUP_BASE_URL=app.config["BASE_URL"],
        CHECKUP_CLIENT_LOCALE=app.config["CLIENT_LOCALE"],
        CHECKUP_REPORTS_DIR=app.config["REPORTS_DIR"],
        CHECKUP_REPORT_RENDER_DELAY_SECONDS=str(delay),
        CHECKUP_TASK_LEASE_SECONDS="2",
        CHECKUP_TASK_RETRY_DELAYS="0,0,0,0,0",
    )
    env.pop("CHECKUP_MAIL_SERVER", None)
    return env


def burst_worker(app):
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"],
        env=worker_env(app),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def wait_for(predicate, timeout=45, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {message}")


def work_horse_of(worker_pid):
    """The worker's forked work horse: rq puts it in its own process group (the scheduler child is not)."""
    found = subprocess.run(["pgrep", "-P", str(worker_pid)], capture_output=True, text=True).stdout.split()
    horses = [int(pid) for pid in found if _pgid(int(pid)) == int(pid)]
    return horses[0] if len(horses) == 1 else None


def _pgid(pid):
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def assert_one_valid_pdf(report):
    folder = report_pdf.reports_dir() / str(report.appointment_id)
    assert sorted(p.name for p in folder.iterdir()) == [f"{report.version}.pdf"]  # no temp file left either
    path = folder / f"{report.version}.pdf"
    assert stored_files.sha256_of(path) == report.pdf_checksum
    reader = pypdf.PdfReader(str(path))
    assert len(reader.pages) >= 2 and "王芳" in reader.pages[0].extract_text()


@pytest.mark.both_dbs
def test_signing_queues_the_pdf_and_a_burst_worker_makes_it(redis_app, outbox):
    world = ReportWorld()
    world.all_results()
    report = reports.sign(world.actor(), world.appointment.id, "Summary", "Advice")
    assert Report.get_by_id(report.id).pdf_state == "pending"
    assert report_pdf.reports_dir().exists() is False or not any(report_pdf.reports_dir().iterdir())
    finished = burst_worker(redis_app)
    assert finished.returncode == 0, finished.stderr[-3000:]
    ready = Report.get_by_id(report.id)
    assert (ready.pdf_state, ready.status, ready.pdf_attempts) == ("ready", "published", 1)
    assert_one_valid_pdf(ready)
    assert "Your checkup report is ready" in [m["Subject"] for m in outbox()]


@pytest.mark.both_dbs
def test_a_killed_work_horse_still_ends_with_exactly_one_ready_pdf(redis_app, tmp_path):
    world = ReportWorld()
    world.all_results()
    report = reports.sign(world.actor(), world.appointment.id, "Summary", "Advice")
    log = open(tmp_path / "worker.log", "w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
        env=worker_env(redis_app, delay=120),
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: Report.get_by_id(report.id).pdf_state == "rendering", message="the job to start rendering")
        horse = wait_for(lambda: work_horse_of(worker.pid), timeout=10, message="the work horse")
        os.kill(horse, signal.SIGKILL)
        wait_for(
            lambda: _pgid(horse) is None or not os.path.exists(f"/proc/{horse}"), timeout=10, message="the horse to die"
        )
    finally:
        worker.send_signal(signal.SIGTERM)  # the machine goes away too: nothing retries in the background
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        log.close()

    stuck = Report.get_by_id(report.id)
    assert (stuck.pdf_state, stuck.pdf_attempts) == ("rendering", 1), (tmp_path / "worker.log").read_text()[-3000:]
    assert not (report_pdf.reports_dir() / str(world.appointment.id) / "1.pdf").exists()
    [task] = Task.select().where(Task.kind == "report.render_pdf")
    assert task.state == "running"  # the row remembers the work the dead horse held

    time.sleep(2.5)  # its lease (CHECKUP_TASK_LEASE_SECONDS=2) runs out
    finished = burst_worker(redis_app)  # a new worker: takes the row back and makes the PDF, nobody typing
    assert finished.returncode == 0, finished.stderr[-3000:]

    ready = Report.get_by_id(report.id)
    assert (ready.pdf_state, ready.status, ready.pdf_attempts) == ("ready", "published", 2)
    assert_one_valid_pdf(ready)
    assert Task.get_by_id(task.id).state == "done"
    # a late duplicate (the task run again) changes nothing
    report_pdf.render_report_pdf(report.id)
    assert Report.get_by_id(report.id).pdf_checksum == ready.pdf_checksum
    assert_one_valid_pdf(ready)


def test_a_flushed_redis_loses_no_pdf(redis_app):
    world = ReportWorld()
    world.all_results()
    report = reports.sign(world.actor(), world.appointment.id, "Summary", "Advice")
    tasks.queue().connection.flushdb()  # the wake-up is gone
    assert tasks.queue().count == 0
    finished = burst_worker(redis_app)  # a worker's start drains every due row
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert Report.get_by_id(report.id).pdf_state == "ready"
