"""Task dispatch benchmark: how fast the task table is drained, through rq workers and in-process.

    .venv/bin/python bench/tasks.py                        # 2,000 trivial tasks, 300 welcome e-mails, 2 workers
    .venv/bin/python bench/tasks.py --tasks 500 --emails 100 --workers 2

Sets up a throw-away PostgreSQL database (bench/common.py: 127.0.0.1:5432 as postgres) and uses a
dedicated Redis DB (``--redis-db``, default 10; refused when it is not empty, flushed before each phase
and at the end). Workers are ``flask --app wsgi worker --burst`` subprocesses (the real CLI: one rq
work horse forked per job, one ``perform_due`` job enqueued by each worker at start) with their
folders (outbox, reports, group documents) in a temp dir. Every phase is timed from the start of the
workers (or threads) until every row is done, polling the table; a phase that does not finish within
``--phase-timeout`` seconds is reported with its rate so far. Once the rows are done and the rq queue is
empty, the benchmark stops its workers (their process groups) instead of waiting for them to exit:
see ``with_workers``. Workers, SMTP server, database and Redis DB are cleaned up on error too.

Trivial tasks (``tasks.noop``, N rows deferred in one transaction):
  woken     Redis set: the commit's wake-ups enqueue a ``perform_due`` drain job (one waiting at a
            time; a running drain asks for one more while rows are due, so every worker joins).
  lost      the same, but Redis is flushed before the workers start: the wake-ups are lost and the
            workers' start-up ``perform_due`` jobs drain the table (FOR UPDATE SKIP LOCKED).
  threads   no Redis at all: 2 threads in this process each run ``tasks.dispatch_due()``.
            (The rows are deferred with a 1 ms ``delay``: without Redis an undelayed defer runs
            the task inline at commit, which is not what is measured here.)
Welcome e-mails (``mail.welcome``, M users, one transaction): woken, then again with the wake-ups
lost, sent by the workers through ``messages.send_owed`` to an SMTP server in this process (aiosmtpd
on 127.0.0.1, already a ``test`` extra); timed until every Message row is ``sent``, then checked: the
server received exactly M messages, one per address, each addressed to its envelope recipient.

"tasks/s" counts from the workers' start, so it includes their start-up (Python, the app, the
report font and catalogs: about a second); "steady" is (rows - 1) / (last finished_at - first
finished_at), the rate once the first task has run.
"""

import argparse
import collections
import datetime
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from peewee import fn  # noqa: E402

from bench.common import make_database  # noqa: E402
from checkup import create_app, database  # noqa: E402
from checkup.core import tasks  # noqa: E402
from checkup.models import Message, User  # noqa: E402
from checkup.models.base import (
    db,  # noqa: E402
    utcnow,  # noqa: E402
)
from checkup.models.tasks import DONE, Task  # noqa: E402

SECRET_KEY = "bench-tasks-secret"
NATIONAL_ID_KEY = "bench-tasks-national-id"
POLL_SECONDS = 0.05
CHUNK = 500


# --- the machine ---------------------------------------------------------------------------------------


def machine(redis):
    cpu = "?"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "?"
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    postgres = db.execute_sql("SHOW server_version").fetchone()[0]
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "postgres": postgres,
        "redis": redis.info("server")["redis_version"],
        "date": datetime.date.today().isoformat(),
    }


# --- processes -------------------------------------------------------------------------------------------


class Workers:
    """``count`` burst workers, each in its own process group (its forked work horses with it), so
    that stopping them stops exactly what this benchmark started."""

    def __init__(self, count, env, folder, label):
        self.logs = [open(Path(folder) / f"worker-{label}-{i}.log", "w") for i in range(count)]
        self.procs = []
        try:
            for log in self.logs:
                self.procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"],
                        env=env,
                        cwd=ROOT,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        except BaseException:
            self.stop()
            raise

    def running(self):
        return any(p.poll() is None for p in self.procs)

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(timeout=10)
        for log in self.logs:
            log.close()


def worker_env(config, redis_url, folder, mail_port=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHECKUP_")}
    env.update(
        CHECKUP_DATABASE_URL=config["DATABASE_URL"],
        CHECKUP_REDIS_URL=redis_url,
        CHECKUP_SECRET_KEY=SECRET_KEY,
        CHECKUP_NATIONAL_ID_KEY=NATIONAL_ID_KEY,
        CHECKUP_JOBS_INLINE="0",
        CHECKUP_OUTBOX_DIR=f"{folder}/outbox",
        CHECKUP_REPORTS_DIR=f"{folder}/reports",
        CHECKUP_GROUP_DOCS_DIR=f"{folder}/group_documents",
        CHECKUP_BASE_URL="http://127.0.0.1:5000",
        CHECKUP_CLIENT_LOCALE="en",
    )
    if mail_port:
        env.update(CHECKUP_MAIL_SERVER="127.0.0.1", CHECKUP_MAIL_PORT=str(mail_port))
    return env


# --- the SMTP server ----------------------------------------------------------------------------------------


class Inbox:
    """aiosmtpd handler: remembers each message's envelope recipients and To header."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes

        to = message_from_bytes(
            envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        ).get("To", "")
        with self.lock:
            self.messages.append((tuple(r.lower() for r in envelope.rcpt_tos), to.lower()))
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- phases -------------------------------------------------------------------------------------------------


def clear_tables():
    with db.connection_context():
        Message.delete().execute()
        Task.delete().execute()


def defer_noops(n, delay=None):
    """N ``tasks.noop`` rows in one transaction; returns seconds for defer + commit (with the wake-ups)."""
    started = time.perf_counter()
    with db.connection_context():
        with db.atomic():
            for i in range(n):
                tasks.defer("tasks.noop", i, delay=delay)
    return time.perf_counter() - started


def done_count():
    return Task.select().where(Task.state == DONE).count()


def steady_rate():
    """(rows done - 1) / (last finished_at - first finished_at), and the state counts."""
    first, last, count = (
        Task.select(fn.MIN(Task.finished_at), fn.MAX(Task.finished_at), fn.COUNT(Task.id))
        .where(Task.state == DONE)
        .scalar(as_tuple=True)
    )
    states = {state: c for state, c in Task.select(Task.state, fn.COUNT(Task.id)).group_by(Task.state).tuples()}
    span = (last - first).total_seconds() if first and last else 0
    return ((count - 1) / span if span > 0 else None), states


def with_workers(label, count, env, folder, target, finished, timeout, redis):
    """Start ``count`` burst workers; poll ``finished()`` until it reaches ``target`` (or ``timeout``), then
    until the rq queue is empty, then stop the workers. Returns figures.

    The workers are stopped rather than left to exit: with rq 3.0 and redis-py 8.2 a burst worker whose
    Redis connection has a connect timeout (as `flask worker` gives it) often waits ~60 s in its pub/sub
    teardown after "done, quitting", which would only measure that wait."""
    from rq import Queue
    from rq.registry import FailedJobRegistry

    queue = Queue("default", connection=redis)
    all_done = drained = None
    reached = 0
    started = time.perf_counter()
    deadline = started + timeout
    workers = Workers(count, env, folder, label)
    try:
        with db.connection_context():
            while time.perf_counter() < deadline:
                reached = finished()
                if reached >= target:
                    all_done = time.perf_counter() - started
                    break
                if not workers.running():
                    break
                time.sleep(POLL_SECONDS)
        elapsed = time.perf_counter() - started
        if all_done is not None:
            settle = time.perf_counter() + 10
            while queue.count and workers.running() and time.perf_counter() < settle:
                time.sleep(POLL_SECONDS)
            drained = time.perf_counter() - started
    finally:
        workers.stop()
    with db.connection_context():
        steady, states = steady_rate()
        reached = finished()
    return {
        "label": label,
        "done": all_done,
        "elapsed": elapsed,
        "reached": reached,
        "target": target,
        "steady": steady,
        "states": states,
        "drained": drained,
        "left_in_queue": queue.count,
        "failed_jobs": FailedJobRegistry(queue=queue).count,
        "quit_normally": sum(
            "done, quitting" in (Path(folder) / f"worker-{label}-{i}.log").read_text() for i in range(count)
        ),
    }


def with_threads(app, count, n, timeout):
    """``count`` threads each running ``tasks.dispatch_due()`` in this process (no Redis)."""
    ran = [0] * count
    errors = []

    def dispatcher(index):
        try:
            with app.app_context(), db.connection_context():
                ran[index] = tasks.dispatch_due(seconds=timeout)
        except Exception as error:  # reported below
            errors.append(repr(error))

    threads = [threading.Thread(target=dispatcher, args=(i,), daemon=True) for i in range(count)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 5)
    elapsed = time.perf_counter() - started
    with db.connection_context():
        steady, states = steady_rate()
        reached = done_count()
    return {
        "label": "threads",
        "done": elapsed if reached >= n else None,
        "elapsed": elapsed,
        "reached": reached,
        "target": n,
        "steady": steady,
        "states": states,
        "ran": ran,
        "errors": errors,
    }


def make_users(m):
    now = utcnow()
    rows = [
        {
            "email": f"bench{i:05d}@tasks-bench.test",
            "name": f"Bench User {i}",
            "password_hash": "!bench-no-login",
            "locale": "zh" if i % 2 else "en",
            "created_at": now,
        }
        for i in range(m)
    ]
    with db.connection_context(), db.atomic():
        for start in range(0, m, CHUNK):
            User.insert_many(rows[start : start + CHUNK]).execute()
        return [
            (u.id, u.email)
            for u in User.select(User.id, User.email).where(User.email.endswith("@tasks-bench.test")).order_by(User.id)
        ]


def defer_welcomes(user_ids):
    started = time.perf_counter()
    with db.connection_context(), db.atomic():
        for user_id in user_ids:
            tasks.defer("mail.welcome", user_id)
    return time.perf_counter() - started


def sent_count():
    return Message.select().where(Message.status == "sent").count()


# --- output ---------------------------------------------------------------------------------------------------

HEADER = "| what | N | defer + commit | all done (from start) | tasks/s | steady tasks/s |\n|---|---|---|---|---|---|"


def row(what, n, figures, defer_s):
    if figures["done"] is not None:
        done, per_s = f"{figures['done']:.2f} s", f"{n / figures['done']:,.0f}"
    else:  # given up: the rate so far
        done = f"NOT DONE: {figures['reached']}/{n} after {figures['elapsed']:.1f} s"
        per_s = f"{figures['reached'] / figures['elapsed']:,.0f} (partial)"
    steady = f"{figures['steady']:,.0f}" if figures.get("steady") else "—"
    return f"| {what} | {n:,} | {defer_s:.2f} s | {done} | {per_s} | {steady} |"


def details(figures):
    parts = [f"task states {figures['states']}"]
    if "failed_jobs" in figures:
        drained = f"{figures['drained']:.2f} s" if figures["drained"] is not None else "—"
        parts.append(
            f"queue empty at {drained}, {figures['left_in_queue']} jobs left, "
            f"{figures['failed_jobs']} failed rq jobs, {figures['quit_normally']} workers had quit on "
            f"their own"
        )
    if "ran" in figures:
        parts.append(
            f"rows run per thread {figures['ran']}" + (f", errors {figures['errors']}" if figures["errors"] else "")
        )
    return "; ".join(parts)


def check_inbox(inbox, users, m):
    """(exactly once?, a line saying what the SMTP server received)."""
    with inbox.lock:
        received = list(inbox.messages)
        inbox.messages.clear()
    per_address = collections.Counter(r for rcpts, _to in received for r in rcpts)
    expected = {e.lower() for _u, e in users}
    with db.connection_context():
        statuses = dict(Message.select(Message.status, fn.COUNT(Message.id)).group_by(Message.status).tuples())
    ok = (
        len(received) == m
        and set(per_address) == expected
        and all(c == 1 for c in per_address.values())
        and all(rcpts == (to,) for rcpts, to in received)
    )
    line = (
        f"server received {len(received)} messages for {len(per_address)} addresses (at most "
        f"{max(per_address.values(), default=0)} per address, {len(expected - set(per_address))} missing, "
        f"{len(set(per_address) - expected)} unexpected); Message rows {statuses}  ->  "
        + ("exactly once: OK" if ok else "EXACTLY-ONCE VIOLATED")
    )
    return ok, line


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=2000, help="trivial (tasks.noop) rows per phase")
    parser.add_argument("--emails", type=int, default=300, help="users owed a welcome e-mail")
    parser.add_argument("--workers", type=int, default=2, help="worker subprocesses (and dispatcher threads)")
    parser.add_argument("--redis-db", type=int, default=10, help="a Redis DB index nobody else uses (must be empty)")
    parser.add_argument(
        "--phase-timeout",
        type=float,
        default=90,
        help="seconds before a phase is given up (its rate so far is reported)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and folder (worker logs)")
    args = parser.parse_args()
    # a SIGTERM (like Ctrl-C) unwinds through the clean-up below: workers, SMTP server, database, Redis DB
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))

    from redis import Redis

    redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
    redis = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=10)
    redis.ping()
    if redis.dbsize():
        raise SystemExit(f"Redis DB {args.redis_db} is not empty: choose an unused one with --redis-db")
    folder = tempfile.mkdtemp(prefix="checkup-bench-tasks-")
    url, drop = make_database("postgres", folder, "bench_tasks")
    app = create_app(
        {
            "INSTANCE_PATH": f"{folder}/instance",
            "DATABASE_URL": url,
            "SECRET_KEY": SECRET_KEY,
            "NATIONAL_ID_KEY": NATIONAL_ID_KEY,
            "REDIS_URL": redis_url,
            "JOBS_INLINE": False,
            "MAIL_SERVER": None,
            "OUTBOX_DIR": f"{folder}/outbox",
            "RATELIMIT_ENABLED": False,
        }
    )
    controller = None
    results, checks = [], []
    n, m, w = args.tasks, args.emails, args.workers
    try:
        with app.app_context():
            database.upgrade()
            with db.connection_context():
                info = machine(redis)
            load = " ".join(f"{v:.2f}" for v in os.getloadavg())
            print(
                f"machine          {info['nproc']} CPUs ({info['cpu']}), {info['memory']}, Python {info['python']}, "
                f"PostgreSQL {info['postgres']}, Redis {info['redis']}, {info['date']}; load average {load}"
            )
            env = worker_env(app.config, redis_url, folder)

            def report(what, count, figures, defer_s):
                results.append((what, count, figures, defer_s))
                print(row(what, count, figures, defer_s))
                print(f"    {details(figures)}")

            # (1) woken: one rq job per task
            clear_tables()
            redis.flushdb()
            defer_s = defer_noops(n)
            print(
                f"{n} noop rows deferred and committed in {defer_s:.2f} s; "
                f"{tasks.queue(redis).count} rq jobs queued by the wake-ups"
            )
            print(HEADER)
            report(
                f"noop, woken: drain jobs (one waiting at a time), {w} workers",
                n,
                with_workers("woken", w, env, folder, n, done_count, args.phase_timeout, redis),
                defer_s,
            )

            # (2) wake-ups lost: the workers' perform_due drains the table
            clear_tables()
            redis.flushdb()
            defer_s = defer_noops(n)
            redis.flushdb()
            report(
                f"noop, wake-ups lost: `perform_due` drains (SKIP LOCKED), {w} workers",
                n,
                with_workers("lost", w, env, folder, n, done_count, args.phase_timeout, redis),
                defer_s,
            )

            # (3) no Redis: dispatch_due threads in this process
            clear_tables()
            redis.flushdb()
            app.config["REDIS_URL"] = None
            defer_s = defer_noops(n, delay=datetime.timedelta(milliseconds=1))
            time.sleep(0.01)
            report(
                f"noop, no Redis: {w} `dispatch_due()` threads in one process",
                n,
                with_threads(app, w, n, args.phase_timeout),
                defer_s,
            )
            app.config["REDIS_URL"] = redis_url

            # (4) welcome e-mails through SMTP: woken, then with the wake-ups lost
            from aiosmtpd.controller import Controller

            inbox = Inbox()
            port = free_port()
            controller = Controller(inbox, hostname="127.0.0.1", port=port)
            controller.start()
            mail_env = worker_env(app.config, redis_url, folder, port)
            clear_tables()
            users = make_users(m)
            for label, lose in (("mail-woken", False), ("mail-lost", True)):
                clear_tables()
                redis.flushdb()
                defer_s = defer_welcomes([u for u, _e in users])
                if lose:
                    redis.flushdb()
                figures = with_workers(label, w, mail_env, folder, m, sent_count, args.phase_timeout, redis)
                time.sleep(0.2)  # the server answers DATA before the row is marked sent: let the inbox settle
                how = "wake-ups lost, `perform_due` drains" if lose else "woken: drain jobs"
                report(f"`mail.welcome` through SMTP, {how}, {w} workers", m, figures, defer_s)
                ok, line = check_inbox(inbox, users, m)
                checks.append(ok)
                print(f"    {line}")

        print()
        print(HEADER)
        for r in results:
            print(row(*r))
        print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        if not all(checks):
            raise SystemExit("exactly-once check failed")
    finally:
        if controller is not None:
            controller.stop()
        try:
            redis.flushdb()
        finally:
            if args.keep:
                print(f"kept             {folder} and {url}")
            else:
                if not db.is_closed():
                    db.close()
                if hasattr(db.obj, "close_all"):
                    db.obj.close_all()
                drop()
                shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
