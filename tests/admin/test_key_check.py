"""The national-ID key fingerprint: recorded by `db upgrade`, and the app refuses to start with another key."""

import shutil

import pytest

from checkup import create_app, database
from checkup.core import key_check
from checkup.models import Setting
from checkup.models.base import db
from tests.conftest import base_config

KEY_A, KEY_B = "national-id-key-A", "national-id-key-B"


def stored_fingerprints():
    return [row.value for row in Setting.select().where(Setting.key == key_check.SETTING_KEY)]


@pytest.fixture
def database_url(app):
    """The test's migrated database without a fingerprint; afterwards the fixture's own binding is back
    and no foreign fingerprint is left (the PostgreSQL database is shared by the whole run)."""
    original = db.obj
    Setting.delete().where(Setting.key == key_check.SETTING_KEY).execute()
    yield app.config["DATABASE_URL"]
    Setting.delete().where(Setting.key == key_check.SETTING_KEY).execute()
    if db.obj is not original:
        db.close()
        if hasattr(db.obj, "close_all"):
            db.obj.close_all()
        db.initialize(original)


def start(tmp_path, url, key):
    return create_app(base_config(tmp_path, DATABASE_URL=url, NATIONAL_ID_KEY=key))


def upgrade(tmp_path, url, key):
    """`flask db upgrade` with ``key``: start, then migrate (nothing left to apply) and record."""
    application = start(tmp_path, url, key)
    with application.app_context():
        database.upgrade()
    return application


@pytest.mark.both_dbs
def test_the_app_refuses_to_start_with_another_national_id_key(app, tmp_path, database_url):
    upgrade(tmp_path, database_url, KEY_A)
    assert stored_fingerprints() == [key_check.fingerprint(KEY_A)]
    assert KEY_A not in stored_fingerprints()[0]  # a fingerprint, never the key

    with pytest.raises(RuntimeError) as refused:
        start(tmp_path, database_url, KEY_B)
    message = str(refused.value)
    assert "CHECKUP_NATIONAL_ID_KEY" in message and KEY_A not in message and KEY_B not in message
    with pytest.raises(RuntimeError, match="CHECKUP_NATIONAL_ID_KEY"):
        upgrade(tmp_path, database_url, KEY_B)  # `db upgrade` (a new app) refuses just the same
    assert stored_fingerprints() == [key_check.fingerprint(KEY_A)]

    again = start(tmp_path, database_url, KEY_A)
    assert again.config["NATIONAL_ID_KEY"] == KEY_A
    assert stored_fingerprints() == [key_check.fingerprint(KEY_A)]


@pytest.mark.both_dbs
def test_a_start_without_a_fingerprint_yet_writes_nothing(app, tmp_path, database_url):
    start(tmp_path, database_url, KEY_B)
    assert stored_fingerprints() == []  # only `db upgrade` records, under its lock


@pytest.mark.both_dbs
def test_numbers_stored_before_the_fingerprint_must_decrypt_with_the_key(app, tmp_path, database_url):
    from tests import factories

    app.config["NATIONAL_ID_KEY"] = KEY_A
    factories.make_client_with_id()  # stored before this check existed: no fingerprint

    with pytest.raises(RuntimeError, match="cannot decrypt"):
        upgrade(tmp_path, database_url, KEY_B)
    assert stored_fingerprints() == []  # the wrong key was not recorded as the database's
    upgrade(tmp_path, database_url, KEY_A)
    assert stored_fingerprints() == [key_check.fingerprint(KEY_A)]


def test_a_fresh_database_starts_and_its_first_upgrade_records_the_fingerprint(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    application = start(tmp_path, url, KEY_A)  # no file at all: nothing to check, nothing created
    assert not (tmp_path / "empty.db").exists()
    with application.app_context():
        database.upgrade()
        with db.connection_context():
            assert stored_fingerprints() == [key_check.fingerprint(KEY_A)]
    with pytest.raises(RuntimeError, match="CHECKUP_NATIONAL_ID_KEY"):
        start(tmp_path, url, KEY_B)


def test_an_empty_sqlite_file_without_tables_starts(tmp_path):
    import sqlite3

    path = tmp_path / "blank.db"
    sqlite3.connect(path).close()
    application = start(tmp_path, f"sqlite:///{path}", KEY_A)
    with application.app_context(), db.connection_context():
        assert db.get_tables() == []  # looked, found no settings table, wrote nothing


def test_a_start_costs_one_query(tmp_path, sqlite_template, count_queries):
    path = tmp_path / "copy.db"
    shutil.copy(sqlite_template, path)  # migrated with the suite's key: its fingerprint is there
    with count_queries() as counted:
        start(tmp_path, f"sqlite:///{path}", "test-national-id-key")
    assert len(counted.queries) == 1
    assert 'SELECT "t1"."value" FROM "setting"' in counted.queries[0]
