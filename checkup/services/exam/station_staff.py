"""Which stations a physician works at: their department memberships (``StaffDepartment``, the same rows
the care team's departments use). A physician with memberships works at those stations only; one with
none recorded works at every station (a center that has not divided its physicians among the stations).
Writing and signing a station's conclusions and resolving its conflicts need it.

The admin assigns physicians here (catalog → physicians at stations). A physician who is a counselor too
is left to the follow-up assignment page: their rows are their care departments as well, and this page
never adds or removes a counselor's row."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from peewee import JOIN, IntegrityError, fn

from checkup.core import audit
from checkup.core.arguments import valid_id
from checkup.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from checkup.core.prepared import PreparedSelect
from checkup.models import Department, ExamItem, StaffDepartment, User, UserRole
from checkup.models.accounts import CHIEF, COUNSELOR, PHYSICIAN
from checkup.models.base import db


class NotThisStation(PermissionDenied):
    def __init__(self, department):
        super().__init__(
            _l(
                "You do not work at %(station)s: only its own physicians write and sign here.",
                station=department.name_zh or department.name_en or department.code,
            )
        )


def _stations_of_query(user_id):
    return StaffDepartment.select(StaffDepartment.department).where(StaffDepartment.user == user_id)


# read on every station page: built once per process (core.prepared)
_STATIONS_OF = PreparedSelect(_stations_of_query, "checkup_station_staff_stations_of")


def works_at(user, department_id):
    """True when ``user`` is a member of the station, or is a member of no station at all (one query)."""
    if user is None:
        return False
    stations = {department_id for (department_id,) in _STATIONS_OF.plain(user.id)}
    return not stations or department_id in stations


def require(actor, department):
    """Raise NotThisStation (403, the reason said) unless the acting physician works at ``department``."""
    if not works_at(actor.user, department.id):
        raise NotThisStation(department)


# --- the admin's page: physicians and their stations ---------------------------------------------------


@dataclass
class PhysicianStations:
    """One physician as the admin's page lists them. No station recorded: they work at every station."""

    physician: User
    is_chief: bool = False
    is_counselor: bool = False  # their rows are care departments too: managed on the follow-up assignment page
    stations: list[Department] = field(default_factory=list)

    @property
    def everywhere(self):
        return not self.stations


@dataclass(frozen=True)
class StationChange:
    """What an assignment or a removal did. ``changed`` False: it was so already (nothing written or audited);
    ``everywhere``: the physician has no station recorded now, so works at every station."""

    physician: User
    station: Department
    changed: bool
    everywhere: bool
    was_everywhere: bool = False  # an assignment that ended "every station": their first station


def _active_items():
    return ExamItem.select().where(ExamItem.active == True)  # noqa: E712


def _stations_query():
    used_as_department = _active_items().select(ExamItem.department)
    used_as_station = _active_items().select(ExamItem.station).where(ExamItem.station.is_null(False))
    return (
        Department.select()
        .where(Department.id.in_(used_as_department) | Department.id.in_(used_as_station))
        .order_by(Department.sort_order, Department.code)
    )


# the station staff page reads both on every view: SQL built once per process, prepared on PostgreSQL
_STATIONS = PreparedSelect(_stations_query, "checkup_station_staff_stations", samples=())


def stations():
    """The stations a physician can be assigned to, in the floor's order (one query): the departments an
    active item is done or written up at (its department, or the room it sends the client to)."""
    return _STATIONS.rows()


def _station_clients_go_to(department_id):
    """The station with this id when an active item is done or written up there, else None (one query)."""
    if not valid_id(department_id):
        return None
    used = (
        _active_items()
        .select(ExamItem.id)
        .where((ExamItem.department == department_id) | (ExamItem.station == department_id))
    )
    return Department.select().where(Department.id == department_id, fn.EXISTS(used)).first()


def _role_holders(role):
    return UserRole.select(UserRole.user).where(UserRole.role == role)


def _physician(user_id, active_only=True):
    """The physician's account with their counselor flag (``is_counselor``), or None (one query)."""
    if not valid_id(user_id):
        return None
    query = User.select(User, User.id.in_(_role_holders(COUNSELOR)).alias("is_counselor")).where(
        User.id == user_id, User.id.in_(_role_holders(PHYSICIAN))
    )
    if active_only:
        query = query.where(User.is_active == True)  # noqa: E712
    return query.first()


def _physicians_with_stations_query():
    physician, chief, counselor = UserRole.alias(), UserRole.alias(), UserRole.alias()
    return (
        User.select(
            User.id,
            User.name,
            User.email,
            chief.id,
            counselor.id,
            Department.id,
            Department.code,
            Department.name_en,
            Department.name_zh,
            Department.sort_order,
        )
        .join(physician, on=((physician.user == User.id) & (physician.role == PHYSICIAN)))
        .join_from(User, chief, JOIN.LEFT_OUTER, on=((chief.user == User.id) & (chief.role == CHIEF)))
        .join_from(User, counselor, JOIN.LEFT_OUTER, on=((counselor.user == User.id) & (counselor.role == COUNSELOR)))
        .join_from(User, StaffDepartment, JOIN.LEFT_OUTER, on=(StaffDepartment.user == User.id))
        .join_from(StaffDepartment, Department, JOIN.LEFT_OUTER, on=(StaffDepartment.department == Department.id))
        .where(User.is_active == True)  # noqa: E712
        .order_by(User.name, User.id, Department.sort_order, Department.code)
    )


_PHYSICIANS_WITH_STATIONS = PreparedSelect(
    _physicians_with_stations_query, "checkup_station_staff_physicians", samples=()
)


def physicians_with_stations():
    """Every active physician (chief physicians who are physicians too included), by name, with the stations
    they work at in the floor's order — one query whatever the number of physicians."""
    rows = _PHYSICIANS_WITH_STATIONS.plain()
    listed = {}
    for user_id, name, email, chief_role, counselor_role, *station in rows:
        entry = listed.get(user_id)
        if entry is None:
            entry = listed[user_id] = PhysicianStations(
                User(id=user_id, name=name, email=email),
                is_chief=chief_role is not None,
                is_counselor=counselor_role is not None,
            )
        if station[0] is not None:
            department_id, code, name_en, name_zh, sort_order = station
            entry.stations.append(
                Department(id=department_id, code=code, name_en=name_en, name_zh=name_zh, sort_order=sort_order)
            )
    return list(listed.values())


def _counselor_refusal(user):
    return _l(
        "%(name)s is a counselor too: their stations are their care departments as well. "
        "Change them on the follow-up assignment page.",
        name=user.name,
    )


def assign(actor, physician_id, station_id):
    """Have the physician work at the station (and so at the stations recorded for them only). Idempotent:
    an assignment that exists already changes nothing. Audited ``station_staff.assigned`` (ids only).

    Raises ValidationError keyed ``physician`` (not an active physician, or a counselor too) or ``station``
    (not a station clients go to); nothing is written then."""
    errors = {}
    user = _physician(physician_id)
    if user is None:
        errors["physician"] = _l("Choose an active physician from the list.")
    elif user.is_counselor:
        errors["physician"] = _counselor_refusal(user)
    station = _station_clients_go_to(station_id)
    if station is None:
        errors["station"] = _l("Choose a station from the list.")
    if errors:
        raise ValidationError(next(iter(errors.values())), errors)
    with db.atomic():
        recorded = {
            department_id
            for (department_id,) in StaffDepartment.select(StaffDepartment.department)
            .where(StaffDepartment.user == user.id)
            .tuples()
        }
        if station.id in recorded:
            return StationChange(user, station, changed=False, everywhere=False)
        try:
            with db.atomic():
                row = StaffDepartment.create(user=user.id, department=station.id)
        except IntegrityError:  # assigned by a concurrent request a moment ago
            return StationChange(user, station, changed=False, everywhere=False)
        audit.record(actor, "station_staff.assigned", row, physician=user.id, station=station.id)
    return StationChange(user, station, changed=True, everywhere=False, was_everywhere=not recorded)


def remove(actor, physician_id, station_id):
    """The physician no longer works at the station. Removing their last station means they work at every
    station again (``everywhere``). Idempotent: a station they were not at changes nothing. Audited
    ``station_staff.removed`` (ids only).

    Raises NotFound (no such physician or station) and Conflict (a counselor too: their rows are care
    departments as well, left to the follow-up assignment page)."""
    user = _physician(physician_id, active_only=False)
    if user is None:
        raise NotFound(_l("No such physician."))
    station = Department.get_or_none(Department.id == station_id) if valid_id(station_id) else None
    if station is None:
        raise NotFound(_l("No such station."))
    if user.is_counselor:
        raise Conflict(_counselor_refusal(user))
    with db.atomic():
        row = StaffDepartment.get_or_none(StaffDepartment.user == user.id, StaffDepartment.department == station.id)
        if row is not None:
            row.delete_instance()
            audit.record(actor, "station_staff.removed", row, physician=user.id, station=station.id)
        everywhere = not StaffDepartment.select().where(StaffDepartment.user == user.id).exists()
    return StationChange(user, station, changed=row is not None, everywhere=everywhere)
