"""Follow-ups: who may see which one, their labels and the on-time figures (the worklist is in
followup_worklist.py, one follow-up's page in followup_detail.py).

Visibility (the one rule every follow-up and referral read goes through):
a counselor sees the follow-ups assigned to them and the unassigned pool; a department head
(``StaffDepartment.is_head``) also sees every follow-up of their departments; the admin sees all.
Anything else answers NotFound, exactly like a follow-up that does not exist.
Every view of a client's findings writes the audit event "followup.viewed".
"""

import datetime
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from peewee import Case, fn

from checkup.core import clock
from checkup.core.arguments import valid_id
from checkup.core.errors import NotFound
from checkup.core.headline_figures import headline
from checkup.core.prepared import PreparedSelect
from checkup.models import (
    Client,
    Department,
    FollowUp,
)
from checkup.models.accounts import ADMIN, COUNSELOR
from checkup.models.results import CLOSED, FOLLOW_UP_OUTCOMES, OPEN
from checkup.services.care import followup_assignment

LEVELS = ("A", "B", "C")
STATUSES = (OPEN, CLOSED, "all")
DUE_FILTERS = ("overdue", "today", "week")

LABELS = {
    "level": {"A": _l("A · urgent"), "B": _l("B · soon"), "C": _l("C · routine")},
    "status": {OPEN: _l("Open"), CLOSED: _l("Closed"), "all": _l("All")},
    "due": {"overdue": _l("Overdue"), "today": _l("Due today"), "week": _l("Due this week")},
    "outcome_code": {
        "advice_given": _l("Advice given"),
        "recheck_booked": _l("Re-check booked"),
        "referred": _l("Referred"),
        "declined": _l("Client declined"),
        "unreachable": _l("Unreachable"),
        "recheck_normal": _l("Re-check normal"),
        "resolved": _l("Resolved"),
    },
    "channel": {
        "phone": _l("Phone"),
        "sms": _l("SMS"),
        "email": _l("Email"),
        "visit": _l("Visit"),
        "online": _l("Online"),
    },
    "contact_outcome": {
        "reached": _l("Reached"),
        "no_answer": _l("No answer"),
        "wrong_number": _l("Wrong number"),
        "refused": _l("Refused"),
    },
    "kind": {"finding": _l("Findings"), "service": _l("Service recovery")},
    "referral_status": {
        "proposed": _l("Proposed"),
        "accepted": _l("Accepted"),
        "scheduled": _l("Scheduled"),
        "completed": _l("Completed"),
        "declined": _l("Declined"),
    },
    "target_kind": {"internal": _l("Our specialist department"), "external": _l("External hospital")},
}
assert set(LABELS["outcome_code"]) == set(FOLLOW_UP_OUTCOMES)


def label(kind, code):
    return LABELS.get(kind, {}).get(code, code)


# --- who sees what -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    user_id: int | None = None
    is_admin: bool = False
    is_counselor: bool = False
    head_of: tuple = ()


def viewer_for(actor):
    """The acting user's view of the follow-ups (one query for their head departments)."""
    user = actor.user
    if user is None:
        return Viewer()
    is_admin = user.has_role(ADMIN)
    is_counselor = user.has_role(COUNSELOR)
    heads = tuple(followup_assignment.head_department_ids(user.id)) if is_counselor else ()
    return Viewer(user.id, is_admin, is_counselor, heads)


def viewer_and_catalogs(actor):
    """(``viewer_for(actor)``, ``followup_assignment.care_catalogs()``) in one statement: the pages that
    need both (the worklist, a follow-up's page) read the actor's head departments with the catalogs."""
    user = actor.user
    if user is None:
        return Viewer(), followup_assignment.care_catalogs()
    is_admin = user.has_role(ADMIN)
    is_counselor = user.has_role(COUNSELOR)
    catalogs, heads = followup_assignment.care_catalogs_and_heads(user.id)
    return Viewer(user.id, is_admin, is_counselor, tuple(heads) if is_counselor else ()), catalogs


def visible_condition(viewer, model=FollowUp):
    """A WHERE condition on ``model`` (FollowUp or an alias) selecting what ``viewer`` may see."""
    if viewer.is_admin:
        return model.id.is_null(False)
    if not viewer.is_counselor:
        return model.id.is_null(True) & model.id.is_null(False)  # nothing
    condition = (model.assignee == viewer.user_id) | model.assignee.is_null()
    if viewer.head_of:
        condition = condition | model.department.in_(list(viewer.head_of))
    return condition


def not_found():
    return NotFound(_l("We could not find that follow-up."))


def get_visible(viewer, follow_up_id):
    """The follow-up with its client, or NotFound when missing or not ``viewer``'s to see."""
    if not valid_id(follow_up_id):
        raise not_found()
    # by its key, then ``can_see`` (the same rule as ``visible_condition``): one statement for every viewer
    follow_up = next(iter(_VISIBLE_FOLLOW_UP.rows(follow_up_id)), None)
    if follow_up is None or not can_see(viewer, follow_up):
        raise not_found()
    return follow_up


def _follow_up_query(follow_up_id):
    return FollowUp.select(FollowUp, Client).join(Client).where(FollowUp.id == follow_up_id)


_VISIBLE_FOLLOW_UP = PreparedSelect(_follow_up_query, "checkup_followup_with_client")


def can_see(viewer, follow_up):
    if viewer.is_admin:
        return True
    if not viewer.is_counselor:
        return False
    return (follow_up.assignee_id in (None, viewer.user_id)) or (follow_up.department_id in viewer.head_of)


def label_texts(kind):
    """``label(kind, code)`` for every code of ``kind``, translated now: a page translates each label once."""
    return {code: str(text) for code, text in LABELS.get(kind, {}).items()}


def utc(moment):
    """An aware datetime as the naive UTC the database stores."""
    return moment.astimezone(datetime.UTC).replace(tzinfo=None)


def overdue_condition(now_utc, model=FollowUp):
    return (model.status == OPEN) & (model.due_at < now_utc)


# --- the department head's view ----------------------------------------------------------------------


def _department_query(department_id):
    return Department.select(Department.id, Department.name_en, Department.name_zh).where(
        Department.id == department_id
    )


_DEPARTMENT = PreparedSelect(_department_query, "checkup_care_department")


def department_for_viewer(actor, department_id, viewer=None):
    """The department (``DepartmentName``: id, name_en, name_zh) if ``actor`` heads it (or is the admin);
    NotFound otherwise, like a missing one. ``viewer``: ``viewer_for(actor)`` when the caller has it already."""
    viewer = viewer or viewer_for(actor)
    rows = _DEPARTMENT.plain(department_id) if valid_id(department_id) else []
    department = followup_assignment.DepartmentName(*rows[0]) if rows else None
    if department is None or not (viewer.is_admin or department.id in viewer.head_of):
        raise NotFound(_l("We could not find that department."))
    return department


def department_sla(department_id):
    """``sla(department_id)`` as the department page's headline: counted at most once per
    HEADLINE_MAX_AGE_SECONDS (core/headline_figures; it folds every follow-up the department ever had)."""
    return headline(f"care.followup_sla.{department_id}", lambda: sla(department_id))


def sla(department_id=None):
    """Per level: closed, closed on time (by the due time), on-time %, open, open overdue. One query."""
    now_utc = utc(clock.now())
    closed = FollowUp.status == CLOSED
    on_time = closed & (FollowUp.closed_at <= FollowUp.due_at)
    query = FollowUp.select(
        FollowUp.level,
        fn.SUM(Case(None, [(closed, 1)], 0)).alias("closed"),
        fn.SUM(Case(None, [(on_time, 1)], 0)).alias("on_time"),
        fn.SUM(Case(None, [(FollowUp.status == OPEN, 1)], 0)).alias("open"),
        fn.SUM(Case(None, [(overdue_condition(now_utc), 1)], 0)).alias("overdue"),
    ).group_by(FollowUp.level)
    if department_id is not None:
        query = query.where(FollowUp.department == department_id)
    found = {row["level"]: row for row in query.dicts()}
    rows = []
    for level in LEVELS:
        row = found.get(level, {})
        numbers = {key: int(row.get(key) or 0) for key in ("closed", "on_time", "open", "overdue")}
        numbers["level"] = level
        numbers["on_time_pct"] = round(100 * numbers["on_time"] / numbers["closed"]) if numbers["closed"] else None
        rows.append(numbers)
    return rows
