"""Real Redis and real `flask worker` subprocesses for task tests."""
import os
import subprocess
import sys

import pytest

from tests.conftest import REDIS_URL, reachable, service_missing

ROOT = os.path.dirname(os.path.dirname(__file__))


@pytest.fixture
def redis_app(app):
    """The test app with Redis configured: tasks are woken through rq instead of running inline."""
    if not reachable(REDIS_URL, 6379):
        service_missing(f"Redis is not reachable at {REDIS_URL}")
    from redis import Redis

    connection = Redis.from_url(REDIS_URL)
    connection.flushdb()
    app.config["REDIS_URL"] = REDIS_URL
    yield app
    connection.flushdb()


def worker_env(app, **extra):
    """The environment of a worker (or any CLI subprocess) that shares the test app's database and folders."""
    env = dict(os.environ, CHECKUP_DATABASE_URL=app.config["DATABASE_URL"],
               CHECKUP_REDIS_URL=app.config.get("REDIS_URL") or "",
               CHECKUP_SECRET_KEY=app.config["SECRET_KEY"], CHECKUP_NATIONAL_ID_KEY=app.config["NATIONAL_ID_KEY"],
               CHECKUP_OUTBOX_DIR=app.config["OUTBOX_DIR"], CHECKUP_BASE_URL=app.config["BASE_URL"],
               CHECKUP_CLIENT_LOCALE=app.config["CLIENT_LOCALE"], CHECKUP_REPORTS_DIR=app.config["REPORTS_DIR"],
               CHECKUP_GROUP_DOCS_DIR=app.config["GROUP_DOCS_DIR"])
    if not env["CHECKUP_REDIS_URL"]:
        env.pop("CHECKUP_REDIS_URL")
    env.pop("CHECKUP_MAIL_SERVER", None)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_worker(app, **extra):
    """One `flask worker --burst`: runs what is queued on Redis, then exits."""
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"],
                          env=worker_env(app, **extra), cwd=ROOT, capture_output=True, text=True, timeout=120)


def run_cli(app, *args, **extra):
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], env=worker_env(app, **extra),
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
