"""HR's employee list as XLSX: a short list is made in the request, a longer one by the worker.

A list of up to INLINE_LIMIT rows is returned at once (``enrollments.export_employees``). A longer one is
owed as task "hr_export.build" in the transaction that writes its ``EmployeeExport`` row and the
``hr.export`` audit event (who, from where, with which filters — as for an inline export). The task
claims the row (pending -> building; ``updated_at`` is the claim token), reads the list through the very
query the page and the inline export use (status only, the organization's own contract), counting its
progress, writes the sheet ``enrollments.export_sheet`` makes (formula-like cells neutralised) under
``GROUP_DOCS_DIR/employee_exports/<organization>/`` atomically with its sha256, and marks the row ready.
An error marks it failed and is raised, so the task is tried again on schedule.

Only an HR account of the export's organization reaches it: another organization's export answers
NotFound exactly like a missing one. A download is audited (``hr.export_downloaded``) and possible for
EXPORT_HOURS; older files are deleted by the hourly task ``hr_export.purge_expired`` (and when the
organization next asks for an export).
"""

import datetime
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from checkup.core import audit, stored_files, tasks
from checkup.core.arguments import valid_id
from checkup.core.errors import NotFound
from checkup.models import EmployeeExport
from checkup.models.base import db, utcnow
from checkup.models.employee_exports import BUILDING, EXPIRED, FAILED, PENDING, READY
from checkup.reports import spreadsheet
from checkup.services.groups import enrollments

INLINE_LIMIT = 2000  # rows: a longer list is made by the worker
EXPORT_HOURS = 24  # a made file can be downloaded this long
PROGRESS_EVERY = 500  # rows between two progress updates
STALE_MINUTES = 10  # a claim this old belongs to a worker that died
BUSY_STATES = (PENDING, BUILDING)
STATE_LABELS = {
    PENDING: _l("Queued…"),
    BUILDING: _l("Being prepared…"),
    READY: _l("Ready"),
    FAILED: _l("Not ready yet: we will try again"),
    EXPIRED: _l("Deleted"),
}


@dataclass(frozen=True)
class InlineExport:
    filename: str
    data: bytes


def exports_dir():
    return Path(current_app.config["GROUP_DOCS_DIR"]) / "employee_exports"


def file_for(export):
    return exports_dir() / export.path if export.path else None


# --- asking ----------------------------------------------------------------------------------------


def too_long_for_now(organization_id, contract_id, filters):
    """Does the filtered list have more rows than a request makes? (NotFound: not the organization's.)"""
    contract = enrollments.contract_for_hr(organization_id, contract_id)
    return enrollments.count_employees(contract, filters, up_to=INLINE_LIMIT + 1) > INLINE_LIMIT


def export_or_owe(actor, organization_id, contract_id, filters, locale=""):
    """The filtered list as an ``InlineExport`` when it has at most INLINE_LIMIT rows; otherwise its
    ``EmployeeExport``, owed to the worker (an identical one still being made is returned instead of a
    second). Either way audited as ``hr.export``; the organization's files past EXPORT_HOURS are deleted
    first. Raises NotFound for another organization's contract."""
    contract = enrollments.contract_for_hr(organization_id, contract_id)
    _expire_old(organization_id)
    if enrollments.count_employees(contract, filters, up_to=INLINE_LIMIT + 1) <= INLINE_LIMIT:
        return InlineExport(*enrollments.export_employees(actor, organization_id, contract.id, filters))
    filters_json = json.dumps(asdict(filters), sort_keys=True, ensure_ascii=False)
    with db.atomic():
        busy = EmployeeExport.get_or_none(
            EmployeeExport.organization == organization_id,
            EmployeeExport.contract == contract.id,
            EmployeeExport.filters_json == filters_json,
            EmployeeExport.locale == locale,
            EmployeeExport.state.in_(BUSY_STATES),
        )
        if busy is not None:
            return busy
        export = EmployeeExport.create(
            organization=organization_id,
            contract=contract.id,
            requested_by=actor.user_id,
            filters_json=filters_json,
            locale=locale,
            state=PENDING,
            updated_at=utcnow(),
        )
        enrollments.audit_export(actor, contract, filters, export=export.id, made_by="worker")
        tasks.defer("hr_export.build", export.id, caused_by=actor.user_id)
    return EmployeeExport.get_by_id(export.id)


def _expire_old(organization_id=None, batch=100):
    """Delete files older than EXPORT_HOURS (their rows stay, marked expired): the organization's, or
    everybody's when ``organization_id`` is None; at most ``batch``. Returns how many were expired."""
    cutoff = utcnow() - datetime.timedelta(hours=EXPORT_HOURS)
    query = EmployeeExport.select().where(EmployeeExport.state == READY, EmployeeExport.ready_at < cutoff)
    if organization_id is not None:
        query = query.where(EmployeeExport.organization == organization_id)
    old = list(query.order_by(EmployeeExport.id).limit(batch))
    for export in old:
        path = file_for(export)
        if path is not None:
            path.unlink(missing_ok=True)
        EmployeeExport.update(state=EXPIRED, path="", checksum="").where(EmployeeExport.id == export.id).execute()
    return len(old)


@tasks.handler("hr_export.purge_expired")
def purge_expired(batch=100):
    """Periodic task: delete every organization's export files older than EXPORT_HOURS, in batches until
    none is left (an organization that never asks for another export keeps no employee list on disk)."""
    expired = 0
    while True:
        done = _expire_old(batch=batch)
        expired += done
        if done < batch:
            return expired


# --- reading, scoped -------------------------------------------------------------------------------


def export_for_org(export_id, organization_id):
    """The organization's own export; NotFound for another organization's or a missing one (the same)."""
    export = (
        EmployeeExport.get_or_none(EmployeeExport.id == export_id, EmployeeExport.organization == organization_id)
        if valid_id(export_id) and organization_id
        else None
    )
    if export is None:
        raise NotFound(_l("We could not find that export."))
    return export


@dataclass(frozen=True)
class ExportStatus:
    export: EmployeeExport
    label: str
    busy: bool
    available: bool
    percent: int
    expires_at: datetime.datetime | None  # UTC, while available


def status(export_id, organization_id):
    """What HR's status page shows of the organization's export (NotFound as ``export_for_org``)."""
    export = export_for_org(export_id, organization_id)
    available = is_available(export)
    return ExportStatus(
        export,
        STATE_LABELS.get(export.state, export.state),
        export.state in BUSY_STATES,
        available,
        progress_percent(export),
        export.ready_at + datetime.timedelta(hours=EXPORT_HOURS) if available else None,
    )


def is_available(export, now=None):
    cutoff = (now or utcnow()) - datetime.timedelta(hours=EXPORT_HOURS)
    return export.state == READY and export.ready_at is not None and export.ready_at > cutoff


def progress_percent(export):
    if export.state == READY:
        return 100
    return min(99, export.rows_done * 100 // export.rows_total) if export.rows_total else 0


def _file_ok(export):
    return stored_files.is_intact(file_for(export), export.checksum)


def download(actor, export_id, organization_id):
    """(path, download name) of the organization's ready export, before its expiry and intact; audited.
    NotFound for anything else."""
    export = export_for_org(export_id, organization_id)
    if not is_available(export) or not _file_ok(export):
        raise NotFound(_l("This file is no longer available. Export the list again."))
    audit.record(actor, "hr.export_downloaded", export, contract=export.contract_id, rows=export.rows_total)
    made = export.ready_at.strftime("%Y-%m-%d")
    return file_for(export), f"employees-{export.contract_id}-{made}.xlsx"


# --- the job ---------------------------------------------------------------------------------------


def _claim(export_id):
    """Move the row to building if nobody holds it; returns the claim token (a timestamp) or None."""
    now = utcnow()
    stale = now - datetime.timedelta(minutes=STALE_MINUTES)
    claimable = EmployeeExport.state.in_((PENDING, FAILED)) | (
        (EmployeeExport.state == BUILDING)
        & (EmployeeExport.updated_at.is_null() | (EmployeeExport.updated_at <= stale))
    )
    claimed = (
        EmployeeExport.update(state=BUILDING, updated_at=now, error="", rows_done=0)
        .where(EmployeeExport.id == export_id, claimable)
        .execute()
    )
    return now if claimed else None


@tasks.handler("hr_export.build")
def build(export_id):
    """Task: make export ``export_id``; returns the file's path, or None (missing, expired, made already,
    or another worker holds it). Raises what making it raised (the row says "failed") so it is retried."""
    export = EmployeeExport.get_or_none(EmployeeExport.id == export_id)
    if export is None or export.state in (READY, EXPIRED):
        return str(file_for(export)) if export is not None and export.state == READY else None
    token = _claim(export.id)
    if token is None:
        return None
    mine = (EmployeeExport.id == export.id) & (EmployeeExport.state == BUILDING) & (EmployeeExport.updated_at == token)
    try:
        # the organization's own contract, as when it was asked for (NotFound otherwise: retried, then dead)
        contract = enrollments.contract_for_hr(export.organization_id, export.contract_id)
        filters = enrollments.EmployeeFilters(**json.loads(export.filters_json))
        total = enrollments.count_employees(contract, filters)
        EmployeeExport.update(rows_total=total).where(mine).execute()
        rows = []
        for row in enrollments.employee_rows(contract, filters):
            rows.append(row)
            if len(rows) % PROGRESS_EVERY == 0:
                EmployeeExport.update(rows_done=len(rows)).where(mine).execute()
        with force_locale(export.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "en")):
            data = spreadsheet.workbook_bytes([enrollments.export_sheet(rows)])
        relative = f"{export.organization_id}/{export.id}-{hashlib.sha256(data).hexdigest()[:16]}.xlsx"
        checksum = stored_files.write_atomically(exports_dir() / relative, data)
    except Exception as exc:
        EmployeeExport.update(state=FAILED, error=f"{type(exc).__name__}: {exc}"[:500], updated_at=utcnow()).where(
            mine
        ).execute()
        raise
    done = (
        EmployeeExport.update(
            state=READY,
            path=relative,
            checksum=checksum,
            size_bytes=len(data),
            rows_total=len(rows),
            rows_done=len(rows),
            ready_at=utcnow(),
            updated_at=utcnow(),
        )
        .where(mine)
        .execute()
    )
    return str(exports_dir() / relative) if done else None
