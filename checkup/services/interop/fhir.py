"""HL7 FHIR R4 out: a checkup as Patient, Practitioner, Organization, Encounter, Observation and DiagnosticReport
resources (plain dicts, JSON-ready), and the ``$everything``-style Bundle of one checkup.

Identities: ``Patient/<client id>``, ``Practitioner/<user id>``, ``Organization/center`` (the checkup center;
the only organization these resources name), ``Encounter/<appointment id>`` (the checkup),
``Observation/<result id>``, ``DiagnosticReport/<report id>`` (the version in force). No national ID number
ever leaves: the Patient is identified by the center's own client number.

Observations: coded by LOINC when the catalog item carries one (``ExamItem.loinc``), and always by the
center's item code (``<BASE_URL>/fhir/CodeSystem/exam-item``); status ``preliminary`` before the report is
signed, ``final`` once signed, ``amended`` for a value changed by an amendment; the reference range the value
was flagged against; interpretation H/L/HH/LL/A/N from v3 ObservationInterpretation. A skipped item is an
Observation with a dataAbsentReason. The DiagnosticReport carries the summary as ``conclusion`` and the
signed PDF as ``presentedForm``.

Every read is audited (``fhir.read``: the resource type and id, the client) — these are clinical data.
"""

from __future__ import annotations

import base64
import datetime
from decimal import Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l
from peewee import JOIN

from checkup.config import center_identity
from checkup.core import audit
from checkup.core.errors import NotFound
from checkup.models import Appointment, Client, ExamItem, Package, Report, Result, User
from checkup.models.accounts import STAFF_ROLES
from checkup.models.appointments import BOOKED, CANCELLED, CHECKED_IN, COMPLETED, NO_SHOW
from checkup.services.exam import report_pdf

LOINC = "http://loinc.org"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
CENTER_ID = "center"
INTERPRETATIONS = {
    "N": "Normal",
    "H": "High",
    "L": "Low",
    "HH": "Critical high",
    "LL": "Critical low",
    "A": "Abnormal",
}
ENCOUNTER_STATUS = {
    BOOKED: "planned",
    CHECKED_IN: "in-progress",
    COMPLETED: "finished",
    CANCELLED: "cancelled",
    NO_SHOW: "cancelled",
}
SIGNED_STATUSES = ("signed", "published")
READ_ACTION = "fhir.read"


# --- identities and small types -------------------------------------------------------------------------


def base_url():
    return current_app.config["BASE_URL"].rstrip("/") + "/fhir"


def item_system():
    return base_url() + "/CodeSystem/exam-item"


def identifier_system(name):
    return f"{base_url()}/sid/{name}"


def reference(kind, key):
    return {"reference": f"{kind}/{key}"}


def instant(moment):
    """A naive UTC datetime as a FHIR instant (seconds, 'Z')."""
    return moment.replace(microsecond=0).isoformat() + "Z" if moment else None


def number(value):
    """A Decimal as a JSON number (FHIR decimals are JSON numbers, never strings)."""
    value = Decimal(value).normalize()
    return int(value) if value == value.to_integral_value() else float(value)


def _quantity(value, unit):
    quantity = {"value": number(value)}
    if unit:
        quantity["unit"] = unit
    return quantity


def _drop_empty(resource):
    return {key: value for key, value in resource.items() if value not in (None, "", [], {})}


# --- resources --------------------------------------------------------------------------------------------


def organization_resource():
    center = center_identity(current_app.config, "en")
    chinese = center_identity(current_app.config, "zh")
    resource = {
        "resourceType": "Organization",
        "id": CENTER_ID,
        "active": True,
        "type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/organization-type", "code": "prov"}]}],
        "name": center["name"],
        "alias": [chinese["name"]] if chinese["name"] and chinese["name"] != center["name"] else [],
        "telecom": [{"system": "phone", "value": center["phone"]}] if center["phone"] else [],
        "address": [{"text": center["address"]}] if center["address"] else [],
    }
    return _drop_empty(resource)


def patient_resource(client):
    telecom = []
    if client.phone:
        telecom.append({"system": "phone", "value": client.phone})
    if client.email:
        telecom.append({"system": "email", "value": client.email})
    resource = {
        "resourceType": "Patient",
        "id": str(client.id),
        "identifier": [{"system": identifier_system("client"), "value": str(client.id)}],
        "active": client.anonymized_at is None,
        "name": [{"text": client.name}] if client.name else [],
        "telecom": telecom,
        "gender": client.sex if client.sex in ("male", "female") else "unknown",
        "birthDate": client.birth_date.isoformat() if client.birth_date else None,
        "managingOrganization": reference("Organization", CENTER_ID),
    }
    return _drop_empty(resource)


def practitioner_resource(user):
    resource = {
        "resourceType": "Practitioner",
        "id": str(user.id),
        "identifier": [{"system": identifier_system("staff"), "value": str(user.id)}],
        "active": bool(user.is_active),
        "name": [{"text": user.name}] if user.name else [],
    }
    return _drop_empty(resource)


def encounter_resource(appointment):
    period = {"start": appointment.day.isoformat()}
    if appointment.status == COMPLETED:
        period["end"] = appointment.day.isoformat()
    package = appointment.package if appointment.package_id else None
    resource = {
        "resourceType": "Encounter",
        "id": str(appointment.id),
        "identifier": [{"system": identifier_system("exam-code"), "value": appointment.exam_code}],
        "status": ENCOUNTER_STATUS.get(appointment.status, "unknown"),
        "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
        "type": [{"text": package.name_en if package is not None else "Health checkup"}],
        "serviceType": {"text": "Health checkup"},
        "subject": reference("Patient", appointment.client_id),
        "period": period,
        "serviceProvider": reference("Organization", CENTER_ID),
    }
    return _drop_empty(resource)


def observation_status(result, signed_report, first_signed_at):
    if signed_report is None:
        return "preliminary"
    if first_signed_at is not None and result.entered_at and result.entered_at > first_signed_at:
        return "amended"  # written by an amendment after the first signature
    return "final"


def observation_resource(result, item, appointment, status, issued=None):
    codings = []
    loinc = getattr(item, "loinc", "")
    if loinc:
        codings.append({"system": LOINC, "code": loinc, "display": item.name_en})
    codings.append({"system": item_system(), "code": item.code, "display": item.name_en})
    category = "laboratory" if item.container else "exam"
    resource = {
        "resourceType": "Observation",
        "id": str(result.id),
        "status": status,
        "category": [{"coding": [{"system": CATEGORY, "code": category}]}],
        "code": {"coding": codings, "text": item.name_zh or item.name_en},
        "subject": reference("Patient", appointment.client_id),
        "encounter": reference("Encounter", appointment.id),
        "effectiveDateTime": instant(result.entered_at),
        "issued": instant(issued),
        "performer": [reference("Organization", CENTER_ID)]
        + ([reference("Practitioner", result.entered_by_id)] if result.entered_by_id else []),
    }
    if result.skipped:
        resource["dataAbsentReason"] = {
            "coding": [{"system": ABSENT, "code": "not-performed"}],
            "text": result.skip_reason or None,
        }
        resource["dataAbsentReason"] = _drop_empty(resource["dataAbsentReason"])
    elif result.value_num is not None:
        resource["valueQuantity"] = _quantity(result.value_num, result.unit or item.unit)
    else:
        resource["valueString"] = result.value_text
    if result.flag in INTERPRETATIONS:
        resource["interpretation"] = [
            {"coding": [{"system": INTERPRETATION, "code": result.flag, "display": INTERPRETATIONS[result.flag]}]}
        ]
    if result.ref_low is not None or result.ref_high is not None:
        reference_range = {}
        if result.ref_low is not None:
            reference_range["low"] = _quantity(result.ref_low, result.unit or item.unit)
        if result.ref_high is not None:
            reference_range["high"] = _quantity(result.ref_high, result.unit or item.unit)
        resource["referenceRange"] = [reference_range]
    return _drop_empty(resource)


def _pdf_attachment(report, language):
    if report.pdf_state != "ready":
        return None
    path = report_pdf.file_for(report)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return {
        "contentType": "application/pdf",
        "language": "zh-CN" if language == "zh" else "en",
        "data": base64.b64encode(data).decode("ascii"),
        "size": len(data),
        "title": f"Checkup report {report.appointment.exam_code} v{report.version}",
        "creation": instant(report.signed_at),
    }


def diagnostic_report_resource(report, appointment, observation_ids, language="en"):
    resource = {
        "resourceType": "DiagnosticReport",
        "id": str(report.id),
        "identifier": [{"system": identifier_system("report-verification"), "value": report.verification_code}]
        if report.verification_code
        else [],
        "status": "amended" if report.version > 1 else "final",
        "category": [{"coding": [{"system": V2_0074, "code": "OTH", "display": "Other"}], "text": "Health checkup"}],
        "code": {"text": "Health checkup report"},
        "subject": reference("Patient", appointment.client_id),
        "encounter": reference("Encounter", appointment.id),
        "effectiveDateTime": appointment.day.isoformat(),
        "issued": instant(report.signed_at),
        "performer": [reference("Organization", CENTER_ID)],
        "resultsInterpreter": [reference("Practitioner", report.signed_by_id)] if report.signed_by_id else [],
        "result": [reference("Observation", key) for key in observation_ids],
        "conclusion": report.summary,
        "presentedForm": [attachment] if (attachment := _pdf_attachment(report, language)) else [],
    }
    return _drop_empty(resource)


# --- reading ----------------------------------------------------------------------------------------------


def _appointment(appointment_id):
    appointment = (
        Appointment.select(Appointment, Client, Package)
        .join(Client, on=(Appointment.client == Client.id))
        .switch(Appointment)
        .join(Package, JOIN.LEFT_OUTER, on=(Appointment.package == Package.id))
        .where(Appointment.id == appointment_id)
        .first()
    )
    if appointment is None:
        raise NotFound(_l("We could not find that checkup."))
    return appointment


def _reports(appointment_id):
    """(the signed version in force or None, when the first version was signed or None)."""
    signed = list(
        Report.select()
        .where(Report.appointment == appointment_id, Report.signed_at.is_null(False))
        .order_by(Report.version)
    )
    current = next((r for r in reversed(signed) if r.status in SIGNED_STATUSES), None)
    return current, (signed[0].signed_at if signed else None)


def _results(appointment_id):
    return list(
        Result.select(Result, ExamItem)
        .join(ExamItem, on=(Result.item == ExamItem.id))
        .where(Result.appointment == appointment_id)
        .order_by(ExamItem.code)
    )


def _audit(actor, obj, kind, key, client_id, **detail):
    audit.record(actor, READ_ACTION, obj, resource=f"{kind}/{key}", client=client_id, **detail)


def read_patient(actor, client_id):
    client = Client.get_or_none(Client.id == client_id)
    if client is None:
        raise NotFound(_l("We could not find that client."))
    _audit(actor, client, "Patient", client.id, client.id)
    return patient_resource(client)


def read_practitioner(actor, user_id):
    """A staff account (who enters results and signs reports); a client's or HR's account is not one."""
    user = User.get_or_none(User.id == user_id, User.client.is_null(), User.organization.is_null())
    if user is None or not user.has_role(*STAFF_ROLES):
        raise NotFound(_l("We could not find that practitioner."))
    audit.record(actor, READ_ACTION, user, resource=f"Practitioner/{user.id}")
    return practitioner_resource(user)


def read_organization(actor, key):
    if key != CENTER_ID:
        raise NotFound(_l("We could not find that organization."))
    audit.record(actor, READ_ACTION, None, resource=f"Organization/{key}")
    return organization_resource()


def read_encounter(actor, appointment_id):
    appointment = _appointment(appointment_id)
    _audit(actor, appointment, "Encounter", appointment.id, appointment.client_id)
    return encounter_resource(appointment)


def read_observation(actor, result_id):
    result = Result.select(Result, ExamItem).join(ExamItem).where(Result.id == result_id).first()
    if result is None:
        raise NotFound(_l("We could not find that result."))
    appointment = _appointment(result.appointment_id)
    current, first_signed_at = _reports(appointment.id)
    status = observation_status(result, current, first_signed_at)
    _audit(actor, result, "Observation", result.id, appointment.client_id)
    return observation_resource(result, result.item, appointment, status, current.signed_at if current else None)


def read_diagnostic_report(actor, report_id):
    """The signed version in force (an older or draft version is not a DiagnosticReport here)."""
    report = Report.get_or_none(Report.id == report_id)
    if report is None or report.status not in SIGNED_STATUSES:
        raise NotFound(_l("We could not find that report."))
    appointment = _appointment(report.appointment_id)
    report.appointment = appointment
    ids = [r.id for r in Result.select(Result.id).where(Result.appointment == appointment.id).order_by(Result.id)]
    _audit(actor, report, "DiagnosticReport", report.id, appointment.client_id)
    return diagnostic_report_resource(report, appointment, ids, _language(appointment.client_id))


def _language(client_id):
    user = User.get_or_none(User.client == client_id)
    return "zh" if user is None or not user.locale else user.locale[:2]


def checkup_resources(appointment_id):
    """Every resource of one checkup, the Encounter first (reads only, no audit): a list of dicts."""
    appointment = _appointment(appointment_id)
    rows = _results(appointment.id)
    current, first_signed_at = _reports(appointment.id)
    issued = current.signed_at if current else None
    staff_ids = {r.entered_by_id for r in rows if r.entered_by_id}
    if current is not None and current.signed_by_id:
        staff_ids.add(current.signed_by_id)
    staff = list(User.select().where(User.id.in_(sorted(staff_ids)))) if staff_ids else []
    observations = [
        observation_resource(r, r.item, appointment, observation_status(r, current, first_signed_at), issued)
        for r in rows
    ]
    resources = [
        encounter_resource(appointment),
        patient_resource(appointment.client),
        organization_resource(),
        *[practitioner_resource(user) for user in staff],
        *observations,
    ]
    if current is not None:
        current.appointment = appointment
        language = _language(appointment.client_id)
        resources.append(diagnostic_report_resource(current, appointment, [r.id for r in rows], language))
    return appointment, resources


def everything(actor, appointment_id):
    """The ``$everything`` Bundle (searchset) of one checkup: its Encounter, Patient, the center, the staff
    who entered or signed, every Observation and the DiagnosticReport in force. Audited once. NotFound."""
    appointment, resources = checkup_resources(appointment_id)
    _audit(
        actor,
        appointment,
        "Encounter",
        f"{appointment.id}/$everything",
        appointment.client_id,
        resources=len(resources),
    )
    return bundle(resources)


def bundle(resources):
    base = base_url()
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "timestamp": instant(datetime.datetime.now(datetime.UTC).replace(tzinfo=None)),
        "entry": [
            {
                "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match" if index == 0 else "include"},
            }
            for index, resource in enumerate(resources)
        ],
    }


def operation_outcome(severity, code, text):
    """An OperationOutcome with one issue (``code`` from the FHIR issue-type value set)."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": str(text)}],
    }
