"""On PostgreSQL the app's connections price random reads as on an SSD, set once per pooled connection,
and a value a DBA chose on the server is kept."""

import pytest

from checkup import database
from checkup.models.base import db

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def pg_app(app):
    if app.config["BACKEND"] != "postgres":
        pytest.skip("random_page_cost is PostgreSQL's")
    app.add_url_rule("/_test/page-cost", view_func=lambda: db.execute_sql("SHOW random_page_cost").fetchone()[0])
    return app


def test_a_request_plans_for_solid_state_storage(pg_app, client):
    assert client.get("/_test/page-cost").text == database.SOLID_STATE_RANDOM_PAGE_COST


def test_the_setting_is_asked_for_once_per_connection(pg_app):
    conn = db.connection()
    conn.planned_for_ssd = False
    database.plan_for_solid_state_storage(conn)
    assert conn.planned_for_ssd
    with conn.cursor() as cursor:
        cursor.execute("SET random_page_cost = 2")
    database.plan_for_solid_state_storage(conn)  # already done for this connection: nothing asked
    with conn.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "2"
        cursor.execute("RESET random_page_cost")
    conn.planned_for_ssd = False


def test_a_tuned_server_keeps_its_value(pg_app):
    conn = db.connection()
    conn.planned_for_ssd = False
    with conn.cursor() as cursor:
        cursor.execute("SET random_page_cost = 1.5")  # as if postgresql.conf said so
    database.plan_for_solid_state_storage(conn)
    with conn.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.5"
    with conn.cursor() as cursor:
        cursor.execute("RESET random_page_cost")
    conn.planned_for_ssd = False  # the next check-out sets it again


def test_a_request_runs_without_parallel_workers_or_jit(pg_app, client):
    pg_app.add_url_rule(
        "/_test/planner",
        endpoint="test_planner",
        view_func=lambda: " ".join(
            db.execute_sql(f"SHOW {name}").fetchone()[0] for name in ("max_parallel_workers_per_gather", "jit")
        ),
    )
    assert client.get("/_test/planner").text == "0 off"
