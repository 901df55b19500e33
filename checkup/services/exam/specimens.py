"""Specimens of an appointment: the containers its lab items need, the labels the desk prints for them at
check-in, and reading a scanned label (or a typed exam code) back to the appointment.

A label's barcode is ``<exam code>-<container code>`` (Code128), e.g. ``K7MPQ4XR-EDTA``; one label per
container the appointment needs, whatever the number of its items drawn into it. ``find_by_scan`` takes
what a scanner types (an exam code, or a label's barcode) and answers the appointment and the container.
"""

from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from peewee import JOIN

from checkup.config import center_identity
from checkup.core import audit
from checkup.core.errors import NotFound, ValidationError
from checkup.core.labels import choice_label
from checkup.models import Appointment, AppointmentItem, Client, Department, ExamItem, Package, Slot
from checkup.models.appointments import CHECKED_IN, COMPLETED
from checkup.models.catalog import CONTAINER_CODES
from checkup.reports.specimen_labels import SpecimenLabelRenderer
from checkup.services.catalog import containers
from checkup.services.catalog.packages import age_on

SCAN_LIMIT = 40  # longer than any exam code and container code together
PRINTABLE_STATUSES = (CHECKED_IN, COMPLETED)


@dataclass
class ContainerNeed:
    """A container the appointment needs, and its items (for the label's panel line)."""

    code: str
    items: list = field(default_factory=list)


def appointment_with_client(appointment_id):
    """The appointment with its client, package and slot (one query); NotFound if there is none."""
    appointment = (
        Appointment.select(Appointment, Client, Package, Slot)
        .join_from(Appointment, Client)
        .join_from(Appointment, Package, JOIN.LEFT_OUTER)
        .join_from(Appointment, Slot)
        .where(Appointment.id == appointment_id)
        .first()
    )
    if appointment is None:
        raise NotFound(_l("We could not find that appointment."))
    return appointment


def appointment_items(appointment_id):
    """The appointment's items with their department and station, in one query (a station is a department
    alias: ``row.item.station`` is loaded when the item has one)."""
    station = Department.alias()
    return list(
        AppointmentItem.select(AppointmentItem, ExamItem, Department, station)
        .join(ExamItem)
        .join(Department, on=(ExamItem.department == Department.id))
        .join_from(ExamItem, station, JOIN.LEFT_OUTER, on=(ExamItem.station == station.id))
        .where(AppointmentItem.appointment == appointment_id)
        .order_by(Department.sort_order, Department.code, ExamItem.code)
    )


def containers_needed(rows):
    """[ContainerNeed] for the appointment's item ``rows``, in draw order."""
    by_code = {}
    for row in rows:
        code = row.item.container
        if code in CONTAINER_CODES:
            by_code.setdefault(code, ContainerNeed(code)).items.append(row.item)
    return [by_code[code] for code in containers.in_draw_order(by_code)]


def barcode(exam_code, container_code):
    return f"{exam_code}-{container_code}"


def find_by_scan(text):
    """(appointment, container code or None) for a scanned or typed exam code or label barcode.

    Case, spaces around and a scanner's trailing newline do not matter. An exam code gives (appointment,
    None); ``<exam code>-<container code>`` gives the container too. One query. Raises NotFound (with a
    message for the scan box) when nothing matches.
    """
    typed = "".join(str(text or "").split())[:SCAN_LIMIT]
    if not typed:
        raise NotFound(_l("Scan a label or type an exam code."))
    candidates = {}  # exam code to look for: the container it names; the whole text first (a code is no label)
    for value in dict.fromkeys((typed, typed.upper())):
        candidates.setdefault(value, None)
    for value in dict.fromkeys((typed, typed.upper())):
        prefix, dash, suffix = value.rpartition("-")
        if dash and prefix and suffix.upper() in CONTAINER_CODES:
            candidates.setdefault(prefix, suffix.upper())
    found = {a.exam_code: a for a in Appointment.select().where(Appointment.exam_code.in_(list(candidates)))}
    for code, container_code in candidates.items():
        if code in found:
            return found[code], container_code
    raise NotFound(_l("No appointment has the exam code or label %(code)s.", code=typed))


LABELS_REFUSAL = _l("Specimen labels are printed once the client is checked in; this appointment is %(status)s.")


def check_printable(appointment, refusal=LABELS_REFUSAL):
    """ValidationError (``refusal``, with the status named) unless the client is checked in: what the desk
    prints for the floor (labels, the guide sheet) is printed only then."""
    if appointment.status not in PRINTABLE_STATUSES:
        raise ValidationError(refusal % {"status": choice_label("appointment_status", appointment.status)})


def label_data(appointment_id, chinese=False):
    """Everything the specimen labels show, as plain data (two queries). Raises NotFound, or
    ValidationError for an appointment not checked in."""
    appointment = appointment_with_client(appointment_id)
    check_printable(appointment)
    client = appointment.client
    labels = []
    for need in containers_needed(appointment_items(appointment.id)):
        container = containers.container(need.code)
        panels = []
        for item in need.items:
            department = item.department
            name = (department.name_zh or department.name_en) if chinese else department.name_en
            if name not in panels:
                panels.append(name)
        labels.append(
            {
                "barcode": barcode(appointment.exam_code, need.code),
                "container": need.code,
                "colour": str(container.colour),
                "panels": "、".join(panels) if chinese else ", ".join(panels),
            }
        )
    return {
        "center_name": center_identity(current_app.config, "zh" if chinese else "en")["name"],
        "title": str(_l("Specimen labels %(code)s", code=appointment.exam_code)),
        "exam_code": appointment.exam_code,
        "client_name": client.name,
        "sex": str(choice_label("sex", client.sex)),
        "age": age_on(client.birth_date, appointment.day),
        "day": appointment.day.isoformat(),
        "labels": labels,
        "age_label": str(_l("%(n)s y", n=age_on(client.birth_date, appointment.day))),
    }


def print_labels(actor, appointment_id, chinese=False):
    """(exam code, PDF bytes) of the appointment's specimen labels, one 50×25 mm page per container; every
    print (and reprint) is audited. Raises NotFound, or ValidationError (not checked in, no specimens)."""
    data = label_data(appointment_id, chinese)
    if not data["labels"]:
        raise ValidationError(_l("This appointment has no specimens to label."))
    pdf = SpecimenLabelRenderer().build(data)
    audit.record(
        actor,
        "exam_day.specimen_labels_printed",
        Appointment(id=appointment_id),
        exam_code=data["exam_code"],
        containers=[label["container"] for label in data["labels"]],
    )
    return data["exam_code"], pdf
