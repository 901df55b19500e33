"""Who works a follow-up: the admin's assignment rule, counselors' departments and the settings behind them.

Signing a report opens follow-ups; ``place_new`` runs for each (the exam domain's ``follow_up_opened`` event): the follow-up gets the department of
its findings (the most frequent among their items) and an assignee by the rule in Setting
``followup.assignment``:

- ``round_robin`` (default): among all active counselors, the one with the fewest open follow-ups;
  ties go to the counselor next after the last one assigned (by id, wrapping), so equal loads rotate.
- ``department``: the same choice among the active counselors of the follow-up's department; with
  none there (or no department) it falls back to round robin.

With no active counselor at all the follow-up stays in the unassigned pool.
"""

from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from peewee import SQL, IntegrityError, fn

from checkup.core import audit
from checkup.core.arguments import valid_id
from checkup.core.audit import SYSTEM
from checkup.core.errors import NotFound, ValidationError
from checkup.core.prepared import PreparedSelect
from checkup.models import Department, ExamItem, FollowUp, Setting, StaffDepartment, User, UserRole
from checkup.models.accounts import COUNSELOR
from checkup.models.base import db
from checkup.services.exam import events

ASSIGNMENT_KEY = "followup.assignment"
UNREACHABLE_KEY = "followup.unreachable_after"
LAST_ASSIGNEE_KEY = "followup.last_assignee"
ROUND_ROBIN, BY_DEPARTMENT = "round_robin", "department"
ASSIGNMENT_MODES = (ROUND_ROBIN, BY_DEPARTMENT)
DEFAULT_UNREACHABLE_AFTER = 3
MAX_UNREACHABLE_AFTER = 20

MODE_LABELS = {
    ROUND_ROBIN: _l("Round robin among all counselors"),
    BY_DEPARTMENT: _l("By department (counselors of the findings' department)"),
}


# --- settings ----------------------------------------------------------------------------------------


def _setting_query(key):
    return Setting.select(Setting.value).where(Setting.key == key)


_SETTING = PreparedSelect(_setting_query, "checkup_care_setting")


def get_setting(key, default=""):
    rows = _SETTING.rows(key)  # the key is unique: one row or none
    return rows[0].value if rows else default


def _put_setting(key, value):
    if Setting.update(value=value).where(Setting.key == key).execute():
        return
    try:
        with db.atomic():
            Setting.create(key=key, value=value)
    except IntegrityError:  # created by a concurrent request a moment ago
        Setting.update(value=value).where(Setting.key == key).execute()


def assignment_mode():
    mode = get_setting(ASSIGNMENT_KEY, ROUND_ROBIN)
    return mode if mode in ASSIGNMENT_MODES else ROUND_ROBIN


def unreachable_after():
    """How many contact attempts a follow-up needs before it may close as "unreachable"."""
    return unreachable_after_of(get_setting(UNREACHABLE_KEY, ""))


def unreachable_after_of(value):
    """``unreachable_after`` from the setting's stored value (None or "": not set)."""
    value = value or ""
    return int(value) if value.isdigit() and 1 <= int(value) <= MAX_UNREACHABLE_AFTER else DEFAULT_UNREACHABLE_AFTER


def unreachable_after_column():
    """The stored "unreachable" setting as a subquery (NULL when not set), for a read that wants it in its
    own statement (``unreachable_after_of`` reads it)."""
    return _setting_query(UNREACHABLE_KEY)


def save_settings(actor, mode, attempts):
    """Change the assignment rule and the attempts needed for "unreachable"; audited. Raises ValidationError."""
    errors = {}
    if mode not in ASSIGNMENT_MODES:
        errors["mode"] = _l("Choose one of the assignment rules.")
    if not isinstance(attempts, int) or isinstance(attempts, bool) or not 1 <= attempts <= MAX_UNREACHABLE_AFTER:
        errors["unreachable_after"] = _l("Enter a whole number from 1 to %(max)s.", max=MAX_UNREACHABLE_AFTER)
    if errors:
        raise ValidationError(next(iter(errors.values())), errors)
    before = [assignment_mode(), unreachable_after()]
    with db.atomic():
        _put_setting(ASSIGNMENT_KEY, mode)
        _put_setting(UNREACHABLE_KEY, str(attempts))
        audit.record(actor, "care.assignment_changed", None, before=before, after=[mode, attempts])


# --- counselors and their departments ----------------------------------------------------------------


class Counselor(NamedTuple):
    id: int
    name: str
    email: str


def _counselors_query():
    return (
        User.select(User.id, User.name, User.email)
        .join(UserRole)
        .where(UserRole.role == COUNSELOR, User.is_active == True)
        .order_by(User.name, User.id)
    )


# read by every worklist and follow-up page (filters, assignment): built once per process, prepared on PostgreSQL
_COUNSELORS = PreparedSelect(_counselors_query, "checkup_care_counselors", samples=())


def counselors():
    """Active accounts holding the counselor role (``Counselor``: id, name, email), by name."""
    return [Counselor(*row) for row in _COUNSELORS.plain()]


def is_counselor(user_id):
    return valid_id(user_id) and (
        User.select()
        .join(UserRole)
        .where(User.id == user_id, UserRole.role == COUNSELOR, User.is_active == True)
        .exists()
    )


class MemberUser(NamedTuple):
    id: int
    name: str


class MemberDepartment(NamedTuple):
    id: int
    name_en: str
    name_zh: str


class MembershipRow(NamedTuple):
    """One counselor's department as the admin's screen lists it."""

    id: int
    is_head: bool
    user: MemberUser
    department: MemberDepartment


def _staff_departments_query():
    counselor = UserRole.select(UserRole.user).where(UserRole.role == COUNSELOR)
    return (
        StaffDepartment.select(
            StaffDepartment.id,
            StaffDepartment.is_head,
            User.id,
            User.name,
            Department.id,
            Department.name_en,
            Department.name_zh,
        )
        .join(User)
        .join_from(StaffDepartment, Department)
        .where(StaffDepartment.user.in_(counselor))
        .order_by(User.name, Department.sort_order, Department.code)
    )


_STAFF_DEPARTMENTS = PreparedSelect(_staff_departments_query, "checkup_care_staff_departments", samples=())


def staff_departments():
    """Every counselor's department row (``MembershipRow``: its user and department), for the admin's screen
    (the same table holds the stations physicians work at: those are the station staff page's, not listed
    here). One prepared query of plain rows."""
    return [
        MembershipRow(row[0], row[1], MemberUser(row[2], row[3]), MemberDepartment(*row[4:7]))
        for row in _STAFF_DEPARTMENTS.plain()
    ]


class DepartmentName(NamedTuple):
    """A department as lists and choices show it (``localized`` reads its names)."""

    id: int
    name_en: str
    name_zh: str


def _department_names_query():
    return Department.select(Department.id, Department.name_en, Department.name_zh).order_by(
        Department.sort_order, Department.code
    )


# every worklist and follow-up page lists them (filters, referral form): built once, prepared on PostgreSQL
_DEPARTMENT_NAMES = PreparedSelect(_department_names_query, "checkup_care_department_names", samples=())


def departments():
    """Every department (``DepartmentName``: id, name_en, name_zh) in the departments' order."""
    return [DepartmentName(*row) for row in _DEPARTMENT_NAMES.plain()]


def department_names():
    """(id, name_en, name_zh) of every department, in the departments' order (a form's choices: plain rows)."""
    return [tuple(row) for row in _DEPARTMENT_NAMES.plain()]


class CareCatalogs(NamedTuple):
    """What a follow-up page offers to choose from: every department and every active counselor."""

    departments: list[DepartmentName]
    counselors: list[Counselor]


def _care_catalogs_query():
    return _catalog_lists().order_by(SQL("1"), SQL("5"), SQL("6"), SQL("2"))


def _catalog_lists():
    # one UNION ALL of both lists, each row tagged with its list (0: a department, 1: a counselor) and its
    # order within it (departments by sort order and code, counselors by name and id)
    departments = Department.select(
        SQL("0"), Department.id, Department.name_en, Department.name_zh, Department.sort_order, Department.code
    )
    # the role and the flag written into the SQL (as ``counselors`` asks them): with parameters instead,
    # the statement's generic plan could not tell how few accounts are counselors and read every user
    counselors = (
        User.select(SQL("1"), User.id, User.name, User.email, SQL("0"), User.name)
        .join(UserRole)
        .where(UserRole.role == SQL(f"'{COUNSELOR}'"), User.is_active == SQL("TRUE"))
    )
    return departments.union_all(counselors)


# the worklist and a follow-up's page list both: one statement instead of two, prepared on PostgreSQL
_CARE_CATALOGS = PreparedSelect(_care_catalogs_query, "checkup_care_catalogs", samples=())


def _catalog_rows(rows):
    """``CareCatalogs`` of ``_CARE_CATALOGS``' rows, and the department ids of any head rows (kind 2)."""
    departments, counselors, heads = [], [], []
    for kind, id_, first, second, _order, _name in rows:
        if kind == 0:
            departments.append(DepartmentName(id_, first, second))
        elif kind == 1:
            counselors.append(Counselor(id_, first, second))
        else:
            heads.append(id_)
    return CareCatalogs(departments, counselors), heads


def care_catalogs():
    """Every department (as ``departments``) and every active counselor (as ``counselors``), in one query."""
    return _catalog_rows(_CARE_CATALOGS.plain())[0]


def _catalogs_and_heads_query(user_id):
    """``_care_catalogs_query`` and, tagged 2, the departments ``user_id`` heads (``_head_departments_query``)."""
    heads = StaffDepartment.select(
        SQL("2"), StaffDepartment.department, SQL("NULL"), SQL("NULL"), SQL("0"), SQL("NULL")
    ).where(StaffDepartment.user == user_id, StaffDepartment.is_head == SQL("TRUE"))
    return _catalog_lists().union_all(heads).order_by(SQL("1"), SQL("5"), SQL("6"), SQL("2"))


# the worklist and a follow-up's page ask both (who sees what, what to choose from): one statement
_CATALOGS_AND_HEADS = PreparedSelect(
    _catalogs_and_heads_query, "checkup_care_catalogs_and_heads", samples=(-2_000_000_001,)
)


def care_catalogs_and_heads(user_id):
    """(``care_catalogs()``, ``head_department_ids(user_id)``) in one statement."""
    return _catalog_rows(_CATALOGS_AND_HEADS.plain(user_id))


def set_department(actor, user_id, department_id, is_head):
    """Put a counselor into a department (or change their head flag there); audited."""
    errors = {}
    if not is_counselor(user_id):
        errors["user"] = _l("Choose an active counselor.")
    if not valid_id(department_id) or Department.get_or_none(Department.id == department_id) is None:
        errors["department"] = _l("Choose a department from the list.")
    if errors:
        raise ValidationError(next(iter(errors.values())), errors)
    with db.atomic():
        changed = (
            StaffDepartment.update(is_head=bool(is_head))
            .where(StaffDepartment.user == user_id, StaffDepartment.department == department_id)
            .execute()
        )
        if not changed:
            try:
                with db.atomic():
                    StaffDepartment.create(user=user_id, department=department_id, is_head=bool(is_head))
            except IntegrityError:
                (
                    StaffDepartment.update(is_head=bool(is_head))
                    .where(StaffDepartment.user == user_id, StaffDepartment.department == department_id)
                    .execute()
                )
        audit.record(
            actor, "care.staff_department_set", None, user=user_id, department=department_id, head=bool(is_head)
        )


def remove_department(actor, membership_id):
    with db.atomic():
        row = StaffDepartment.get_or_none(StaffDepartment.id == membership_id) if valid_id(membership_id) else None
        if row is None:
            raise NotFound(_l("No such department membership."))
        row.delete_instance()
        audit.record(actor, "care.staff_department_removed", None, user=row.user_id, department=row.department_id)


def _head_departments_query(user_id):
    return StaffDepartment.select(StaffDepartment.department).where(
        StaffDepartment.user == user_id, StaffDepartment.is_head == True
    )


# every care page asks it (who sees what): built once per process, prepared on PostgreSQL
_HEAD_DEPARTMENTS = PreparedSelect(_head_departments_query, "checkup_care_head_departments", samples=(-2_000_000_001,))


def head_department_ids(user_id):
    return [row.department_id for row in _HEAD_DEPARTMENTS.rows(user_id)]


# --- placing a new follow-up -------------------------------------------------------------------------


def department_for(item_ids):
    """The department most of the items belong to (ties: the department listed first); None without items."""
    item_ids = [i for i in item_ids or () if i]
    if not item_ids:
        return None
    counts = {}
    for item in ExamItem.select(ExamItem.id, ExamItem.department).where(ExamItem.id.in_(sorted(set(item_ids)))):
        counts[item.department_id] = counts.get(item.department_id, 0) + item_ids.count(item.id)
    if not counts:
        return None
    order = {d.id: (d.sort_order, d.code) for d in Department.select().where(Department.id.in_(list(counts)))}
    return min(counts, key=lambda d: (-counts[d], order.get(d, (0, "")), d))


def choose_assignee(department_id=None):
    """The counselor the rule gives a new follow-up of ``department_id``; None when there is none."""
    candidates = [u.id for u in counselors()]
    if assignment_mode() == BY_DEPARTMENT and department_id:
        members = {
            row.user_id
            for row in StaffDepartment.select(StaffDepartment.user).where(StaffDepartment.department == department_id)
        }
        in_department = [u for u in candidates if u in members]
        candidates = in_department or candidates
    if not candidates:
        return None
    open_counts = dict(
        FollowUp.select(FollowUp.assignee, fn.COUNT(FollowUp.id))
        .where(FollowUp.status == "open", FollowUp.assignee.in_(candidates))
        .group_by(FollowUp.assignee)
        .tuples()
    )
    last = get_setting(LAST_ASSIGNEE_KEY, "")
    last = int(last) if last.isdigit() else 0
    ordered = sorted(candidates)
    rotation = {user_id: (user_id <= last, user_id) for user_id in ordered}  # next after the last one first
    return min(ordered, key=lambda u: (open_counts.get(u, 0), rotation[u]))


def place_new(follow_up_id, item_ids=(), actor=SYSTEM):
    """Give a just-created follow-up its department (from ``item_ids``) and an assignee by the rule.

    Call it inside the transaction that created the follow-up. Returns the assignee's id or None.
    """
    department_id = department_for(item_ids)
    assignee = choose_assignee(department_id)
    FollowUp.update(department=department_id, assignee=assignee).where(FollowUp.id == follow_up_id).execute()
    if assignee is not None:
        _put_setting(LAST_ASSIGNEE_KEY, str(assignee))
        audit.record(
            actor,
            "followup.assigned",
            FollowUp(id=follow_up_id),
            assignee=assignee,
            rule=assignment_mode(),
            automatic=True,
        )
    return assignee


@events.follow_up_opened.connect
def _place_opened(follow_up_id, item_ids=()):
    place_new(follow_up_id, item_ids)
