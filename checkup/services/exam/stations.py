"""Stations' worklists, appointment progress and critical-value alerts (who acknowledged them, when)."""

import datetime
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from peewee import JOIN, SQL, fn

from checkup.core import audit, change_marks, clock
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.core.headline_figures import headline
from checkup.core.pagination import peek
from checkup.core.prepared import PreparedSelect
from checkup.models import Appointment, AppointmentItem, Client, CriticalAlert, Department, ExamItem, Result, Slot, User
from checkup.models.appointments import CHECKED_IN
from checkup.models.base import db, utcnow
from checkup.services.exam.results import MAX_NOTE_LENGTH
from checkup.services.exam.station_queue import FLOOR_LOADS_MAX_AGE_SECONDS


@dataclass
class Progress:
    done: int = 0
    total: int = 0
    by_department: list = field(default_factory=list)  # [(Department, done, total)]

    @property
    def pending(self):
        return self.total - self.done

    @property
    def complete(self):
        return self.total > 0 and self.done == self.total


def appointment_progress(appointment_id):
    """Items done (a result or a recorded skip) and pending for an appointment, overall and per station."""
    done = fn.COUNT(Result.id)
    rows = (
        Department.select(Department, fn.COUNT(AppointmentItem.id).alias("total"), done.alias("done"))
        .join(ExamItem, on=(ExamItem.department == Department.id))
        .join(AppointmentItem, on=(AppointmentItem.item == ExamItem.id))
        .join(
            Result,
            JOIN.LEFT_OUTER,
            on=((Result.appointment == AppointmentItem.appointment) & (Result.item == AppointmentItem.item)),
        )
        .where(AppointmentItem.appointment == appointment_id)
        .group_by(Department.id)
        .order_by(Department.sort_order, Department.code)
    )
    progress = Progress()
    for department in rows:
        progress.by_department.append((department, department.done, department.total))
        progress.done += department.done
        progress.total += department.total
    return progress


@dataclass
class WorklistRow:
    appointment: Appointment
    pending: int
    done: int


WORKLIST_PAGE_ROWS = 50


def station_worklist(department_id, day=None, page_number=1):
    """One page (``WORKLIST_PAGE_ROWS``, peeked: no count) of the checked-in appointments of ``day`` (today)
    with items still pending at the station, in one query: a floor of 1,000 clients is ~1,000 rows here.

    Ordered by slot time then check-in order; each row carries the station's pending and done counts.
    """
    day = day or clock.today()
    total = fn.COUNT(AppointmentItem.id)
    done = fn.COUNT(Result.id)
    query = (
        # only the columns the list shows: carrying whole client rows through the grouping of a day's
        # floor cost more than the grouping itself
        Appointment.select(
            Appointment.id,
            Appointment.exam_code,
            Client.id,
            Client.name,
            Client.sex,
            Slot.id,
            Slot.start_time,
            total.alias("total"),
            done.alias("done"),
        )
        .join(Client, on=(Appointment.client == Client.id))
        .switch(Appointment)
        .join(Slot, on=(Appointment.slot == Slot.id))
        .switch(Appointment)
        .join(AppointmentItem, on=(AppointmentItem.appointment == Appointment.id))
        .join(ExamItem, on=(AppointmentItem.item == ExamItem.id))
        .join(
            Result,
            JOIN.LEFT_OUTER,
            on=((Result.appointment == AppointmentItem.appointment) & (Result.item == AppointmentItem.item)),
        )
        .where(Appointment.status == CHECKED_IN, Appointment.day == day, ExamItem.department == department_id)
        .group_by(Appointment.id, Client.id, Slot.id)
        .having(total > done)
        .order_by(Slot.start_time, Appointment.updated_at, Appointment.id)
    )
    page = peek(query, page_number, WORKLIST_PAGE_ROWS)
    page.items = [WorklistRow(a, a.total - a.done, a.done) for a in page.items]
    return page


KEPT_WORKLIST_PAGES = 20  # pages of a station's worklist shared until the floor changes; later ones are read


def kept_station_worklist(department_id, page_number=1):
    """Today's ``station_worklist`` as the station's physicians open it: shared until anything on the floor
    changes (core/change_marks: a result, a check-in, the catalog) or for 2 s at most. A page past
    KEPT_WORKLIST_PAGES is read on every call."""
    day = clock.today()
    if page_number > KEPT_WORKLIST_PAGES:
        return station_worklist(department_id, day, page_number)
    return change_marks.kept_until_change(
        f"exam.worklist.{department_id}.{day.isoformat()}.{page_number}",
        lambda: station_worklist(department_id, day, page_number),
    )


def station_overview(day=None):
    """[(Department, clients waiting)] for every station, in two queries; a count over the whole day kept
    for ``FLOOR_LOADS_MAX_AGE_SECONDS`` per process as the floor's loads are (core/headline_figures)."""
    day = day or clock.today()
    return headline(
        f"exam.station_overview.{day.isoformat()}",
        lambda: _station_overview(day),
        max_age_key="FLOOR_LOADS_MAX_AGE_SECONDS",
        default_max_age=FLOOR_LOADS_MAX_AGE_SECONDS,
    )


def _station_overview(day):
    total = fn.COUNT(AppointmentItem.id)
    done = fn.COUNT(Result.id)
    pending = (
        Appointment.select(Appointment.id, ExamItem.department.alias("department_id"))
        .join(AppointmentItem, on=(AppointmentItem.appointment == Appointment.id))
        .join(ExamItem, on=(AppointmentItem.item == ExamItem.id))
        .join(
            Result,
            JOIN.LEFT_OUTER,
            on=((Result.appointment == AppointmentItem.appointment) & (Result.item == AppointmentItem.item)),
        )
        .where(Appointment.status == CHECKED_IN, Appointment.day == day)
        .group_by(Appointment.id, ExamItem.department)
        .having(total > done)
    )
    # counted per station by the database: a busy day has thousands of (client, station) pairs pending
    counted = pending.select_from(pending.c.department_id, fn.COUNT(SQL("*"))).group_by(pending.c.department_id)
    waiting = dict(counted.tuples())
    departments = Department.select().order_by(Department.sort_order, Department.code)
    return [(d, waiting.get(d.id, 0)) for d in departments]


# --- critical alerts ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlertItem:
    name_en: str
    name_zh: str


@dataclass(frozen=True, slots=True)
class AlertResult:
    value_text: str
    unit: str
    flag: str
    item: AlertItem


@dataclass(frozen=True, slots=True)
class AlertClient:
    name: str


@dataclass(frozen=True, slots=True)
class AlertAppointment:
    id: int
    exam_code: str
    day: datetime.date
    client: AlertClient


@dataclass(frozen=True, slots=True)
class OpenAlert:
    """An open alert as the home pages list it: only what they show, as plain values."""

    id: int
    created_at: datetime.datetime
    result: AlertResult
    appointment: AlertAppointment


def _open_alerts_query(limit):
    return (
        CriticalAlert.select(
            CriticalAlert.id,
            CriticalAlert.created_at,
            Result.value_text,
            Result.unit,
            Result.flag,
            ExamItem.name_en,
            ExamItem.name_zh,
            Appointment.id,
            Appointment.exam_code,
            Appointment.day,
            Client.name,
        )
        .join(Result, on=(CriticalAlert.result == Result.id))
        .join(ExamItem, on=(Result.item == ExamItem.id))
        .switch(CriticalAlert)
        .join(Appointment, on=(CriticalAlert.appointment == Appointment.id))
        .join(Client, on=(Appointment.client == Client.id))
        .where(CriticalAlert.acknowledged_at.is_null())
        .order_by(CriticalAlert.created_at, CriticalAlert.id)
        .limit(limit)
        .tuples()
    )


# the physicians' and the counselors' home pages read it on every visit
_OPEN_ALERTS = PreparedSelect(_open_alerts_query, "checkup_open_alerts")


def open_alerts(limit=200):
    """Unacknowledged critical alerts, oldest first, with result, item, appointment and client (one query,
    only the columns the alert list shows)."""
    return [
        OpenAlert(
            alert_id,
            created_at,
            AlertResult(value_text, unit, flag, AlertItem(name_en, name_zh)),
            AlertAppointment(appointment_id, exam_code, day, AlertClient(client_name)),
        )
        for (
            alert_id,
            created_at,
            value_text,
            unit,
            flag,
            name_en,
            name_zh,
            appointment_id,
            exam_code,
            day,
            client_name,
        ) in _OPEN_ALERTS.rows(limit)
    ]


def get_alert(alert_id):
    alert = CriticalAlert.get_or_none(CriticalAlert.id == alert_id) if isinstance(alert_id, int) else None
    if alert is None:
        raise NotFound(_l("No such alert."))
    return alert


def acknowledge_alert(actor, alert_id, note=""):
    """Record who acknowledged a critical alert, when, and their note (audited ``results.alert_acknowledged``).

    Raises NotFound for an unknown alert, ValidationError for a note that is too long, and
    Conflict when someone else acknowledged it first.
    """
    alert = get_alert(alert_id)
    note = " ".join(str(note or "").split())
    if len(note) > MAX_NOTE_LENGTH:
        message = _l("Use at most %(max)d characters.", max=MAX_NOTE_LENGTH)
        raise ValidationError(message, {"note": message})
    with db.atomic():
        taken = (
            CriticalAlert.update(acknowledged_by=actor.user_id, acknowledged_at=utcnow(), note=note)
            .where(CriticalAlert.id == alert.id, CriticalAlert.acknowledged_at.is_null())
            .execute()
        )
        if not taken:
            by = User.get_or_none(User.id == alert.acknowledged_by_id) if alert.acknowledged_by_id else None
            who = by.name if by else _l("someone else")
            raise Conflict(_l("This alert was already acknowledged by %(who)s.", who=who))
        audit.record(
            actor,
            "results.alert_acknowledged",
            alert,
            appointment=alert.appointment_id,
            result=alert.result_id,
            note=note,
        )
    return CriticalAlert.get_by_id(alert.id)
