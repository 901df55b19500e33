"""Roster imports of a group contract: upload, check every row, preview, then import the valid rows or discard.

The file is read once, in memory (``roster_file``), and never kept: its rows wait, encrypted, in
``RosterImport.rows_json`` (they hold names, phones and ID numbers) until HR decides. A file with more
than ``ROSTER_JOB_ROWS`` rows is checked and imported by rq jobs; ``state`` and ``processed_rows`` show
the progress, so HR may leave and come back. States: validating → ready → importing → imported, or
failed / discarded. Every move is a conditional UPDATE on the state, so a retried job or a double
click acts once. Importing writes every valid row in one transaction or nothing. Uploads, imports and
discards are audited with counts, never row contents. Nothing HR sees (answers, counts, timings) depends on
whether the center already knows a person: every row gets its own record (see ``roster_commit``).
"""

import base64
import datetime
import hashlib
import hmac
import json
import os
import re
import zlib
from dataclasses import dataclass

from cryptography.fernet import Fernet
from flask import current_app
from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

from checkup.core import audit, clock, tasks
from checkup.core.arguments import storable_id
from checkup.core.audit import Actor
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.core.pagination import Page
from checkup.core.prepared import PreparedSelect
from checkup.models import ContractCategory, GroupContract, RosterImport, User
from checkup.models.base import db, utcnow
from checkup.models.groups import ACTIVE, DRAFT
from checkup.services.groups import contracts
from checkup.services.groups.roster import roster_commit, roster_file, roster_rules

VALIDATING, READY, IMPORTING, IMPORTED, FAILED, DISCARDED = (
    "validating",
    "ready",
    "importing",
    "imported",
    "failed",
    "discarded",
)
RUNNING = (VALIDATING, IMPORTING)
OPEN_CONTRACT = (DRAFT, ACTIVE)
ERRORS_PER_PAGE = 50
MAX_STORED_ERRORS = 10_000
PROGRESS_EVERY = 1000
STALE_AFTER = datetime.timedelta(hours=1)  # a job still "running" after this has died; HR may discard it

STATE_LABELS = {
    VALIDATING: _l("Checking rows"),
    READY: _l("Checked: waiting for your decision"),
    IMPORTING: _l("Importing"),
    IMPORTED: _l("Imported"),
    FAILED: _l("Not imported"),
    DISCARDED: _l("Discarded"),
}
MESSAGES = {
    "contract_closed": _l(
        "The contract no longer takes roster imports (only draft and active contracts do). Nothing was imported."
    ),
    "changed": _l("The roster changed after the file was checked. Nothing was imported; upload the file again."),
}


# --- the waiting rows, encrypted -----------------------------------------------------------------------


def _fernet():
    secret = current_app.config["NATIONAL_ID_KEY"].encode()
    return Fernet(base64.urlsafe_b64encode(hmac.new(secret, b"roster-rows", hashlib.sha256).digest()))


def pack_rows(rows):
    """Rows → compressed, encrypted text: the database alone does not reveal names or ID numbers."""
    data = json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()
    return _fernet().encrypt(zlib.compress(data, 6)).decode()


def unpack_rows(text):
    if not text:
        return []
    return json.loads(zlib.decompress(_fernet().decrypt(text.encode())))


# --- reading -----------------------------------------------------------------------------------------------


@dataclass
class ErrorLine:
    row: int
    column: str
    column_label: object
    reason: str


def contract_for_hr(organization_id, contract_id):
    """The contract if it is the organization's; NotFound (same as a missing one) otherwise."""
    return contracts.contract_for_org(contract_id, organization_id)


def example_category(contract):
    """The label the template's example row carries: the contract's first category, if any."""
    first = (
        ContractCategory.select(ContractCategory.label)
        .where(ContractCategory.contract == contract.id)
        .order_by(ContractCategory.position, ContractCategory.id)
        .first()
    )
    return first.label if first else ""


def accepts_imports(contract):
    return contract.status in OPEN_CONTRACT


def _summary_columns():
    return [f for name, f in RosterImport._meta.fields.items() if name not in ("rows_json", "errors_json")]


def _imports_select(contract_id):
    return (
        RosterImport.select(*_summary_columns())
        .where(RosterImport.contract == contract_id)
        .order_by(RosterImport.created_at.desc(), RosterImport.id.desc())
    )


def _import_select(with_errors):
    def build(import_id, contract_id):
        columns = _summary_columns() + ([RosterImport.errors_json] if with_errors else [])
        return (
            RosterImport.select(*columns)
            .where(RosterImport.id == import_id, RosterImport.contract == contract_id)
            .limit(1)
        )

    return build


# the roster page and an import's page (polled while it runs) read them: their SQL built once per process
_IMPORTS = PreparedSelect(_imports_select, "checkup_roster_imports", samples=(-2_000_016_701,))
_IMPORT = PreparedSelect(_import_select(False), "checkup_roster_import", samples=(-2_000_016_702, -2_000_016_703))
_IMPORT_WITH_ERRORS = PreparedSelect(
    _import_select(True), "checkup_roster_import_with_errors", samples=(-2_000_016_702, -2_000_016_703)
)


def imports_of(contract_id):
    """The contract's imports, newest first, without their rows or errors (one query)."""
    return _IMPORTS.rows(contract_id)


def get_import(organization_id, contract_id, import_id, with_errors=False):
    """(contract, import) for HR of ``organization_id``; NotFound for another organization's or a missing one."""
    contract = contract_for_hr(organization_id, contract_id)
    found = next(
        iter((_IMPORT_WITH_ERRORS if with_errors else _IMPORT).rows(storable_id(import_id) or 0, contract.id)), None
    )
    if found is None:
        raise NotFound(_l("No such roster import."))
    return contract, found


def error_page(roster_import, page=1):
    """One page of the import's row problems, reasons in the current language."""
    problems = json.loads(roster_import.errors_json) if roster_import.errors_json else []
    pages = max(1, -(-len(problems) // ERRORS_PER_PAGE))
    number = min(max(1, page or 1), pages)
    lines = []
    for packed in problems[(number - 1) * ERRORS_PER_PAGE : number * ERRORS_PER_PAGE]:
        error = roster_rules.unpack_error(packed)
        lines.append(
            ErrorLine(
                error.row,
                error.column,
                roster_rules.column_label(error.column),
                roster_rules.reason_text(error.code, error.params),
            )
        )
    return Page(lines, number, pages, len(problems), ERRORS_PER_PAGE)


def progress_percent(roster_import):
    """How far the row check has come, 0-100 (100 once no job runs)."""
    if roster_import.state not in RUNNING:
        return 100
    if not roster_import.total_rows:
        return 0
    return min(100, roster_import.processed_rows * 100 // roster_import.total_rows)


def may_discard(roster_import, now=None):
    """A checked import waiting for HR, or one whose job died long ago."""
    if roster_import.state == READY:
        return True
    return roster_import.state in RUNNING and (now or utcnow()) - roster_import.created_at > STALE_AFTER


def message_text(roster_import):
    return MESSAGES.get(roster_import.message, "") if roster_import.message else ""


# --- upload and checking --------------------------------------------------------------------------------------


def _clean_filename(filename):
    name = os.path.basename((filename or "").replace("\\", "/"))
    return re.sub(r"[\x00-\x1f\x7f]", "", name)[:200]


def _require_open(contract):
    if not accepts_imports(contract):
        raise Conflict(MESSAGES["contract_closed"])


def _runs_as_job(rows):
    return rows > current_app.config["ROSTER_JOB_ROWS"]


def upload(actor, organization_id, contract_id, filename, content):
    """Read the file and start checking its rows (now, or as a job for a large file); returns the import.

    Raises NotFound (not this organization's contract), Conflict (contract closed) or
    upload_files.UploadRefused (the file as a whole); then nothing is stored.
    """
    contract = contract_for_hr(organization_id, contract_id)
    _require_open(contract)
    roster = roster_file.read_roster(filename, content)
    with db.atomic():
        roster_import = RosterImport.create(
            contract=contract.id,
            uploaded_by=actor.user_id,
            filename=_clean_filename(filename),
            state=VALIDATING,
            total_rows=len(roster.rows),
            rows_json=pack_rows(roster.rows),
        )
        audit.record(
            actor, "roster.uploaded", roster_import, contract=contract.id, rows=len(roster.rows), kind=roster.kind
        )
        if _runs_as_job(len(roster.rows)):
            tasks.defer("roster.validate", roster_import.id, caused_by=actor.user_id)
    if not _runs_as_job(len(roster.rows)):
        validate_import(roster_import.id)
    return RosterImport.get_by_id(roster_import.id)


def _fail(import_id, from_state, code):
    return (
        RosterImport.update(state=FAILED, message=code, rows_json="", finished_at=utcnow())
        .where(RosterImport.id == import_id, RosterImport.state == from_state)
        .execute()
    )


@tasks.handler("roster.validate", lease_minutes=30)
def validate_import(import_id):
    """Task: check every row of a ``validating`` import and keep its valid rows for the decision.

    Idempotent: an import in any other state is left alone, and the result is written with a
    conditional UPDATE, so a retried or doubled job writes it once.
    """
    roster_import = RosterImport.get_or_none(RosterImport.id == import_id)
    if roster_import is None or roster_import.state != VALIDATING:
        return
    contract = GroupContract.get_by_id(roster_import.contract_id)
    if not accepts_imports(contract):
        _fail(import_id, VALIDATING, "contract_closed")
        return
    raw_rows = unpack_rows(roster_import.rows_json)
    categories = list(
        ContractCategory.select()
        .where(ContractCategory.contract == contract.id)
        .order_by(ContractCategory.position, ContractCategory.id)
    )

    def progress(done):
        (
            RosterImport.update(processed_rows=done)
            .where(RosterImport.id == import_id, RosterImport.state == VALIDATING)
            .execute()
        )

    # age bands are judged on the first day of the booking window
    clean, errors = roster_rules.check_rows(
        raw_rows, categories, contract.window_start, clock.today(), progress, PROGRESS_EVERY
    )
    placed = roster_commit.plan(contract, clean)
    errors = sorted(errors + placed.errors, key=lambda e: (e.row, roster_rules.column_order(e.column)))
    valid = [row for row in clean if row["row"] not in placed.rejected]
    (
        RosterImport.update(
            state=READY,
            processed_rows=len(raw_rows),
            valid_rows=len(valid),
            error_rows=len({e.row for e in errors}),
            errors_json=json.dumps([e.packed() for e in errors[:MAX_STORED_ERRORS]], ensure_ascii=False),
            rows_json=pack_rows(valid),
        )
        .where(RosterImport.id == import_id, RosterImport.state == VALIDATING)
        .execute()
    )


# --- the decision ---------------------------------------------------------------------------------------------


def request_commit(actor, organization_id, contract_id, import_id):
    """HR chose to import the valid rows: import them now, or queue the job for a large roster.

    Raises NotFound, Conflict (not ready any more, e.g. a second click; or the contract closed) or
    ValidationError (no valid row). Returns the import as it stands.
    """
    contract, roster_import = get_import(organization_id, contract_id, import_id)
    _require_open(contract)
    if roster_import.state == READY and not roster_import.valid_rows:
        raise ValidationError(_l("No row of this file can be imported. Correct the file and upload it again."))
    large = _runs_as_job(roster_import.valid_rows)
    with db.atomic():
        claimed = (
            RosterImport.update(state=IMPORTING, processed_rows=0)
            .where(RosterImport.id == roster_import.id, RosterImport.state == READY, RosterImport.valid_rows > 0)
            .execute()
        )
        if not claimed:
            raise Conflict(_l("This import is no longer waiting for a decision."))
        if large:
            tasks.defer("roster.commit", roster_import.id, actor.user_id, actor.ip, caused_by=actor.user_id)
    if not large:
        commit_import(roster_import.id, actor.user_id, actor.ip)
    return RosterImport.get_by_id(roster_import.id)


@tasks.handler("roster.commit", lease_minutes=30)
def commit_import(import_id, user_id=None, ip=""):
    """Task: write every valid row of an ``importing`` import in one transaction, or nothing.

    The first statement of the transaction moves the state to ``imported`` only if it is still
    ``importing``: a retried job after a success, or a second worker, finds nothing to do and writes
    nothing. If the roster changed since the check, the import ends ``failed`` with nothing written.
    Database errors propagate (the transaction rolls back, the state stays ``importing``) so the task
    is retried.
    """
    roster_import = RosterImport.get_or_none(RosterImport.id == import_id)
    if roster_import is None or roster_import.state != IMPORTING:
        return
    rows = unpack_rows(roster_import.rows_json)
    contract = GroupContract.get_by_id(roster_import.contract_id)
    user = User.get_or_none(User.id == user_id) if user_id else None
    try:
        with db.atomic():
            claimed = (
                RosterImport.update(state=IMPORTED, finished_at=utcnow())
                .where(RosterImport.id == import_id, RosterImport.state == IMPORTING)
                .execute()
            )
            if not claimed:
                return
            if (
                GroupContract.select()
                .where(GroupContract.id == contract.id, GroupContract.status.in_(OPEN_CONTRACT))
                .count()
                == 0
            ):
                raise _ContractClosed()
            counts = roster_commit.write(contract, rows)
            (
                RosterImport.update(processed_rows=len(rows), rows_json="", message="")
                .where(RosterImport.id == import_id)
                .execute()
            )
            audit.record(Actor(user, ip or ""), "roster.imported", roster_import, contract=contract.id, **counts)
    except _ContractClosed:
        _fail(import_id, IMPORTING, "contract_closed")
    except (roster_commit.RosterChanged, IntegrityError):  # a concurrent change beat us to a unique key
        _fail(import_id, IMPORTING, "changed")


class _ContractClosed(Exception):
    """Rolls the import back: the contract was closed after HR chose to import."""


def discard(actor, organization_id, contract_id, import_id):
    """ "Fix the file first": the waiting rows are deleted and the import is closed. Conflict if not waiting."""
    _contract, roster_import = get_import(organization_id, contract_id, import_id)
    if not may_discard(roster_import):
        raise Conflict(_l("This import is no longer waiting for a decision."))
    with db.atomic():
        changed = (
            RosterImport.update(state=DISCARDED, rows_json="", finished_at=utcnow())
            .where(RosterImport.id == roster_import.id, RosterImport.state == roster_import.state)
            .execute()
        )
        if not changed:
            raise Conflict(_l("This import is no longer waiting for a decision."))
        audit.record(
            actor,
            "roster.discarded",
            roster_import,
            contract=roster_import.contract_id,
            rows=roster_import.total_rows,
            valid=roster_import.valid_rows,
            errors=roster_import.error_rows,
        )
    return RosterImport.get_by_id(roster_import.id)
