"""Scanning a client in at a station (exam code or a container's barcode) and saying they are done there:
the visit that moves them along the floor's queues (station_queue), and the station's visit page."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

from checkup.core import audit, clock
from checkup.core.errors import NotFound, ValidationError
from checkup.core.labels import choice_label
from checkup.models import Appointment, AppointmentItem, Department, ExamItem, StationVisit
from checkup.models.appointments import CHECKED_IN, COMPLETED
from checkup.models.base import db, utcnow
from checkup.services.catalog import containers
from checkup.services.catalog.packages import age_on
from checkup.services.exam import derived_items, specimens
from checkup.services.exam.station_queue import not_computed, station_key

RESULTS_FORM, VISIT_FORM = "results", "visit"


@dataclass
class ScanOutcome:
    appointment: Appointment
    station: Department
    container: str | None
    form: str  # RESULTS_FORM: the station's result form; VISIT_FORM: the visit page (draw, samples)
    visit: StationVisit | None


def require_on_the_floor(appointment):
    """ValidationError unless the appointment is checked in today (nothing changes then)."""
    if appointment.day != clock.today():
        raise ValidationError(
            _l(
                "Exam code %(code)s is booked for %(day)s, not today.",
                code=appointment.exam_code,
                day=appointment.day.isoformat(),
            )
        )
    if appointment.status == COMPLETED:
        raise ValidationError(
            _l("The checkup of exam code %(code)s is complete: its report is signed.", code=appointment.exam_code)
        )
    if appointment.status != CHECKED_IN:
        raise ValidationError(
            _l(
                "Exam code %(code)s is not checked in (%(status)s): send the client to the front desk first.",
                code=appointment.exam_code,
                status=choice_label("appointment_status", appointment.status),
            )
        )


def _items_here(appointment_id, station_id):
    """(items done at this station, items of this department) of the appointment, in one query."""
    rows = (
        ExamItem.select(ExamItem.id, ExamItem.station, ExamItem.department)
        .join(AppointmentItem, on=(AppointmentItem.item == ExamItem.id))
        .where(
            AppointmentItem.appointment == appointment_id,
            (station_key() == station_id) | (ExamItem.department == station_id),
            not_computed(),
        )
        .tuples()
    )
    at_station = of_department = 0
    for _id, item_station, department in rows:
        at_station += (item_station or department) == station_id
        of_department += department == station_id
    return at_station, of_department


def _start_visit(actor, appointment, station_id):
    """Open (or open again) the client's visit here and finish any open one elsewhere, in one transaction."""
    now = utcnow()
    with db.atomic():
        StationVisit.update(finished_at=now, finished_by=actor.user_id).where(
            StationVisit.appointment == appointment.id,
            StationVisit.station != station_id,
            StationVisit.finished_at.is_null(),
        ).execute()
        reopened = (
            StationVisit.update(started_at=now, started_by=actor.user_id, finished_at=None, finished_by=None)
            .where(
                StationVisit.appointment == appointment.id,
                StationVisit.station == station_id,
                StationVisit.finished_at.is_null(False),
            )
            .execute()
        )
        exists = reopened or (
            StationVisit.select()
            .where(StationVisit.appointment == appointment.id, StationVisit.station == station_id)
            .exists()
        )
        if not exists:
            try:
                with db.atomic():
                    StationVisit.create(
                        appointment=appointment.id,
                        station=station_id,
                        day=appointment.day,
                        started_at=now,
                        started_by=actor.user_id,
                    )
            except IntegrityError:  # scanned at the same moment on a second device: one visit it is
                pass
        audit.record(actor, "floor.scanned_in", appointment, station=station_id, exam_code=appointment.exam_code)
    return StationVisit.get(StationVisit.appointment == appointment.id, StationVisit.station == station_id)


def scan_in(actor, station, text):
    """Scan a client in at ``station``: ``text`` is what the scanner typed (an exam code or a specimen
    label). The client's visit there starts (their open visit elsewhere finishes); the answer says which
    form opens: the station's result form when the client has items of this department, else the visit
    page (a blood-draw room, the sample desk). A station where the client only enters results (a lab
    bench) opens the form without a visit.

    Raises NotFound (nothing matches the text) or ValidationError (not checked in today, nothing for the
    client here); nothing changes then."""
    appointment, container = specimens.find_by_scan(text)
    require_on_the_floor(appointment)
    at_station, of_department = _items_here(appointment.id, station.id)
    if not at_station and not of_department:
        raise ValidationError(
            _l(
                "Exam code %(code)s has nothing to do at %(station)s.",
                code=appointment.exam_code,
                station=station.name_zh or station.name_en,
            )
        )
    visit = _start_visit(actor, appointment, station.id) if at_station else None
    return ScanOutcome(appointment, station, container, RESULTS_FORM if of_department else VISIT_FORM, visit)


def finish_visit(actor, station, appointment_id):
    """The station says the client is done here. Idempotent; raises NotFound when the client was never
    scanned in at this station."""
    visit = StationVisit.get_or_none(StationVisit.appointment == appointment_id, StationVisit.station == station.id)
    if visit is None:
        raise NotFound(_l("This client was not scanned in at this station."))
    if visit.finished_at is None:
        with db.atomic():
            StationVisit.update(finished_at=utcnow(), finished_by=actor.user_id).where(
                StationVisit.id == visit.id, StationVisit.finished_at.is_null()
            ).execute()
            audit.record(actor, "floor.visit_finished", Appointment(id=appointment_id), station=station.id)
    return StationVisit.get_by_id(visit.id)


@dataclass
class VisitPage:
    """What the visit page of a station without result entry shows: the client, the containers to fill
    here (the scanned one marked) and the items done here."""

    appointment: Appointment
    station: Department
    visit: StationVisit | None
    containers: list  # (specimens.ContainerNeed, containers.Container) of the items done here, in draw order
    items: list  # ExamItem

    @property
    def age(self):
        return age_on(self.appointment.client.birth_date, self.appointment.day)


def visit_page(station, appointment_id):
    """The visit page's data (four queries). Raises NotFound for an unknown appointment or one with nothing
    at this station."""
    appointment = specimens.appointment_with_client(appointment_id)
    rows = [
        row
        for row in specimens.appointment_items(appointment.id)
        if (row.item.station_id or row.item.department_id) == station.id and not derived_items.is_derived(row.item.code)
    ]
    if not rows:
        raise NotFound(_l("This client has nothing to do at this station."))
    visit = StationVisit.get_or_none(StationVisit.appointment == appointment.id, StationVisit.station == station.id)
    needs = [(need, containers.container(need.code)) for need in specimens.containers_needed(rows)]
    return VisitPage(appointment, station, visit, needs, [r.item for r in rows])
