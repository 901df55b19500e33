"""The session lookup runs on every signed-in request: its SQL is built once (both databases) and, on
PostgreSQL, prepared on the server once per pooled connection, then only executed (checkup/core/prepared.py).
A new connection prepares again, a statement the server lost is run as plain SQL and prepared again, and a
lookup inside a transaction never risks it."""

import datetime

import pytest

from checkup.core import prepared
from checkup.core.prepared import PerShape, PreparedSelect, server_statement
from checkup.models.accounts import User
from checkup.models.base import db

pytestmark = pytest.mark.both_dbs


def _users_named(name, active):
    return User.select(User.id, User.email).where(User.name == name, User.is_active == active).order_by(User.id)


USERS_NAMED = PreparedSelect(_users_named, name="checkup_test_users_named")


def server_names():
    return {name for (name,) in db.execute_sql("SELECT name FROM pg_prepared_statements").fetchall()}


def on_postgres(app):
    return app.config["BACKEND"] == "postgres"


def test_the_rows_are_those_of_the_query(app, make_user):
    first, second = make_user("hr", email="a@example.com"), make_user("hr", email="b@example.com")
    User.update(name="Lin").where(User.id.in_([first.id, second.id])).execute()
    for _ in range(3):  # prepared by the first call on PostgreSQL, executed by the others
        rows = USERS_NAMED.rows("Lin", True)
        assert [(u.id, u.email) for u in rows] == [(first.id, "a@example.com"), (second.id, "b@example.com")]
    assert USERS_NAMED.rows("Nobody", True) == []
    assert [u.id for u in USERS_NAMED.rows("Lin", False)] == []


def test_postgres_prepares_once_per_connection_and_executes_it(app, make_user, count_queries):
    make_user("hr", email="a@example.com")
    if not on_postgres(app):
        with count_queries() as q:
            USERS_NAMED.rows("Lin", True)
        assert q.queries[0].startswith("('SELECT")  # SQLite: the plain statement, as always
        return
    conn = db.connection()
    with count_queries() as q:
        USERS_NAMED.rows("Lin", True)
        USERS_NAMED.rows("Lin", True)
    # the PREPARE is the connection's setup, not one of the page's statements: one statement a lookup
    assert q.count == 2 and all(line.startswith("('EXECUTE checkup_test_users_named") for line in q.queries)
    assert "checkup_test_users_named" in server_names()
    assert "checkup_test_users_named" in prepared.prepared_names(conn)


def test_a_new_connection_prepares_again(app, make_user):
    if not on_postgres(app):
        pytest.skip("server-side statements are PostgreSQL's")
    user = make_user("hr", email="a@example.com")
    User.update(name="Lin").where(User.id == user.id).execute()
    USERS_NAMED.rows("Lin", True)
    old = db.connection()
    db.close()
    db.obj.close_all()  # the pool drops its connections: the next one is a new server session
    db.connect()
    assert db.connection() is not old
    assert "checkup_test_users_named" not in server_names()
    assert [u.id for u in USERS_NAMED.rows("Lin", True)] == [user.id]
    assert "checkup_test_users_named" in server_names()


def test_a_statement_the_server_lost_is_run_plainly_then_prepared_again(app, make_user, count_queries):
    if not on_postgres(app):
        pytest.skip("server-side statements are PostgreSQL's")
    user = make_user("hr", email="a@example.com")
    User.update(name="Lin").where(User.id == user.id).execute()
    USERS_NAMED.rows("Lin", True)
    db.execute_sql("DEALLOCATE ALL")  # as a pooler or a DISCARD ALL would
    with count_queries() as q:
        assert [u.id for u in USERS_NAMED.rows("Lin", True)] == [user.id]
    assert q.queries[0].startswith("('EXECUTE") and q.queries[1].startswith("('SELECT")
    assert "checkup_test_users_named" not in prepared.prepared_names(db.connection())
    assert User.select().count() >= 1  # the connection is usable: no transaction was left aborted
    assert [u.id for u in USERS_NAMED.rows("Lin", True)] == [user.id]
    assert "checkup_test_users_named" in server_names()


def test_inside_a_transaction_the_plain_select_runs(app, make_user, count_queries):
    user = make_user("hr", email="a@example.com")
    User.update(name="Lin").where(User.id == user.id).execute()
    with db.atomic(), count_queries() as q:
        assert [u.id for u in USERS_NAMED.rows("Lin", True)] == [user.id]
    assert q.queries[0].startswith("('SELECT")


def test_signed_in_pages_find_their_session_on_every_request(app, client, login, make_user, count_queries):
    login(make_user("admin", email="admin@example.com"))
    for _ in range(3):
        with count_queries() as q:
            assert client.get("/account").status_code == 200
        assert any("login_session" in line or "EXECUTE checkup_session_lookup" in line for line in q.queries)
    if on_postgres(app):
        assert "checkup_session_lookup" in server_names()


def test_placeholders_are_numbered_for_the_server():
    sql = 'SELECT 1 FROM "t" WHERE "a" = %s AND "b" LIKE \'x%%\' AND "c" > %s'
    assert server_statement(sql, 2) == 'SELECT 1 FROM "t" WHERE "a" = $1 AND "b" LIKE \'x%\' AND "c" > $2'
    with pytest.raises(ValueError):
        server_statement(sql, 3)


def test_a_statement_name_is_used_once():
    with pytest.raises(ValueError):
        PreparedSelect(_users_named, name="checkup_test_users_named")
    with pytest.raises(ValueError):
        PreparedSelect(_users_named, name="bad name; DROP")


def _users_named_active(name):
    # the query's own constant (True) sits among the parameters, the name twice
    return User.select(User.id).where((User.name == name) | (User.email == name), User.is_active == True)  # noqa: E712


USERS_NAMED_ACTIVE = PreparedSelect(
    _users_named_active, name="checkup_test_users_named_active", samples=("\x01sample name\x01",)
)


def test_samples_find_the_parameters_among_the_querys_own_constants(app, make_user):
    first = make_user("hr", email="c@example.com")
    User.update(name="Wang").where(User.id == first.id).execute()
    for _ in range(3):
        assert [u.id for u in USERS_NAMED_ACTIVE.rows("Wang")] == [first.id]
        assert [u.id for u in USERS_NAMED_ACTIVE.rows("c@example.com")] == [first.id]
    assert USERS_NAMED_ACTIVE.rows("Nobody") == []
    User.update(is_active=False).where(User.id == first.id).execute()
    assert USERS_NAMED_ACTIVE.rows("Wang") == []  # the constant is kept, not replaced


# one name, one statement: built once for the module, as the app's own are, since the test runs per database
SAMPLE_UNUSED = PreparedSelect(
    lambda name: User.select(User.id).where(User.is_active == True),  # noqa: E712
    name="checkup_test_sample_unused",
    samples=("\x01never used\x01",),
)


def test_a_sample_missing_from_the_query_is_refused(app):
    with pytest.raises(ValueError, match="samples"):
        SAMPLE_UNUSED.rows("x")


def _user_names_since(start):
    return User.select(User.id, User.name, User.created_at).where(User.created_at >= start).order_by(User.id)


USER_NAMES_SINCE = PreparedSelect(_user_names_since, name="checkup_test_user_names_since")


def test_plain_rows_are_tuples_of_python_values_on_both_databases(app, make_user):
    first = make_user("hr", email="plain@example.com")
    start = datetime.datetime(2000, 1, 1)
    for _ in range(3):  # PostgreSQL runs it prepared from the second call
        rows = USER_NAMES_SINCE.plain(start)
        assert rows == [(first.id, first.name, first.created_at)]
        assert isinstance(rows[0][2], datetime.datetime)  # SQLite's text converted as peewee would
    assert USER_NAMES_SINCE.plain(datetime.datetime(2999, 1, 1)) == []


def _every_user_id():
    return User.select(User.id).order_by(User.id)


EVERY_USER_ID = PreparedSelect(_every_user_id, name="checkup_test_every_user_id")


def test_a_statement_without_parameters_runs_prepared_too(app, make_user):
    first = make_user("hr", email="none@example.com")
    for _ in range(3):  # PostgreSQL EXECUTEs it by its name alone (no empty parentheses)
        assert [row.id for row in EVERY_USER_ID.rows()] == [first.id]
        assert EVERY_USER_ID.plain() == [(first.id,)]


def test_one_select_is_made_per_shape_even_when_threads_ask_at_once():
    import threading

    made = []
    started = threading.Barrier(8)

    def make(shape):
        made.append(shape)
        return object()

    per_shape = PerShape(make)
    got = []

    def ask(shape):
        started.wait()
        got.append((shape, per_shape(shape)))

    threads = [threading.Thread(target=ask, args=(("list", i % 2),)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(made) == [("list", 0), ("list", 1)]
    assert len({id(value) for shape, value in got if shape == ("list", 0)}) == 1
    assert per_shape(("list", 1)) is dict(got)[("list", 1)]


def _users_with_odd_names(name):
    # constants of the query's own that need quoting (a quote, a percent sign, a Chinese name) and a flag
    odd = ["O'Brien %", "张%伟", name]
    return User.select(User.id).where(User.name.in_(odd), User.is_active == True).order_by(User.id)  # noqa: E712


USERS_WITH_ODD_NAMES = PreparedSelect(
    _users_with_odd_names, name="checkup_test_users_odd_names", samples=("\x01sample name\x01",)
)


def test_the_querys_own_constants_are_written_into_the_statement_the_server_prepares(app, make_user):
    """Only the caller's values stay parameters: PostgreSQL plans a statement whose constants it can see (a
    role, a flag, a page size) as well for any value, and one without parameters once."""
    users = [make_user("hr", email=f"odd{n}@example.com") for n in range(3)]
    for user, name in zip(users, ["O'Brien %", "张%伟", "Li"], strict=True):
        User.update(name=name).where(User.id == user.id).execute()
    for _ in range(7):  # past the five custom plans PostgreSQL tries before it weighs a generic one
        assert [u.id for u in USERS_WITH_ODD_NAMES.rows("Li")] == [u.id for u in users]
        assert [u.id for u in USERS_WITH_ODD_NAMES.rows("Nobody")] == [u.id for u in users[:2]]
    if not on_postgres(app):
        return
    statement, types, generic = db.execute_sql(
        "SELECT statement, parameter_types::text, generic_plans FROM pg_prepared_statements WHERE name = %s",
        ["checkup_test_users_odd_names"],
    ).fetchone()
    assert "'O''Brien %'" in statement and "'张%伟'" in statement and "true" in statement.lower()
    assert types == "{text}" or types.count(",") == 0  # one parameter: the name asked for
    assert generic > 0
    # the plan check reads the EXECUTE as this statement, with the EXECUTE's own parameters
    sql = prepared.statement_sql("checkup_test_users_odd_names", db.obj)
    assert sql.count("%s") == 1 and "O''Brien %%" in sql
    assert [row[0] for row in db.execute_sql(sql, ["Li"]).fetchall()] == [u.id for u in users]
