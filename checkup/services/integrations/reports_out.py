"""Signed reports for an outside system: only what the client has been given (the current, published
version whose PDF is ready — the same rule as the client's own /me/reports, ``reports.report_for_client``)
and never a deleted (anonymized) client's."""

from __future__ import annotations

import datetime

from flask_babel import lazy_gettext as _l

from checkup.core.errors import NotFound
from checkup.models import Appointment, Client, Report
from checkup.models.results import PDF_READY, PUBLISHED
from checkup.services.exam import reports


def report_json(report):
    appointment = report.appointment
    return {
        "report_id": report.id,
        "version": report.version,
        "appointment_id": appointment.id,
        "exam_code": appointment.exam_code,
        "client_id": appointment.client_id,
        "day": appointment.day.isoformat(),
        "status": report.status,
        "signed_at": report.signed_at.isoformat() + "Z" if report.signed_at else None,
        "verification_code": report.verification_code,
        "amended": report.version > 1,
        "pdf_checksum_sha256": report.pdf_checksum or None,
    }


def _shared():
    return (
        Report.select(Report, Appointment, Client)
        .join(Appointment)
        .join(Client)
        .where(Report.status == PUBLISHED, Report.pdf_state == PDF_READY, Client.anonymized_at.is_null())
    )


def shared_reports(
    signed_since: datetime.date | None = None, after: int = 0, limit: int = 50
) -> tuple[list[Report], int | None]:
    """Published reports, oldest first by id, keyset-paged; ``signed_since`` narrows to recent ones."""
    query = _shared().where(Report.id > after)
    if signed_since is not None:
        query = query.where(Report.signed_at >= datetime.datetime.combine(signed_since, datetime.time()))
    rows = list(query.order_by(Report.id).limit(limit + 1))
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def shared_report(report_id: int) -> Report:
    """The report if the client has been given it; NotFound for anything else (drafts, superseded, deleted)."""
    report = reports.report_with_appointment(report_id)
    if report is None or report.appointment.client.anonymized_at is not None:
        raise NotFound(_l("We could not find that report."))
    return reports.report_for_client(report_id, report.appointment.client_id)
