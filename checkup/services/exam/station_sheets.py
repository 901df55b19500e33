"""A station's sheet: the items of one client's checkup done at one station with their results and the
client's ranges, the flag a typed value would get, and saving the sheet item by item (the rules of entry:
results.py)."""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from checkup.core import audit
from checkup.core.errors import NotFound, ValidationError
from checkup.core.i18n import localized
from checkup.core.prepared import PreparedSelect
from checkup.models import (
    Appointment,
    AppointmentItem,
    Department,
    ExamItem,
    ReferenceRange,
    Result,
)
from checkup.models.results import ABNORMAL, NORMAL
from checkup.services.access import care_access
from checkup.services.exam import derived_items
from checkup.services.exam.results import (
    DERIVED_REFUSAL,
    client_age,
    entry_refusal,
    flag_for,
    get_appointment,
    is_locked,
    range_for,
    record_result,
    skip_reason_label,
)


def preview_flag(appointment_id, item_id, raw_value, abnormal=False):
    """What the flag would be for a value typed at the station. Reads only, never writes.

    Returns (flag, range row or None, error message or None).
    """
    appointment = get_appointment(appointment_id)
    item = _station_item(appointment.id, item_id)
    if derived_items.is_derived(item.code):
        return "", None, DERIVED_REFUSAL
    if item.result_type != "numeric":
        return (ABNORMAL if abnormal else NORMAL), None, None
    if raw_value is None or not str(raw_value).strip():
        return "", None, None
    client = appointment.client
    try:
        flag, row, _number = flag_for(item, client.sex, client_age(appointment, client), raw_value)
    except ValidationError as exc:
        return "", None, exc.message
    return flag, row, None


def _station_item(appointment_id, item_id):
    item = (
        ExamItem.select()
        .join(AppointmentItem, on=(AppointmentItem.item == ExamItem.id))
        .where(AppointmentItem.appointment == appointment_id, ExamItem.id == item_id)
        .first()
    )
    if item is None:
        raise NotFound(_l("This item is not part of the client's checkup."))
    return item


def _department_query(code):
    return Department.select().where(Department.code == code).limit(1)


# every station page reads its department by code first: built once per process (core.prepared)
_DEPARTMENT = PreparedSelect(_department_query, "checkup_station_department", samples=("~sample code~",))


def get_department(code):
    found = _DEPARTMENT.rows(str(code or "")[: Department.code.max_length])
    if not found:
        raise NotFound(_l("No such station."))
    return found[0]


@dataclass
class StationRow:
    """One item of an appointment at a station: the item, its stored result and its client's range."""

    item: ExamItem
    result: Result | None = None
    range: ReferenceRange | None = None
    formula: derived_items.Formula | None = None  # a derived item: computed, never typed

    @property
    def derived(self):
        return self.formula is not None

    input_names: dict | None = None  # {item code: name} of the sheet's items, for a derived item's reason

    @property
    def skip_label(self):
        """Why the item was skipped, in the language of the moment (a derived item's reason key translated)."""
        return skip_reason_label(self.result.skip_reason, self.input_names) if self.result is not None else ""


@dataclass
class StationSheet:
    appointment: Appointment
    department: Department
    rows: list
    locked: bool
    refusal: object  # why entry is refused right now, or None
    age: int


def station_sheet(appointment_id, department_id):
    """The items of one appointment at one station with their results and ranges (four queries)."""
    appointment = get_appointment(appointment_id)
    department = Department.get_by_id(department_id)
    items = list(
        ExamItem.select()
        .join(AppointmentItem, on=(AppointmentItem.item == ExamItem.id))
        .where(AppointmentItem.appointment == appointment.id, ExamItem.department == department.id)
        .order_by(ExamItem.code)
    )
    item_ids = [i.id for i in items]
    results = {
        r.item_id: r
        for r in Result.select().where(Result.appointment == appointment.id, Result.item.in_(item_ids or [0]))
    }
    ranges = {}
    for row in ReferenceRange.select().where(ReferenceRange.item.in_(item_ids or [0])):
        ranges.setdefault(row.item_id, []).append(row)
    client = appointment.client
    age = client_age(appointment, client)
    names = {i.code: localized(i) for i in items}  # a derived item's reason names its inputs in the catalog's words
    rows = [
        StationRow(
            i,
            results.get(i.id),
            range_for(ranges.get(i.id, []), client.sex, age),
            derived_items.FORMULAS.get(i.code),
            input_names=names,
        )
        for i in items
    ]
    locked = is_locked(appointment.id)
    return StationSheet(appointment, department, rows, locked, entry_refusal(appointment, locked), age)


def station_sheet_for(actor, appointment_id, department_id):
    """The station sheet a physician opens: only for a client they care for (at the stations today, in
    their reviews, their signed reports; else NoCareRelationship: break the glass), and its view of
    results already entered is audited ("results.station_viewed")."""
    sheet = station_sheet(appointment_id, department_id)
    care_access.require(actor, sheet.appointment.client_id)
    shown = [row.result.item_id for row in sheet.rows if row.result is not None]
    if shown:
        audit.record(
            actor,
            "results.station_viewed",
            sheet.appointment,
            client=sheet.appointment.client_id,
            department=sheet.department.code,
            items=len(shown),
        )
    return sheet


@dataclass
class StationSave:
    saved: list = field(default_factory=list)  # Results written
    errors: dict = field(default_factory=dict)  # item id -> message


def save_station(actor, appointment_id, department_id, entries):
    """Save several items of one station; each item stands alone (one bad value does not block others).

    ``entries`` maps item id -> dict(value=..., abnormal=bool, skipped=bool, skip_reason=...).
    Items with nothing typed and not skipped are left alone; a value (or a skip) posted for a derived
    item is refused with DERIVED_REFUSAL on that row. Returns a StationSave.
    """
    sheet = station_sheet(appointment_id, department_id)
    by_id = {row.item.id: row.item for row in sheet.rows}
    outcome = StationSave()
    for item_id, values in entries.items():
        if item_id not in by_id:
            raise NotFound(_l("This item is not part of the client's checkup."))
        blank = not str(values.get("value") or "").strip()
        if blank and not values.get("skipped"):
            continue
        if derived_items.is_derived(by_id[item_id].code):
            outcome.errors[item_id] = DERIVED_REFUSAL
            continue
        try:
            outcome.saved.append(
                record_result(
                    actor,
                    appointment_id,
                    item_id,
                    values.get("value"),
                    abnormal=bool(values.get("abnormal")),
                    skipped=bool(values.get("skipped")),
                    skip_reason=values.get("skip_reason") or "",
                )
            )
        except ValidationError as exc:
            outcome.errors[item_id] = exc.message
    return outcome
