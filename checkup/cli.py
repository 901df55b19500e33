"""flask --app wsgi <command>: db upgrade/status, seed-demo, worker."""
import click
from flask import current_app
from flask.cli import AppGroup

from checkup import database

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
    from checkup.extensions import db
    from checkup.services import demo

    with db.connection_context():
        if not demo.database_is_empty() and not force:
            if if_empty:
                click.echo("database already has data; demo not loaded.")
                return
            raise click.ClickException("the database is not empty; use --force to add the demo anyway.")
        summary = demo.seed()
    click.echo("demo center loaded: " + ", ".join(f"{v} {k}" for k, v in summary.items()))


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the queued jobs and exit.")
@click.option("--queue", "queues", multiple=True, default=["default"])
def worker(burst, queues):
    """Run an rq worker (with scheduler) whose jobs run inside this app's context."""
    from redis import Redis
    from rq import Worker

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("CHECKUP_REDIS_URL is not set; without Redis jobs run inline.")
    from checkup.services import report_pdf

    report_pdf.warm_up()  # font and catalogs loaded once here, inherited by every forked work horse
    connection = Redis.from_url(url)
    Worker(list(queues), connection=connection).work(burst=burst, with_scheduler=not burst)


# Periodic jobs for `flask cron`: (dotted service path, seconds between runs).
PERIODIC_JOBS = [
    ("checkup.services.booking_mail.send_due_reminders", 15 * 60),
    ("checkup.services.waitlist.expire_offers", 60),
    ("checkup.services.report_pdf.requeue_stuck_reports", 5 * 60),
    ("checkup.services.campaigns.requeue_stalled_campaigns", 5 * 60),
    ("checkup.services.messages.retry_failed", 5 * 60),
    ("checkup.services.group_documents.requeue_stuck_documents", 5 * 60),
    ("checkup.services.contract_reservations.release_due_reservations", 60 * 60),
    ("checkup.services.reenrollment.send_invitations", 24 * 60 * 60),
    ("checkup.services.renewals.create_due_tasks", 24 * 60 * 60),
    ("checkup.services.invitations.send_invitation_reminders", 24 * 60 * 60),
]


@click.command("cron")
def cron():
    """Enqueue the periodic jobs (reminders, waitlist expiry) on their schedule; run beside `flask worker`."""
    from redis import Redis
    from rq.cron import CronScheduler

    from checkup.jobs import perform

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("CHECKUP_REDIS_URL is not set; use send-reminders and expire-offers from cron.")
    scheduler = CronScheduler(connection=Redis.from_url(url), name="checkup-cron")
    for path, seconds in PERIODIC_JOBS:
        scheduler.register(perform, "default", args=(path,), interval=seconds, name=path)
    scheduler.start()


@click.command("send-reminders")
@click.option("--day", default=None, help="YYYY-MM-DD; default: tomorrow at the center.")
def send_reminders(day):
    """Email every client booked on the day a reminder (each appointment at most once)."""
    from checkup.extensions import db
    from checkup.services import booking_mail

    with db.connection_context():
        click.echo(f"reminders sent: {booking_mail.send_reminders(day)}")


@click.command("expire-offers")
def expire_offers():
    """Release waitlist holds whose time is up and offer the places to the next in line."""
    from checkup.extensions import db
    from checkup.services import waitlist

    with db.connection_context():
        click.echo(f"offers expired: {waitlist.expire_offers()}")


@click.command("requeue-reports")
@click.option("--older-than", "older_than", default=10, show_default=True, type=int,
              help="Minutes a report PDF may sit in pending/rendering before it is queued again.")
def requeue_reports(older_than):
    """Queue again the report PDFs stuck in pending/rendering (worker killed, Redis flushed)."""
    from checkup.extensions import db
    from checkup.services import report_pdf

    with db.connection_context():
        click.echo(f"reports re-queued: {len(report_pdf.requeue_stuck_reports(older_than))}")


@click.command("send-invitation-reminders")
def send_invitation_reminders():
    """Remind invited employees who have not booked their company checkup (each at most every 3 days)."""
    from checkup.extensions import db
    from checkup.services import invitations

    with db.connection_context():
        click.echo(f"invitation reminders sent: {invitations.send_invitation_reminders()}")


@click.command("run-periodic")
@click.option("--only", "only", default=None, help="Run only the periodic job whose dotted path ends with this.")
def run_periodic(only):
    """Run every periodic job once, here and now (the embedded set-up's cron line: every 15 minutes).

    Each job is idempotent (claims rows, dedupes mail), so running them more often than their
    interval is harmless; with Redis, prefer `flask cron` beside `flask worker`.
    """
    from checkup.extensions import db
    from checkup.jobs import _resolve

    with db.connection_context():
        for path, _seconds in PERIODIC_JOBS:
            if only and not path.endswith(only):
                continue
            click.echo(f"{path}: {_resolve(path)()!r}")


def init_app(app):
    app.cli.add_command(send_invitation_reminders)
    app.cli.add_command(run_periodic)
    for command in (cron, send_reminders, expire_offers, requeue_reports):
        app.cli.add_command(command)
    app.cli.add_command(db_cli)
    app.cli.add_command(seed_demo)
    app.cli.add_command(worker)
