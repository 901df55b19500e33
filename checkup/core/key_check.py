"""The national-ID key must be the one the stored numbers were written with.

A wrong CHECKUP_NATIONAL_ID_KEY fails quietly: decryption gives blank ID numbers, look-ups find nobody,
and new numbers are stored under a key the others do not share. So the database keeps a fingerprint
of its key in the setting ``national_id.key_fingerprint`` (an HMAC of a fixed label keyed with the key:
it tells keys apart and reveals nothing of them), and ``create_app`` refuses to start with another key.

``db upgrade`` (run on every deploy, under the "db-upgrade" lock) records the fingerprint when there is
none; before that, a national ID number already stored must decrypt with the key, so a database that
held numbers before this check existed is never tied to a wrong key. The check at start is one query
and writes nothing: a database not yet migrated, without a fingerprint yet, or not reachable (logged)
starts unchecked.
"""

import hashlib
import hmac
import logging
from pathlib import Path

from flask import Flask, current_app
from peewee import OperationalError, ProgrammingError, SqliteDatabase

from checkup.core import national_id
from checkup.models import Client, Setting
from checkup.models.base import db

log = logging.getLogger(__name__)

SETTING_KEY = "national_id.key_fingerprint"
_LABEL = b"checkup-portal: national ID key fingerprint, v1"
MATCHED, NOT_RECORDED, NOT_MIGRATED, UNREACHABLE = "matched", "not recorded", "not migrated", "unreachable"
_ADVICE = (
    "Start with the original key (CHECKUP_NATIONAL_ID_KEY, or the file instance/national_id_key "
    "when that variable is unset). With another key, stored ID numbers would show blank and new "
    "ones would be stored under a key the others do not share."
)


class NationalIdKeyMismatch(RuntimeError):
    """CHECKUP_NATIONAL_ID_KEY is not the key this database's national ID numbers were stored with."""


def fingerprint(secret: str) -> str:
    """The fingerprint of a national-ID key: HMAC-SHA256 of a fixed label, hex."""
    return hmac.new(secret.encode(), _LABEL, hashlib.sha256).hexdigest()


def stored_fingerprint() -> str | None:
    """The fingerprint recorded in the database, or None (one query; raises if there is no setting table)."""
    stored: str | None = Setting.select(Setting.value).where(Setting.key == SETTING_KEY).scalar()
    return stored


def _current_fingerprint() -> str:
    return fingerprint(current_app.config["NATIONAL_ID_KEY"])


def record_fingerprint() -> bool:
    """Record the fingerprint of the app's key unless one is recorded already; returns True if it did.

    Raises NationalIdKeyMismatch when the recorded one differs, or when a national ID number already
    stored does not decrypt with the key (the database holds numbers from before the fingerprint)."""
    stored = stored_fingerprint()
    if stored is not None:
        _refuse_another_key(stored)
        return False
    sample = (
        Client.select(Client.national_id_cipher)
        .where(Client.national_id_cipher.is_null(False), Client.national_id_cipher != "")
        .limit(1)
        .scalar()
    )
    if sample and not national_id.decrypt(sample):
        raise NationalIdKeyMismatch(
            "CHECKUP_NATIONAL_ID_KEY cannot decrypt the national ID numbers already stored in this database, "
            f"so it is not the key they were stored with. {_ADVICE}"
        )
    Setting.insert(key=SETTING_KEY, value=_current_fingerprint()).on_conflict_ignore().execute()
    return True


def _refuse_another_key(stored: str) -> None:
    if not hmac.compare_digest(stored, _current_fingerprint()):
        raise NationalIdKeyMismatch(
            "CHECKUP_NATIONAL_ID_KEY is not the key this database's national ID numbers were stored "
            f"with: its fingerprint differs from the one recorded in the setting {SETTING_KEY}. {_ADVICE}"
        )


def _sqlite_file_missing(database: SqliteDatabase) -> bool:
    path = database.database
    return not path or path == ":memory:" or not Path(path).exists()


def check_at_start(app: Flask) -> str:
    """Refuse to start (NationalIdKeyMismatch, a RuntimeError) when the app's national-ID key is not the
    database's. Returns what it found: "matched", "not recorded", "not migrated" or "unreachable".

    One query, no write; never creates an SQLite file that is not there."""
    database = db.obj
    if isinstance(database, SqliteDatabase) and _sqlite_file_missing(database):
        return NOT_MIGRATED
    opened = database.is_closed()
    with app.app_context():
        try:
            database.connect(reuse_if_open=True)
        except OperationalError:
            log.warning("the database is not reachable at start-up: the national ID key was not checked")
            return UNREACHABLE
        try:
            try:
                stored = stored_fingerprint()
            except (OperationalError, ProgrammingError):
                if not database.table_exists(Setting._meta.table_name):
                    return NOT_MIGRATED
                raise
            if stored is None:
                log.info("no national ID key fingerprint yet: `flask --app wsgi db upgrade` records it")
                return NOT_RECORDED
            _refuse_another_key(stored)
            return MATCHED
        finally:
            if opened and not database.is_closed():
                database.close()
