"""Work owed, as rows of the task table; Redis only wakes the workers.

A change that owes background work (an email, a PDF, an import, a campaign batch) calls ``defer``
inside its own transaction: the task row commits with the change or not at all. Once the transaction
commits, the task is *woken*: with Redis, a drain job that runs every due row (one waiting at a time,
however many tasks were owed); without Redis (the embedded set-up), the task runs right there. A lost wake-up loses nothing: ``dispatch_due`` (run by
``flask cron``, ``run-periodic`` and every worker start) claims and runs every due row.

Task kinds are registered by name with ``@handler("kind")``; ``defer`` refuses a kind that has no
handler. A handler takes the row's arguments (ids and plain values, never a secret), must be safe to
run again (a retry or a late duplicate), and raises to ask for another try: the row goes ``failed``
with the error and is tried again after ``RETRY_DELAYS``; after the last, it is ``dead`` and waits
for staff (the admin's "Background work" page). A row left ``running`` by a worker that died is taken
back when its lease runs out.
"""

from __future__ import annotations

import contextvars
import datetime
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, TypeVarTuple

from flask import Flask, current_app, has_app_context
from peewee import Expression, PostgresqlDatabase
from redis import Redis
from rq import Queue

from checkup.models.base import db, utcnow
from checkup.models.tasks import DEAD, DONE, FAILED, QUEUED, RUNNING, Task

log = logging.getLogger(__name__)

_HandlerT = TypeVar("_HandlerT", bound=Callable[..., Any])
_T = TypeVar("_T")
_Args = TypeVarTuple("_Args")

# After the n-th failed attempt the next comes this many seconds later; after the last, the task is dead.
RETRY_DELAYS = (60, 5 * 60, 30 * 60, 2 * 60 * 60, 6 * 60 * 60)
DEFAULT_LEASE = datetime.timedelta(minutes=10)
REDIS_TIMEOUT_SECONDS = 2


@dataclass(frozen=True)
class Kind:
    name: str
    run: Callable[..., Any]
    lease: datetime.timedelta


REGISTRY: dict[str, Kind] = {}
_current: contextvars.ContextVar[Task | None] = contextvars.ContextVar("current_task", default=None)
# Test hooks: name -> callable(task), called at the named point of a run (crash-window tests).
HOOKS: dict[str, Callable[[Task], None]] = {}


class UnknownTaskKind(LookupError):
    """``defer`` was asked for a kind no handler is registered for."""


def handler(name: str, lease_minutes: float = 10) -> Callable[[_HandlerT], _HandlerT]:
    """Register ``fn`` as the handler of task kind ``name`` (one handler per name)."""

    def register(fn: _HandlerT) -> _HandlerT:
        existing = REGISTRY.get(name)
        if existing is not None and existing.run.__qualname__ != fn.__qualname__:
            raise ValueError(f"task kind {name!r} is already handled by {existing.run.__qualname__}")
        REGISTRY[name] = Kind(name, fn, datetime.timedelta(minutes=lease_minutes))
        fn.task_kind = name  # type: ignore[attr-defined]  # a function takes attributes; its type does not say so
        return fn

    return register


def current() -> Task | None:
    """The task row being run in this context (an email handler keys its message on it)."""
    return _current.get()


def checkpoint(point: str) -> None:
    """A named point inside a handler (e.g. "mail_accepted") where a crash-window test may stop the run."""
    task = current()
    if task is not None:
        _hook(point, task)


def _hook(point: str, task: Task) -> None:
    fn = HOOKS.get(point)
    if fn is not None:
        fn(task)


# --- owing work ------------------------------------------------------------------------------------


def defer(
    kind: str,
    *args: Any,
    dedupe_key: str | None = None,
    caused_by: int | None = None,
    delay: datetime.timedelta | None = None,
) -> int:
    """Owe ``kind(*args)``: write its row (in the caller's transaction, if any) and wake a worker once
    that commits. With ``dedupe_key``, a second call with the same key owes nothing more. Returns the
    task id. Raises UnknownTaskKind for a kind without handler, TypeError for arguments that are not
    plain JSON values."""
    if kind not in REGISTRY:
        raise UnknownTaskKind(kind)
    now = utcnow()
    row = {
        "kind": kind,
        "args_json": json.dumps(list(args)),
        "created_at": now,
        "next_attempt_at": now + (delay or datetime.timedelta(0)),
        "caused_by": caused_by,
        "dedupe_key": (dedupe_key or f"{kind}:{uuid.uuid4().hex}")[:160],
    }
    task_id: int  # the queries' results are untyped in peewee's stubs
    if dedupe_key is None:
        task_id = Task.insert(**row).execute()
    else:
        owed: int | None = Task.select(Task.id).where(Task.dedupe_key == row["dedupe_key"]).scalar()
        if owed is not None:
            return owed  # owed already: nothing more to write or wake
        Task.insert(**row).on_conflict_ignore().execute()
        task_id = Task.select(Task.id).where(Task.dedupe_key == row["dedupe_key"]).scalar()
    if not delay:
        db.after_commit(lambda: wake(task_id))
    return task_id


def inline() -> bool:
    """Without Redis (or with CHECKUP_JOBS_INLINE) tasks run in the process that owes them."""
    config = current_app.config
    return not config.get("REDIS_URL") or bool(config.get("JOBS_INLINE"))


_clients: dict[str, Redis] = {}
# Set while a drain job waits in the queue: a burst of wake-ups enqueues one job, not one per task
# (rq forks a process per job, which costs more than most tasks).
DISPATCH_WANTED = "checkup:dispatch-wanted"


def redis_connection(url: str | None = None) -> Redis:
    """This process's Redis client for ``url`` (one connection pool, reused), giving up quickly: an
    outage must never hang a page."""
    url = url or current_app.config["REDIS_URL"]
    client = _clients.get(url)
    if client is None:
        client = _clients[url] = Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
        )
    return client


def queue(connection: Redis | None = None, name: str = "default") -> Queue:
    return Queue(name, connection=connection or redis_connection())


# After Redis failed to take a wake-up, this process leaves it alone for a while: one slow request
# per pause, not every request waiting for a Redis that is down or hanging.
REDIS_PAUSE_SECONDS = 30
_redis_paused_until = 0.0


def _enqueue_drain() -> bool:
    """Have a worker run every due task: enqueue one drain job unless one is already waiting."""
    global _redis_paused_until
    if time.monotonic() < _redis_paused_until:
        return False
    try:
        connection = redis_connection()
        if connection.set(DISPATCH_WANTED, "1", nx=True, ex=60):
            queue(connection).enqueue(perform_due, job_timeout=3600, result_ttl=0, failure_ttl=24 * 3600)
        return True
    except Exception:  # connection refused, timeout, auth: the row stays due for the dispatcher
        _redis_paused_until = time.monotonic() + REDIS_PAUSE_SECONDS
        log.warning(
            "Redis did not take a wake-up; tasks wait for the dispatcher (next try in %s s)",
            REDIS_PAUSE_SECONDS,
            exc_info=True,
        )
        return False


def wake(task_id: int) -> None:
    """Best effort: have the task run soon. Never raises; a lost wake-up is caught by ``dispatch_due``."""
    try:
        if inline():
            run(task_id)
        else:
            _enqueue_drain()
    except Exception:  # a bug in a handler run inline: recorded on the row by run(); never the user's problem
        log.warning("task %s not run now; the dispatcher will run it", task_id, exc_info=True)


def wake_dispatcher() -> bool:
    """Ask a worker to run every due row (Redis), or run them here (no Redis). Never raises."""
    try:
        if inline():
            dispatch_due()
            return True
        return _enqueue_drain()
    except Exception:
        log.warning("could not run the dispatcher", exc_info=True)
        return False


# --- running ---------------------------------------------------------------------------------------


def _due(now: datetime.datetime) -> Expression:
    return Task.state.in_((QUEUED, FAILED)) & (Task.next_attempt_at <= now)


def _lease_for(kind_name: str) -> datetime.timedelta:
    kind = REGISTRY.get(kind_name)
    lease = kind.lease if kind else DEFAULT_LEASE
    cap = current_app.config.get("TASK_LEASE_SECONDS") if has_app_context() else None
    return min(lease, datetime.timedelta(seconds=cap)) if cap else lease


def _claim(task: Task, now: datetime.datetime) -> bool:
    """Take ``task`` for one run: a conditional UPDATE, so of two claimants exactly one wins."""
    claimed = (
        Task.update(
            state=RUNNING,
            attempts=Task.attempts + 1,
            started_at=now,
            finished_at=None,
            lease_until=now + _lease_for(task.kind),
        )
        .where(
            Task.id == task.id, Task.state == task.state, Task.attempts == task.attempts, Task.next_attempt_at <= now
        )
        .execute()
    )
    if claimed:
        task.state, task.attempts, task.started_at = RUNNING, task.attempts + 1, now
    return bool(claimed)


def run(task_id: int) -> str | None:
    """Run one task if it is due and nobody else has it. Returns its new state, or None if not run."""
    now = utcnow()
    task = Task.get_or_none(Task.id == task_id)
    if task is None or task.state not in (QUEUED, FAILED) or task.next_attempt_at > now:
        return None
    if not _claim(task, now):
        return None
    return _execute(task)


def claim_next(now: datetime.datetime | None = None) -> Task | None:
    """The oldest due task, claimed for this process; None when nothing is due.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so concurrent dispatchers take different rows without
    waiting on each other. SQLite (one writer at a time): the conditional UPDATE decides."""
    now = now or utcnow()
    for _ in range(20):
        query = Task.select().where(_due(now)).order_by(Task.next_attempt_at, Task.id).limit(1)
        if _is_postgres():
            with db.atomic():
                task: Task | None = query.for_update(skip_locked=True).first()
                if task is not None and _claim(task, now):
                    return task
                if task is None:
                    return None
            continue
        task = query.first()
        if task is None:
            return None
        if _claim(task, now):
            return task
    return None


def _is_postgres() -> bool:
    return isinstance(db.obj, PostgresqlDatabase)


def _execute(task: Task) -> str:
    kind = REGISTRY.get(task.kind)
    if kind is None:
        return _finish_failed(task, f"No handler is registered for task kind {task.kind!r}.", final=True)
    token = _current.set(task)
    try:
        _hook("claimed", task)
        kind.run(*json.loads(task.args_json))
    except Exception as error:  # any failure is recorded on the row and retried on schedule
        log.warning(
            "task %s (%s) attempt %s failed: %s",
            task.id,
            task.kind,
            task.attempts,
            error,
            exc_info=not isinstance(error, RetryLater),
        )
        return _finish_failed(task, _describe(error))
    finally:
        _current.reset(token)
    (
        Task.update(state=DONE, finished_at=utcnow(), lease_until=None, last_error="")
        .where(Task.id == task.id, Task.state == RUNNING, Task.attempts == task.attempts)
        .execute()
    )
    return DONE


class RetryLater(Exception):
    """A handler's expected failure (mail server down, folder not writable): logged without a traceback,
    retried on schedule like any other."""


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return (text if isinstance(error, RetryLater) else f"{type(error).__name__}: {text}")[:2000]


def retry_delays() -> tuple[int, ...]:
    configured = current_app.config.get("TASK_RETRY_DELAYS") if has_app_context() else None
    return tuple(configured) if configured else RETRY_DELAYS


def next_attempt_after_failure() -> datetime.datetime | None:
    """When the running task will be tried again if it fails now (None: it would be dead)."""
    task = current()
    delays = retry_delays()
    if task is None or task.attempts > len(delays):
        return None
    return utcnow() + datetime.timedelta(seconds=delays[task.attempts - 1])


def _finish_failed(task: Task, error: str, final: bool = False) -> str:
    delays = retry_delays()
    if final or task.attempts > len(delays):
        state, next_at = DEAD, task.next_attempt_at
    else:
        state, next_at = FAILED, utcnow() + datetime.timedelta(seconds=delays[task.attempts - 1])
    (
        Task.update(state=state, last_error=error, next_attempt_at=next_at, lease_until=None, finished_at=utcnow())
        .where(Task.id == task.id, Task.state == RUNNING, Task.attempts == task.attempts)
        .execute()
    )
    return state


def recover_abandoned(now: datetime.datetime | None = None) -> int:
    """Rows left ``running`` past their lease (the worker was killed, the machine rebooted) are failed
    attempts: tried again on schedule, or dead after the last. Returns how many were taken back."""
    now = now or utcnow()
    taken = 0
    for task in Task.select().where(Task.state == RUNNING, Task.lease_until < now):
        taken += _finish_failed(task, "The worker stopped while running this task (its lease ran out).") in (
            FAILED,
            DEAD,
        )
    return taken


def dispatch_due(limit: int | None = None, seconds: float | None = None) -> int:
    """Run due tasks one by one until none is due (or ``limit``/``seconds`` is reached). Returns how many
    ran. Safe to run in any number of processes at once."""
    recover_abandoned()
    started = utcnow()
    ran = 0
    while limit is None or ran < limit:
        if seconds is not None and (utcnow() - started).total_seconds() >= seconds:
            break
        task = claim_next()
        if task is None:
            break
        _execute(task)
        ran += 1
    return ran


# --- rq entry points (imported by the work horse by reference; the only job functions there are) ----

_worker_app: Flask | None = None
# set by create_app: how a worker process without an app context builds one
app_factory: Callable[[], Flask] | None = None


def _in_app(fn: Callable[[*_Args], _T], *args: *_Args) -> _T:
    if has_app_context():
        with db.connection_context():
            return fn(*args)
    global _worker_app
    if _worker_app is None:
        if app_factory is None:
            raise RuntimeError("no app factory: start workers with `flask --app wsgi worker`")
        _worker_app = app_factory()
    with _worker_app.app_context(), db.connection_context():
        return fn(*args)


def perform(task_id: int) -> str | None:
    """rq job: run task ``task_id`` now if it is due (an operator's tool; wake-ups enqueue ``perform_due``)."""
    return _in_app(run, task_id)


def perform_due() -> int:
    """rq job: run every due task. Its wake-up flag is cleared first, so work owed from now on wakes
    another job; while more than one task is due, one more drain job is asked for, so every idle worker
    joins in (each claims its own rows)."""
    return _in_app(_drain)


def _drain() -> int:
    if not inline():
        try:
            redis_connection().delete(DISPATCH_WANTED)
            if Task.select(Task.id).where(_due(utcnow())).limit(2).count() > 1:
                _enqueue_drain()
        except Exception:  # Redis gone mid-job: this drain goes on; the cron wakes the rest
            log.warning("could not ask other workers to help", exc_info=True)
    return dispatch_due()


# --- what staff see --------------------------------------------------------------------------------


def retry_now(task_id: int) -> bool:
    """A failed or dead task is due again now (the admin's "retry"). Returns whether it was."""
    changed = (
        Task.update(state=FAILED, next_attempt_at=utcnow(), finished_at=None)
        .where(Task.id == task_id, Task.state.in_((FAILED, DEAD)))
        .execute()
    )
    if changed:
        db.after_commit(lambda: wake(task_id))
    return bool(changed)


def discard(task_id: int, reason: str) -> bool:
    """A failed or dead task will not be tried again (the admin's "discard")."""
    return bool(
        Task.update(state=DEAD, next_attempt_at=utcnow(), last_error=f"Discarded: {reason}"[:2000])
        .where(Task.id == task_id, Task.state.in_((FAILED, DEAD)))
        .execute()
    )


def oldest_queued_age(now: datetime.datetime | None = None) -> float | None:
    """Seconds the oldest due-but-not-run task has waited (None when nothing waits)."""
    now = now or utcnow()
    oldest: datetime.datetime | None = (
        Task.select(Task.next_attempt_at).where(_due(now)).order_by(Task.next_attempt_at).limit(1).scalar()
    )
    return None if oldest is None else max(0.0, (now - oldest).total_seconds())


def purge_done(older_than_days: int = 14) -> int:
    """Delete finished tasks older than ``older_than_days`` (failed and dead ones stay for staff)."""
    cutoff = utcnow() - datetime.timedelta(days=older_than_days)
    deleted: int = Task.delete().where(Task.state == DONE, Task.finished_at < cutoff).execute()
    return deleted


# --- kinds every installation has --------------------------------------------------------------------


@handler("tasks.noop")
def noop(*_args: Any) -> None:
    """Does nothing: probes the pipeline (benchmarks, an operator checking the workers)."""


@handler("tasks.purge_done")
def purge_done_task() -> int:
    """Periodic: forget finished tasks after two weeks."""
    return purge_done()
