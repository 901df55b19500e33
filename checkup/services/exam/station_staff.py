"""Which stations a physician works at: their department memberships (``StaffDepartment``, the same rows
the care team's departments use). A physician with memberships works at those stations only; one with
none recorded works at every station (a center that has not divided its physicians among the stations).
Writing and signing a station's conclusions and resolving its conflicts need it."""

from flask_babel import lazy_gettext as _l

from checkup.core.errors import PermissionDenied
from checkup.models import StaffDepartment


class NotThisStation(PermissionDenied):
    def __init__(self, department):
        super().__init__(
            _l(
                "You do not work at %(station)s: only its own physicians write and sign here.",
                station=department.name_zh or department.name_en or department.code,
            )
        )


def works_at(user, department_id):
    """True when ``user`` is a member of the station, or is a member of no station at all (one query)."""
    if user is None:
        return False
    stations = {
        department_id
        for (department_id,) in StaffDepartment.select(StaffDepartment.department)
        .where(StaffDepartment.user == user.id)
        .tuples()
    }
    return not stations or department_id in stations


def require(actor, department):
    """Raise NotThisStation (403, the reason said) unless the acting physician works at ``department``."""
    if not works_at(actor.user, department.id):
        raise NotThisStation(department)
