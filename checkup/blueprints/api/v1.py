"""/api/v1: the worklist for the LIS, results and imaging reports in, appointments and clients for the HIS,
signed reports out, and the OpenAPI document that describes them (generated from these declarations)."""

from __future__ import annotations

from flask import Blueprint, render_template, request, send_file

from checkup.core import clock
from checkup.core.errors import NotFound, ValidationError
from checkup.services.admin import document_check
from checkup.services.exam import report_pdf, reports
from checkup.services.integrations import his, imaging_in, reports_out, results_in, worklist
from checkup.web import openapi
from checkup.web.api_auth import api_blueprint, current_client, note_objects
from checkup.web.extensions import limiter

from . import schemas as s
from .common import api_actor, body, decode_cursor, encode_cursor, idempotent, json_answer, query, read

bp = api_blueprint(Blueprint("api_v1", __name__, url_prefix="/api/v1"))
PREFIX = "/api/v1"


# --- the LIS -----------------------------------------------------------------------------------------


@openapi.operation(
    bp, "/worklist", "GET", summary="The day's checked-in orders", scope="orders:read", tag="LIS",
    query=s.DayPageQuery, responses={200: s.Worklist}, etag=True,
)  # fmt: skip
def worklist_read():
    """Checked-in appointments of the day with their items, LOINC codes and specimen barcodes, oldest first."""
    args = query(s.DayPageQuery)
    page = worklist.worklist(args.day or clock.today(), decode_cursor(args.cursor), args.limit)
    return read({"data": page.orders, "next_cursor": encode_cursor(page.next_after)})


@openapi.operation(
    bp, "/results", "POST", summary="Results in", scope="results:write", tag="LIS",
    body=s.ResultsIn, responses={200: s.ResultsReceived}, idempotent=True,
)  # fmt: skip
@idempotent
def results_create():
    """Values by exam code and item code (or LOINC). A value differing from one entered goes to the conflict
    list; a critical value raises its alert; an external id sent again changes nothing."""
    sent = body(s.ResultsIn)
    entries = [
        results_in.IncomingResult(
            external_id=r.external_id,
            value=r.value,
            item_code=r.item_code or "",
            loinc=r.loinc or "",
            unit=r.unit,
            reference_text=r.reference_text,
            performed_at=r.performed_at.replace(tzinfo=None) if r.performed_at else None,
            instrument_id=r.instrument_id,
        )
        for r in sent.results
    ]
    if any(not (e.item_code or e.loinc) for e in entries):
        raise ValidationError("Name each result's item.", {"results": "Give item_code or loinc for each result."})
    received = results_in.receive_results(api_actor(), current_client(), sent.exam_code, entries)
    appointment = received.appointment
    note_objects(appointment, *(obj for o in received.outcomes for obj in o.objects))
    return json_answer(
        {
            "appointment_id": appointment.id,
            "exam_code": appointment.exam_code,
            "results": [o.as_json() for o in received.outcomes],
        }
    )


@openapi.operation(
    bp, "/imaging-reports", "POST", summary="Imaging or ECG report in", scope="results:write", tag="PACS",
    multipart=s.ImagingReportForm, responses={201: s.ImagingReceived, 200: s.ImagingReceived}, idempotent=True,
)  # fmt: skip
@idempotent
def imaging_report_create():
    """The conclusion as the item's result, with an optional PDF, PNG or JPEG (10 MB at most)."""
    fields = {key: request.form.get(key) for key in request.form}
    try:
        form = s.ImagingReportForm.model_validate(fields)
    except Exception as error:  # pydantic's ValidationError: one message per field
        errors = {".".join(str(p) for p in e["loc"]): e["msg"] for e in getattr(error, "errors", lambda: [])()}
        raise ValidationError("The form breaks a rule.", errors) from None
    upload = request.files.get("file")
    attachment = None
    if upload is not None:
        attachment = imaging_in.Attachment(upload.read(imaging_in.MAX_ATTACHMENT_BYTES + 1), upload.mimetype or "")
    stored, created = imaging_in.receive_report(
        api_actor(),
        current_client(),
        form.exam_code,
        form.item_code,
        form.external_id,
        form.conclusion,
        form.abnormal,
        attachment,
    )
    note_objects(stored)
    return json_answer(
        {
            "external_report_id": stored.id,
            "appointment_id": stored.appointment_id,
            "item_code": form.item_code,
            "result_id": stored.result_id,
            "attachment_type": stored.file_type or None,
            "attachment_sha256": stored.file_checksum or None,
            "created": created,
        },
        201 if created else 200,
    )


# --- the HIS -----------------------------------------------------------------------------------------


@openapi.operation(
    bp, "/appointments", "GET", summary="Appointments of a day", scope="appointments:read", tag="HIS",
    query=s.DayPageQuery, responses={200: s.AppointmentList}, etag=True,
)  # fmt: skip
def appointments_list():
    """Every appointment of the day (any status), oldest first."""
    args = query(s.DayPageQuery)
    rows, after = his.appointments_of_day(args.day or clock.today(), decode_cursor(args.cursor), args.limit)
    return read({"data": [his.appointment_json(a) for a in rows], "next_cursor": encode_cursor(after)})


@openapi.operation(
    bp, "/appointments/<int:appointment_id>", "GET", summary="One appointment", scope="appointments:read",
    tag="HIS", responses={200: s.AppointmentOut}, etag=True,
)  # fmt: skip
def appointment_read(appointment_id):
    appointment = his.appointment(appointment_id)
    note_objects(appointment)
    return read(his.appointment_json(appointment))


@openapi.operation(
    bp, "/appointments", "POST", summary="Book for a walk-in", scope="appointments:write", tag="HIS",
    body=s.AppointmentIn, responses={201: s.AppointmentOut}, idempotent=True,
)  # fmt: skip
@idempotent
def appointment_create():
    """Book a slot (today's may have begun) for a client on file, with the booking rules of the front desk."""
    sent = body(s.AppointmentIn)
    appointment = his.book_walk_in(api_actor(), sent.client_id, sent.slot_id, sent.package, sent.addons)
    note_objects(appointment)
    return json_answer(his.appointment_json(appointment), 201)


@openapi.operation(
    bp, "/appointments/<int:appointment_id>/cancel", "POST", summary="Cancel an appointment",
    scope="appointments:write", tag="HIS", body=s.CancelIn, responses={200: s.AppointmentOut}, idempotent=True,
)  # fmt: skip
@idempotent
def appointment_cancel(appointment_id):
    sent = body(s.CancelIn)
    appointment = his.cancel(api_actor(), appointment_id, sent.reason)
    note_objects(appointment)
    return json_answer(his.appointment_json(appointment))


@openapi.operation(
    bp, "/clients", "GET", summary="Clients", scope="clients:read", tag="HIS",
    query=s.PageQuery, responses={200: s.ClientList}, etag=True,
)  # fmt: skip
def clients_list():
    args = query(s.PageQuery)
    rows, after = his.clients_page(decode_cursor(args.cursor), args.limit)
    return read({"data": [his.client_json(c) for c in rows], "next_cursor": encode_cursor(after)})


@openapi.operation(
    bp, "/clients/<int:client_id>", "GET", summary="One client", scope="clients:read", tag="HIS",
    responses={200: s.ClientOut}, etag=True,
)  # fmt: skip
def client_read(client_id):
    client = his.client(client_id)
    note_objects(client)
    return read(his.client_json(client))


@openapi.operation(
    bp, "/clients", "POST", summary="Register a walk-in's record", scope="clients:write", tag="HIS",
    body=s.ClientIn, responses={201: s.ClientOut}, idempotent=True,
)  # fmt: skip
@idempotent
def client_create():
    """Checked as the front desk's form is (a national ID number must match sex and birth date, and be new)."""
    sent = body(s.ClientIn)
    client = his.create_client(api_actor(), sent.model_dump())
    note_objects(client)
    return json_answer(his.client_json(client), 201)


# --- signed reports ----------------------------------------------------------------------------------


@openapi.operation(
    bp, "/reports", "GET", summary="Reports given to clients", scope="reports:read", tag="Reports",
    query=s.ReportsQuery, responses={200: s.ReportList}, etag=True,
)  # fmt: skip
def reports_list():
    """The current, published version of each report whose PDF is ready (what the client has been given)."""
    args = query(s.ReportsQuery)
    rows, after = reports_out.shared_reports(args.signed_since, decode_cursor(args.cursor), args.limit)
    return read({"data": [reports_out.report_json(r) for r in rows], "next_cursor": encode_cursor(after)})


@openapi.operation(
    bp, "/reports/<int:report_id>", "GET", summary="One report's metadata", scope="reports:read",
    tag="Reports", responses={200: s.ReportOut}, etag=True,
)  # fmt: skip
def report_read(report_id):
    report = reports_out.shared_report(report_id)
    note_objects(report)
    return read(reports_out.report_json(report))


@openapi.operation(
    bp, "/reports/<int:report_id>/pdf", "GET", summary="One report's PDF", scope="reports:read",
    tag="Reports", responses={200: "application/pdf"},
)  # fmt: skip
def report_pdf_download(report_id):
    report = reports_out.shared_report(report_id)
    note_objects(report)
    if not document_check.report_file_ready(report):
        raise NotFound("The PDF is being made again; try again in a few minutes.")
    reports.record_download(api_actor(), report)
    response = send_file(
        report_pdf.file_for(report),
        mimetype="application/pdf",
        as_attachment=True,
        max_age=0,
        download_name=f"checkup-report-{report.appointment.exam_code}-v{report.version}.pdf",
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- the description -----------------------------------------------------------------------------


def api_document():
    return openapi.document("Checkup Portal API", "1.0.0", PREFIX, s.Problem)


@bp.get("/openapi.json")
@limiter.exempt
def openapi_json():
    return json_answer(api_document())


@bp.get("/docs")
@limiter.exempt
def docs():
    document = api_document()
    return render_template("integrations/api_docs.html", document=document)
