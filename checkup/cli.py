"""flask --app wsgi <command>: db upgrade/status, seed-demo, worker."""

import time

import click
from flask import current_app
from flask.cli import AppGroup
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Worker

from checkup import cli_mllp, database
from checkup.core import locks, periodic, tasks
from checkup.demo import demo
from checkup.models import Task
from checkup.models.base import db
from checkup.services.admin import document_check
from checkup.services.booking import waitlist
from checkup.services.exam import report_pdf
from checkup.services.groups import invitations
from checkup.services.mail import booking_mail

db_cli = AppGroup("db", help="Database schema migrations.")


@db_cli.command("upgrade")
def db_upgrade():
    """Apply every pending migration."""
    applied = database.upgrade()
    click.echo("applied: " + ", ".join(applied) if applied else "database is up to date.")


@db_cli.command("status")
def db_status():
    for migration in database.migration_status():
        click.echo(f"[{'x' if migration.applied else ' '}] {migration.name}")


@click.command("seed-demo")
@click.option("--force", is_flag=True, help="Add the demo data even though the database is not empty.")
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) when the database already has data.")
def seed_demo(force, if_empty):
    """Load the demo center: catalog, organizations, clients and one account per role."""
    with db.connection_context():
        if not demo.database_is_empty() and not force:
            if if_empty:
                click.echo("database already has data; demo not loaded.")
                return
            raise click.ClickException("the database is not empty; use --force to add the demo anyway.")
        summary = demo.seed()
    click.echo("demo center loaded: " + ", ".join(f"{v} {k}" for k, v in summary.items()))


def _worker_class():
    class PromptWorker(Worker):
        """rq's worker, but leaving its pubsub thread without waiting for it: with redis-py 8, stopping the
        thread waits out its 60 s read, so a burst or SIGTERM'd worker lingered a minute after its work."""

        def unsubscribe(self):
            if self.pubsub_thread:
                self.pubsub.unsubscribe()
                try:
                    self.pubsub_thread.stop(timeout=1)
                except TypeError:  # redis-py before 8: stop() does not wait at all
                    self.pubsub_thread.stop()
                self.pubsub.close()

    return PromptWorker


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the queued jobs and exit.")
@click.option("--queue", "queues", multiple=True, default=["default"])
def worker(burst, queues):
    """Run an rq worker whose jobs run task rows inside this app's context. On start it asks for every
    due task to be run (work owed while Redis was away). When Redis goes away it reconnects with
    back-off; with --burst it exits non-zero instead."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("CHECKUP_REDIS_URL is not set; without Redis tasks run inline.")
    _Worker = _worker_class()

    report_pdf.warm_up()  # font and catalogs loaded once here, inherited by every forked work horse
    if not db.is_closed():
        db.close()
    if hasattr(db.obj, "close_all"):
        db.obj.close_all()  # a forked work horse must not share this process's database sockets
    pause = 1
    while True:
        try:
            # plain client: rq blocks on BLPOP for minutes, and a connect timeout here made burst workers
            # hang ~60 s at exit (rq 3.0 / redis-py 8)
            connection = Redis.from_url(url)
            # work owed while no worker listened: drained first
            tasks.queue(connection).enqueue(tasks.perform_due, result_ttl=0, job_timeout=3600, at_front=True)
            _Worker(list(queues), connection=connection).work(burst=burst, with_scheduler=False)
            return
        except (RedisConnectionError, RedisTimeoutError) as error:
            if burst:
                raise click.ClickException(f"Redis is unreachable: {error}")
            click.echo(f"Redis is unreachable ({error}); trying again in {pause} s", err=True)
            time.sleep(pause)
            pause = min(pause * 2, 30)


@click.command("cron")
def cron():
    """The one scheduler: owes the periodic tasks on their schedule and wakes the dispatcher (run beside
    `flask worker`). A second `flask cron` waits until the first stops, then takes over."""
    click.echo("waiting to be the only scheduler…")
    with locks.held_for_life("cron", wait=True) as lock:
        click.echo("scheduler running")
        periodic.run_scheduler(stop=lambda: not lock.still_held())
    # the lock's connection was lost: another scheduler may take over; the supervisor restarts this one
    raise click.ClickException("lost the scheduler lock (database connection gone); exiting")


@click.command("send-reminders")
@click.option("--day", default=None, help="YYYY-MM-DD; default: tomorrow at the center.")
def send_reminders(day):
    """Email every client booked on the day a reminder (each appointment at most once)."""
    with db.connection_context():
        click.echo(f"reminders sent: {booking_mail.send_reminders(day)}")


@click.command("expire-offers")
def expire_offers():
    """Release waitlist holds whose time is up and offer the places to the next in line."""
    with db.connection_context():
        click.echo(f"offers expired: {waitlist.expire_offers()}")


@click.command("requeue-reports")
@click.option(
    "--older-than",
    "older_than",
    default=10,
    show_default=True,
    type=int,
    help="Minutes a report PDF may sit in pending/rendering before it is queued again.",
)
def requeue_reports(older_than):
    """Owe again the report PDFs stuck in pending/rendering with no task to make them (an old backup restored)."""
    with db.connection_context():
        click.echo(f"reports re-queued: {len(report_pdf.requeue_stuck_reports(older_than))}")


@click.command("send-invitation-reminders")
def send_invitation_reminders():
    """Remind invited employees who have not booked their company checkup (each at most every 3 days)."""
    with db.connection_context():
        click.echo(f"invitation reminders sent: {invitations.send_invitation_reminders()}")


@click.command("run-periodic")
@click.option("--only", "only", default=None, help="Run only this periodic task kind (e.g. mail.retry_failed).")
def run_periodic(only):
    """Run every periodic task once, here and now, then every other task that is due (the embedded
    set-up's cron line: every 15 minutes). Each task is idempotent, so running them more often than
    their interval is harmless; with Redis, prefer `flask cron` beside `flask worker`."""
    with db.connection_context():
        kinds = {kind for kind, _seconds in periodic.SCHEDULE}
        if only and only not in kinds:
            raise click.ClickException(f"no periodic task {only!r}; choose one of: {', '.join(sorted(kinds))}")
        owed = periodic.owe_due(only=only, fresh=True)
        ran = tasks.dispatch_due()
        for task in Task.select(Task.kind, Task.state, Task.last_error).where(Task.id.in_(owed)).order_by(Task.id):
            click.echo(f"{task.kind}: {task.state}" + (f" ({task.last_error})" if task.last_error else ""))
    click.echo(f"periodic tasks owed: {len(owed)}; other tasks run: {ran}")


@click.command("verify-documents")
def verify_documents():
    """Check every ready report PDF and group document against its checksum; render again those whose
    file is missing or changed (after a restore of the database and the documents folders)."""
    with db.connection_context():
        checked, damaged = document_check.verify_documents()
    for item in damaged:
        click.echo(
            f"{item.kind} {item.id}: file {item.problem} ({item.path}); "
            + ("render queued" if item.queued else "changed meanwhile, left alone")
        )
    queued = sum(item.queued for item in damaged)
    click.echo(f"documents checked: {checked}; missing or changed: {len(damaged)}; renders queued: {queued}")


def init_app(app):
    app.cli.add_command(send_invitation_reminders)
    app.cli.add_command(run_periodic)
    for command in (cron, send_reminders, expire_offers, requeue_reports):
        app.cli.add_command(command)
    app.cli.add_command(db_cli)
    app.cli.add_command(seed_demo)
    app.cli.add_command(worker)
    app.cli.add_command(verify_documents)
    app.cli.add_command(cli_mllp.mllp_command)
