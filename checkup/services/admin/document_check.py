"""Checking stored documents against the database: after a restore, a disk fault or a hand edit.

Every report PDF and group document the database calls ready must be a file whose sha256 is the
checksum the row holds. One that is missing or differs is put back to pending (checksum cleared) and
its render is owed again, in the same transaction: the task table makes it (rendering is
deterministic for a report, so a report's PDF comes back with the same checksum). A ready document
whose file is intact is left alone, so running the check twice owes nothing more.
``flask --app wsgi verify-documents`` runs it.
"""

from dataclasses import dataclass, replace

from checkup.core import stored_files, tasks
from checkup.models import GroupDocument, Report
from checkup.models.base import db, utcnow
from checkup.models.results import PDF_PENDING, PDF_READY
from checkup.services.exam import report_pdf
from checkup.services.groups import group_documents

MISSING, CHANGED = "missing", "changed"


@dataclass(frozen=True)
class Damaged:
    """A ready document whose file is ``missing`` or ``changed``; ``queued`` once its render is owed."""

    kind: str  # "report" | "group document"
    id: int
    path: str
    problem: str
    queued: bool = False


def _problem(path, checksum):
    """None when ``path`` is a file whose sha256 is ``checksum``; else MISSING or CHANGED."""
    if path is None or not path.is_file():
        return MISSING
    return None if checksum and stored_files.sha256_of(path) == checksum else CHANGED


def damaged_reports():
    """(how many ready report PDFs were checked, [(report, Damaged)] for those whose file is missing or
    differs from ``pdf_checksum``). Changes nothing."""
    rows = (
        Report.select(Report.id, Report.appointment, Report.version, Report.pdf_path, Report.pdf_checksum)
        .where(Report.pdf_state == PDF_READY)
        .order_by(Report.id)
    )
    checked, found = 0, []
    for report in rows.iterator():
        checked += 1
        path = report_pdf.file_for(report)
        problem = _problem(path, report.pdf_checksum)
        if problem:
            found.append((report, Damaged("report", report.id, str(path), problem)))
    return checked, found


def damaged_group_documents():
    """(how many ready group documents were checked, [(document, Damaged)] for those whose file is
    missing or differs from ``checksum``). Changes nothing."""
    rows = (
        GroupDocument.select(GroupDocument.id, GroupDocument.contract, GroupDocument.path, GroupDocument.checksum)
        .where(GroupDocument.state == group_documents.READY)
        .order_by(GroupDocument.id)
    )
    checked, found = 0, []
    for document in rows.iterator():
        checked += 1
        path = group_documents.file_for(document)
        problem = _problem(path, document.checksum)
        if problem:
            found.append((document, Damaged("group document", document.id, str(path or ""), problem)))
    return checked, found


def report_file_ready(report):
    """True when a ready report's PDF is on disk as written; otherwise its render is owed again (a
    download after a database-only restore or a disk swap) and False: nothing broken is ever served."""
    if _problem(report_pdf.file_for(report), report.pdf_checksum) is None:
        return True
    _requeue_report(report)
    return False


def _requeue_report(report):
    """Back to pending and owe its render, unless the row moved meanwhile (then someone else has it)."""
    with db.atomic():
        moved = (
            Report.update(pdf_state=PDF_PENDING, pdf_checksum="", pdf_error="", pdf_updated_at=utcnow())
            .where(Report.id == report.id, Report.pdf_state == PDF_READY, Report.pdf_checksum == report.pdf_checksum)
            .execute()
        )
        if moved:
            tasks.defer("report.render_pdf", report.id)
    return bool(moved)


def _requeue_group_document(document):
    with db.atomic():
        moved = (
            GroupDocument.update(state=group_documents.PENDING, checksum="", error="", updated_at=utcnow())
            .where(
                GroupDocument.id == document.id,
                GroupDocument.state == group_documents.READY,
                GroupDocument.checksum == document.checksum,
            )
            .execute()
        )
        if moved:
            tasks.defer("group_document.render", document.id)
    return bool(moved)


def verify_documents():
    """Check every ready report PDF and group document and requeue each damaged one. Returns
    (how many were checked, [Damaged]); ``queued`` is False for a row whose state changed meanwhile.

    Guarantees: a damaged document ends pending with its render owed (both or neither); an intact
    one is untouched. Safe to run while the portal runs, and in several processes at once."""
    reports_checked, reports = damaged_reports()
    documents_checked, documents = damaged_group_documents()
    results = [replace(damaged, queued=_requeue_report(report)) for report, damaged in reports]
    results += [replace(damaged, queued=_requeue_group_document(document)) for document, damaged in documents]
    return reports_checked + documents_checked, results
