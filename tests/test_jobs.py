"""Jobs: inline without Redis; through a real rq worker process on a real Redis otherwise."""
import os
import subprocess
import sys

import pytest

from checkup import jobs
from checkup.models import User
from tests.conftest import REDIS_URL, reachable, service_missing


def test_without_redis_jobs_run_inline(app, make_user, outbox):
    user = make_user("client", email="inline@example.com")
    result = jobs.enqueue("checkup.services.notifications.send_welcome_email", user.id)
    assert result.endswith(".eml")
    [message] = outbox()
    assert message["To"] == "inline@example.com"


@pytest.fixture
def redis_app(app):
    if not reachable(REDIS_URL, 6379):
        service_missing(f"Redis is not reachable at {REDIS_URL}")
    from redis import Redis

    connection = Redis.from_url(REDIS_URL)
    connection.flushdb()
    app.config["REDIS_URL"] = REDIS_URL
    yield app
    connection.flushdb()


def run_worker(app):
    env = dict(os.environ, CHECKUP_DATABASE_URL=app.config["DATABASE_URL"], CHECKUP_REDIS_URL=REDIS_URL,
               CHECKUP_SECRET_KEY=app.config["SECRET_KEY"], CHECKUP_NATIONAL_ID_KEY=app.config["NATIONAL_ID_KEY"],
               CHECKUP_OUTBOX_DIR=app.config["OUTBOX_DIR"], CHECKUP_BASE_URL=app.config["BASE_URL"],
               CHECKUP_CLIENT_LOCALE=app.config["CLIENT_LOCALE"])
    env.pop("CHECKUP_MAIL_SERVER", None)
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"], env=env,
                          cwd=os.path.dirname(os.path.dirname(__file__)), capture_output=True, text=True,
                          timeout=120)


@pytest.mark.both_dbs
def test_registration_welcome_mail_goes_through_a_real_rq_worker(redis_app, client, outbox):
    response = client.post("/register", data={
        "name": "Queue Person", "email": "queued@example.com", "phone": "13800000000", "sex": "female",
        "birth_date": "1991-01-01", "password": "a-long-password", "confirm": "a-long-password"})
    assert response.status_code == 303
    assert outbox() == []  # enqueued, not yet sent
    assert jobs.queue().count == 1
    finished = run_worker(redis_app)
    assert finished.returncode == 0, finished.stderr[-2000:]
    [message] = outbox()
    assert message["To"] == "queued@example.com"
    assert "Queue Person" in message.get_content()
    assert jobs.queue().count == 0
    assert User.select().count() == 1
