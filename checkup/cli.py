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
    connection = Redis.from_url(url)
    Worker(list(queues), connection=connection).work(burst=burst, with_scheduler=not burst)


def init_app(app):
    app.cli.add_command(db_cli)
    app.cli.add_command(seed_demo)
    app.cli.add_command(worker)
