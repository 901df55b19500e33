"""A runaway query cannot outlive its request: on PostgreSQL every statement of a web request is cancelled
after CHECKUP_STATEMENT_TIMEOUT_MS, the visitor gets a clean "took too long" page (503, never a 500 or a
traceback), the request's writes are rolled back, the server is free again at once and the pooled
connection serves the next request. Work outside a request (workers, cron, the CLI) runs without a limit."""

import time

import pytest

from checkup.config import build_config
from checkup.models import Setting
from checkup.models.base import db
from tests.factories import sign_in_directly

pytestmark = pytest.mark.both_dbs

LIMIT_MS = 300


@pytest.fixture
def pg_app(app):
    if app.config["BACKEND"] != "postgres":
        pytest.skip("statement_timeout is PostgreSQL's")
    app.config["STATEMENT_TIMEOUT_MS"] = LIMIT_MS

    # views a test may call, registered before the app's first request
    def slow():
        with db.atomic():
            Setting.create(key="written.before.the.slow.query", value="x")
            db.execute_sql("SELECT pg_sleep(5)")
        return "finished"

    def limit():
        return db.execute_sql("SHOW statement_timeout").fetchone()[0]

    app.add_url_rule("/_test/slow", view_func=slow)
    app.add_url_rule("/_test/limit", view_func=limit)
    return app


def sleeping_backends():
    """Backends of this database still running pg_sleep (other than this one)."""
    return db.execute_sql(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND state = 'active' AND query LIKE %s",
        ("%pg_sleep(5)%",),
    ).fetchone()[0]


def test_a_slow_query_in_a_request_is_cancelled_and_the_visitor_gets_a_clean_page(pg_app, client, make_user):
    sign_in_directly(client, make_user("admin"))
    started = time.monotonic()
    response = client.get("/_test/slow")
    took = time.monotonic() - started
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and took < 3
    assert "Taking too long" in html and "took too long" in html
    assert "Traceback" not in html and "pg_sleep" not in html and "QueryCanceled" not in html
    assert response.headers["Retry-After"] == "30"
    assert Setting.get_or_none(Setting.key == "written.before.the.slow.query") is None  # rolled back
    assert sleeping_backends() == 0  # nothing keeps running on the server after the request
    # the same pooled connection serves the next request, and the page around the error still works
    assert client.get("/admin").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_an_htmx_swap_that_runs_too_long_gets_the_error_fragment(pg_app, client, make_user):
    sign_in_directly(client, make_user("admin"))
    response = client.get("/_test/slow", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and "took too long" in html
    assert "<html" not in html


def test_requests_have_the_limit_and_work_outside_a_request_has_none(pg_app, client):
    assert client.get("/_test/limit").get_data(as_text=True) == f"{LIMIT_MS}ms"
    db.close()  # the request's connection goes back to the pool; outside a request it is checked out again
    with db.connection_context():
        assert db.execute_sql("SHOW statement_timeout").fetchone()[0] == "0"
        db.execute_sql("SELECT pg_sleep(0.5)")  # longer than the web's limit: a job may take its time
    assert client.get("/_test/limit").get_data(as_text=True) == f"{LIMIT_MS}ms"


def test_the_limit_is_ten_seconds_unless_configured(tmp_path, monkeypatch):
    monkeypatch.delenv("CHECKUP_STATEMENT_TIMEOUT_MS", raising=False)
    assert build_config(tmp_path)["STATEMENT_TIMEOUT_MS"] == 10000
    monkeypatch.setenv("CHECKUP_STATEMENT_TIMEOUT_MS", "2500")
    assert build_config(tmp_path)["STATEMENT_TIMEOUT_MS"] == 2500


def test_a_pooled_connection_cut_by_the_server_is_a_503_once_and_then_replaced(pg_app, client, make_user):
    """A connection used moments ago is handed out without a ping: when the server has cut it meanwhile (a
    restart, an administrator), the request that meets it gets the "unavailable" page, never a 500, and
    the next request gets a new connection."""
    import psycopg2

    sign_in_directly(client, make_user("admin"))
    assert client.get("/admin").status_code == 200  # its connection is back in the pool, just used
    db.close()
    admin = psycopg2.connect(pg_app.config["DATABASE_URL"])
    admin.autocommit = True
    with admin.cursor() as cursor:  # every other backend of this database, the pooled one among them
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    admin.close()
    cut = client.get("/admin")
    assert cut.status_code in (200, 503), cut.status_code  # 200 if the pool happened to notice first
    if cut.status_code == 503:
        assert "Service unavailable" in cut.get_data(as_text=True) and cut.headers["Retry-After"] == "60"
    assert client.get("/admin").status_code == 200
