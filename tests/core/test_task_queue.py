"""The task table: work owed is a row written with the change that owes it; Redis only wakes workers."""

import datetime
import pathlib
import re
import threading

import pytest

from checkup.core import periodic, tasks
from checkup.models import Message, Task
from checkup.models.base import db, utcnow
from checkup.services.accounts import accounts
from tests.conftest import PASSWORD
from tests.task_helpers import redis_app, run_worker  # noqa: F401  (redis_app is a fixture)

CODE = pathlib.Path(__file__).resolve().parents[2] / "checkup"
RAN = []


@pytest.fixture
def recording_kinds():
    """Two throw-away kinds: one that records its arguments, one that fails until told otherwise."""
    RAN.clear()
    state = {"fail": True}

    @tasks.handler("test.record")
    def record(*args):
        RAN.append(args)

    @tasks.handler("test.flaky")
    def flaky(*args):
        if state["fail"]:
            raise RuntimeError("the mail server said no")
        RAN.append(args)

    yield state
    tasks.REGISTRY.pop("test.record", None)
    tasks.REGISTRY.pop("test.flaky", None)


# --- owing ---------------------------------------------------------------------------------------


@pytest.mark.both_dbs
def test_a_task_commits_with_the_change_that_owes_it_and_runs_after_commit(app, recording_kinds):
    with db.atomic():
        task_id = tasks.defer("test.record", 7, "2026-12-06")
        assert RAN == []  # not before the transaction commits
    assert RAN == [(7, "2026-12-06")]
    task = Task.get_by_id(task_id)
    assert (task.state, task.attempts, task.last_error) == ("done", 1, "")
    assert task.finished_at is not None


@pytest.mark.both_dbs
def test_a_rolled_back_change_owes_nothing(app, recording_kinds):
    with pytest.raises(RuntimeError):
        with db.atomic():
            tasks.defer("test.record", 1)
            raise RuntimeError("the booking failed")
    assert Task.select().count() == 0 and RAN == []


def test_a_kind_without_handler_is_refused_at_once(app):
    with pytest.raises(tasks.UnknownTaskKind):
        tasks.defer("mail.no_such_kind", 1)
    assert Task.select().count() == 0


def test_arguments_must_be_plain_values(app, recording_kinds):
    with pytest.raises(TypeError):
        tasks.defer("test.record", object())
    assert Task.select().count() == 0


@pytest.mark.both_dbs
def test_a_dedupe_key_owes_the_work_once(app, recording_kinds):
    first = tasks.defer("test.record", 1, dedupe_key="once:1")
    second = tasks.defer("test.record", 1, dedupe_key="once:1")
    assert first == second and Task.select().count() == 1 and RAN == [(1,)]


def test_every_kind_named_in_the_code_has_a_handler(app):
    named = set()
    for path in CODE.rglob("*.py"):
        named |= set(re.findall(r'defer\(\s*"([a-z_.]+)"', path.read_text(encoding="utf-8")))
    named |= {kind for kind, _seconds in periodic.SCHEDULE}
    assert len(named) > 20
    assert sorted(named - set(tasks.REGISTRY)) == []


def test_no_job_is_named_by_a_dotted_path_any_more():
    for path in CODE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert 'enqueue("checkup' not in text, path
        assert not re.search(r'"checkup\.services\.[a-z_]+\.[a-z_]+"', text), path


# --- failing, retrying, dying --------------------------------------------------------------------


@pytest.mark.both_dbs
def test_a_failure_is_recorded_and_retried_on_schedule_then_dead(app, recording_kinds):
    app.config["TASK_RETRY_DELAYS"] = (60, 300)
    task_id = tasks.defer("test.flaky", 3)
    task = Task.get_by_id(task_id)
    assert (task.state, task.attempts) == ("failed", 1)
    assert task.last_error == "RuntimeError: the mail server said no"
    assert 59 <= (task.next_attempt_at - utcnow()).total_seconds() <= 61
    assert tasks.dispatch_due() == 0  # not due yet

    Task.update(next_attempt_at=utcnow()).where(Task.id == task_id).execute()
    assert tasks.run(task_id) == "failed"
    assert 299 <= (Task.get_by_id(task_id).next_attempt_at - utcnow()).total_seconds() <= 301
    Task.update(next_attempt_at=utcnow()).where(Task.id == task_id).execute()
    assert tasks.run(task_id) == "dead"
    dead = Task.get_by_id(task_id)
    assert (dead.state, dead.attempts) == ("dead", 3) and RAN == []
    assert tasks.dispatch_due() == 0  # a dead task waits for staff

    recording_kinds["fail"] = False
    assert tasks.retry_now(task_id) is True
    assert Task.get_by_id(task_id).state == "done" and RAN == [(3,)]


@pytest.mark.both_dbs
def test_a_task_left_running_by_a_dead_worker_is_taken_back_after_its_lease(app, recording_kinds):
    app.config["TASK_RETRY_DELAYS"] = (0,)
    app.config["REDIS_URL"], app.config["JOBS_INLINE"] = "redis://127.0.0.1:1/0", False  # owed, not run
    task_id = tasks.defer("test.record", 5)
    # as if a worker had claimed it and died
    Task.update(
        state="running", attempts=1, started_at=utcnow(), lease_until=utcnow() - datetime.timedelta(seconds=1)
    ).where(Task.id == task_id).execute()
    assert tasks.recover_abandoned() == 1
    taken = Task.get_by_id(task_id)
    assert taken.state == "failed" and "lease" in taken.last_error
    assert tasks.dispatch_due() == 1
    assert Task.get_by_id(task_id).state == "done" and RAN == [(5,)]


@pytest.mark.both_dbs
def test_of_two_claims_on_one_task_exactly_one_wins(app, recording_kinds):
    app.config["REDIS_URL"], app.config["JOBS_INLINE"] = "redis://127.0.0.1:1/0", False  # owed, not run
    task_id = tasks.defer("test.record", 9)
    first, second = Task.get_by_id(task_id), Task.get_by_id(task_id)
    now = utcnow()
    assert [tasks._claim(first, now), tasks._claim(second, now)] == [True, False]
    assert Task.get_by_id(task_id).attempts == 1


@pytest.mark.both_dbs
def test_concurrent_dispatchers_run_each_task_once(app, recording_kinds):
    app.config["REDIS_URL"], app.config["JOBS_INLINE"] = "redis://127.0.0.1:1/0", False  # wake-ups lost
    ids = [tasks.defer("test.record", n) for n in range(40)]
    assert Task.select().where(Task.state == "queued").count() == 40
    counts, errors = [], []

    def dispatcher():
        try:
            with app.app_context(), db.connection_context():
                counts.append(tasks.dispatch_due())
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=dispatcher) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [] and sum(counts) == 40
    assert sorted(args[0] for args in RAN) == list(range(40))
    assert Task.select().where(Task.id.in_(ids), Task.state == "done").count() == 40


# --- Redis only wakes ----------------------------------------------------------------------------


def test_with_redis_down_the_owing_change_stands_and_the_task_waits(app, recording_kinds):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    task_id = tasks.defer("test.record", 1)  # the wake-up fails quietly
    assert Task.get_by_id(task_id).state == "queued" and RAN == []
    assert tasks.oldest_queued_age() is not None
    assert tasks.dispatch_due() == 1 and RAN == [(1,)]
    assert tasks.oldest_queued_age() is None


def test_after_redis_failed_once_wake_ups_wait_for_the_dispatcher_without_trying(app, recording_kinds, monkeypatch):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    real_connection, tries = tasks.redis_connection, []
    monkeypatch.setattr(tasks, "redis_connection", lambda *a, **k: tries.append(1) or real_connection(*a, **k))
    tasks.defer("test.record", 1)
    tasks.defer("test.record", 2)  # a Redis that is down (or hangs) is not asked again at once
    assert len(tries) == 1 and tasks._redis_paused_until > 0
    assert Task.select().where(Task.state == "queued").count() == 2 and RAN == []


@pytest.mark.both_dbs
def test_a_registration_mail_goes_through_a_real_rq_worker_once(redis_app, client, outbox):
    response = client.post(
        "/register",
        data={
            "name": "Queue Person",
            "email": "queued@example.com",
            "phone": "13800000000",
            "sex": "female",
            "birth_date": "1991-01-01",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    assert response.status_code == 303
    [task] = Task.select().where(Task.kind == "mail.welcome")
    assert task.state == "queued" and outbox() == []
    assert tasks.queue().count == 1  # the wake-up
    finished = run_worker(redis_app)
    assert finished.returncode == 0, finished.stderr[-3000:]
    [message] = outbox()
    assert message["To"] == "queued@example.com" and "Queue Person" in message.get_content()
    assert Task.get_by_id(task.id).state == "done"
    [row] = Message.select().where(Message.kind == "welcome")
    assert (row.status, row.email, row.user_id is not None, row.client_id is not None) == (
        "sent",
        "queued@example.com",
        True,
        True,
    )
    # the same task run again (a late duplicate) sends nothing more
    Task.update(state="queued").where(Task.id == task.id).execute()
    assert tasks.run(task.id) == "done" and len(outbox()) == 1


def test_a_flushed_redis_loses_nothing(redis_app, outbox):
    accounts.register_client(
        "lost@example.com", PASSWORD, "Lost Wakeup", "male", datetime.date(1980, 1, 1), "13900000000"
    )
    tasks.queue().connection.flushdb()  # Redis restarted empty
    finished = run_worker(redis_app)  # a worker's start asks for every due row to run
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert [m["To"] for m in outbox()] == ["lost@example.com"]


def test_a_burst_worker_with_redis_down_exits_non_zero(app):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    finished = run_worker(app)
    assert finished.returncode != 0 and "Redis is unreachable" in finished.stderr


# --- periodic work -------------------------------------------------------------------------------


@pytest.mark.both_dbs
def test_periodic_work_is_owed_once_per_interval_however_often_the_scheduler_ticks(app):
    app.config["REDIS_URL"], app.config["JOBS_INLINE"] = "redis://127.0.0.1:1/0", False  # owed, not run
    now = datetime.datetime(2026, 12, 6, 9, 0, 30)
    first = periodic.owe_due(now)
    again = periodic.owe_due(now + datetime.timedelta(seconds=15))
    assert first == again and len(first) == len(periodic.SCHEDULE)
    next_minute = periodic.owe_due(now + datetime.timedelta(seconds=60))
    assert len(set(next_minute) - set(first)) == 1  # only the every-minute kind is owed again
    assert Task.get(Task.id == (set(next_minute) - set(first)).pop()).kind == "waitlist.expire_offers"


def test_run_periodic_owes_and_runs_every_periodic_kind(app):
    result = app.test_cli_runner().invoke(args=["run-periodic"])
    assert result.exit_code == 0, result.output
    assert f"periodic tasks owed: {len(periodic.SCHEDULE)}" in result.output
    assert Task.select().where(Task.state != "done").count() == 0
    refused = app.test_cli_runner().invoke(args=["run-periodic", "--only", "checkup.services.x"])
    assert refused.exit_code != 0 and "no periodic task" in refused.output


def _start_redis(port):
    import shutil
    import subprocess

    server = shutil.which("redis-server")
    if server is None:
        from tests.conftest import service_missing

        service_missing("redis-server is not installed")
    return subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait(predicate, seconds, what):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_the_worker_survives_redis_going_away_and_comes_back_to_work(app, tmp_path):
    import subprocess
    import sys

    from tests.conftest import reachable
    from tests.task_helpers import ROOT, worker_env

    port = 6391
    url = f"redis://127.0.0.1:{port}/0"
    redis = _start_redis(port)
    worker = None
    try:
        _wait(lambda: reachable(url, port), 10, "redis")
        app.config["REDIS_URL"] = url
        log = open(tmp_path / "worker.log", "w")
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
            env=worker_env(app),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        first = tasks.defer("tasks.noop", 1)
        _wait(lambda: Task.get_by_id(first).state == "done", 30, "the first task")

        redis.terminate()
        redis.wait(10)
        import time

        time.sleep(3)
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-2000:]
        second = tasks.defer("tasks.noop", 2)  # owed while Redis is away: the row waits
        assert Task.get_by_id(second).state == "queued"

        redis = _start_redis(port)
        _wait(lambda: reachable(url, port), 10, "redis again")
        tasks._redis_paused_until = 0.0
        assert tasks.wake_dispatcher()  # what `flask cron` does every tick
        _wait(lambda: Task.get_by_id(second).state == "done", 90, "the task owed while Redis was away")
        third = tasks.defer("tasks.noop", 3)
        _wait(lambda: Task.get_by_id(third).state == "done", 30, "a task woken after Redis came back")
        assert worker.poll() is None
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                worker.kill()
        redis.terminate()
        redis.wait(10)
