"""The counselors' follow-up worklist: who may see which follow-up, filters, the detail page, the SLA.

Visibility (the one rule every follow-up and referral read goes through):
a counselor sees the follow-ups assigned to them and the unassigned pool; a department head
(``StaffDepartment.is_head``) also sees every follow-up of their departments; the admin sees all.
Anything else answers NotFound, exactly like a follow-up that does not exist.
Every view of a client's findings writes the audit event "followup.viewed".
"""

import datetime
import json
from dataclasses import dataclass, field, replace

from flask_babel import lazy_gettext as _l
from peewee import JOIN, Case, fn

from checkup.core import audit, clock
from checkup.core.arguments import valid_id
from checkup.core.errors import NotFound
from checkup.core.headline_figures import headline
from checkup.core.pagination import Page, counted_page, whole_count
from checkup.core.plain_rows import plain_tuples
from checkup.core.prepared import PreparedSelect
from checkup.models import (
    Appointment,
    Client,
    ContactAttempt,
    Department,
    ExamItem,
    Finding,
    FollowUp,
    Referral,
    Report,
    Slot,
    User,
)
from checkup.models.accounts import ADMIN, COUNSELOR
from checkup.models.results import CLOSED, FOLLOW_UP_OUTCOMES, OPEN
from checkup.services.access import care_access
from checkup.services.care import followup_assignment

LEVELS = ("A", "B", "C")
STATUSES = (OPEN, CLOSED, "all")
DUE_FILTERS = ("overdue", "today", "week")
PER_PAGE = 50

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


def _not_found():
    return NotFound(_l("We could not find that follow-up."))


def get_visible(viewer, follow_up_id):
    """The follow-up with its client, or NotFound when missing or not ``viewer``'s to see."""
    if not valid_id(follow_up_id):
        raise _not_found()
    # by its key, then ``can_see`` (the same rule as ``visible_condition``): one statement for every viewer
    follow_up = next(iter(_VISIBLE_FOLLOW_UP.rows(follow_up_id)), None)
    if follow_up is None or not can_see(viewer, follow_up):
        raise _not_found()
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


# --- the worklist ------------------------------------------------------------------------------------


@dataclass
class Filters:
    level: str = ""
    status: str = OPEN
    due: str = ""
    department: int | None = None
    assignee: str = ""  # "" any | "me" | "none" | a counselor's id as text
    page: int = 1

    def cleaned(self):
        """The same filters with anything outside the allow-lists dropped."""
        return Filters(
            level=self.level if self.level in LEVELS else "",
            status=self.status if self.status in STATUSES else OPEN,
            due=self.due if self.due in DUE_FILTERS else "",
            department=self.department if valid_id(self.department) else None,
            assignee=self.assignee
            if (self.assignee in ("me", "none") or (str(self.assignee).isdigit() and valid_id(int(self.assignee))))
            else "",
            page=self.page if isinstance(self.page, int) and 0 < self.page < 10**6 else 1,
        )

    def query_args(self):
        """The filters as URL arguments (empty ones left out), for pager links and redirects."""
        args = {
            "level": self.level,
            "status": self.status if self.status != OPEN else "",
            "due": self.due,
            "department": self.department,
            "assignee": self.assignee,
        }
        return {key: value for key, value in args.items() if value}


def utc(moment):
    """An aware datetime as the naive UTC the database stores."""
    return moment.astimezone(datetime.UTC).replace(tzinfo=None)


def _day_bounds():
    now = clock.now()
    start = clock.local(now.date(), datetime.time(0, 0))
    week_end = start + datetime.timedelta(days=7 - now.weekday())
    return utc(now), utc(start), utc(start + datetime.timedelta(days=1)), utc(week_end)


def overdue_condition(now_utc, model=FollowUp):
    return (model.status == OPEN) & (model.due_at < now_utc)


def _apply(query, filters, viewer):
    now_utc, start, day_end, week_end = _day_bounds()
    if filters.level:
        query = query.where(FollowUp.level == filters.level)
    if filters.status != "all":
        query = query.where(FollowUp.status == filters.status)
    if filters.due == "overdue":
        query = query.where(overdue_condition(now_utc))
    elif filters.due in ("today", "week"):
        end = day_end if filters.due == "today" else week_end
        # what is already overdue stays on the list until it is closed
        query = query.where(FollowUp.due_at < end, (FollowUp.due_at >= start) | (FollowUp.status == OPEN))
    if filters.department:
        query = query.where(FollowUp.department == filters.department)
    if filters.assignee == "me":
        query = query.where(FollowUp.assignee == viewer.user_id)
    elif filters.assignee == "none":
        query = query.where(FollowUp.assignee.is_null())
    elif filters.assignee:
        query = query.where(FollowUp.assignee == int(filters.assignee))
    return query


@dataclass(frozen=True, slots=True)
class Named:
    """A joined row's name (its client, its assignee) without a model instance."""

    name: str


@dataclass(frozen=True, slots=True)
class DepartmentName:
    """A row's department as ``localized`` reads it."""

    id: int
    name_en: str
    name_zh: str


@dataclass(slots=True)
class WorklistRow:
    """One line of the worklist: the columns it shows, its labels translated once per page."""

    id: int
    client: Named
    level: str
    due_at: datetime.datetime
    status: str
    kind: str
    department_id: int | None
    department: DepartmentName | None
    assignee_id: int | None
    assignee_user: Named | None
    outcome_code: str | None
    attempt_count: int
    is_overdue: bool
    level_label: str
    status_label: str
    outcome_label: str


def label_texts(kind):
    """``label(kind, code)`` for every code of ``kind``, translated now: a page translates each label once."""
    return {code: str(text) for code, text in LABELS.get(kind, {}).items()}


_ASSIGNEE = User.alias("assignee_user")


def _worklist_selection():
    """The worklist's columns, in ``WorklistRow``'s order (the page's total follows them)."""
    return (
        FollowUp.id,
        Client.name,
        FollowUp.level,
        FollowUp.due_at,
        FollowUp.status,
        FollowUp.kind,
        FollowUp.department,
        Department.name_en,
        Department.name_zh,
        FollowUp.assignee,
        _ASSIGNEE.name,
        FollowUp.outcome_code,
        FollowUp.attempt_count,
    )


def _worklist_columns(query):
    """``query`` (a select of ``_worklist_selection``) joined to the client, department and assignee."""
    return (
        query.join(Client, on=(FollowUp.client == Client.id))
        .join_from(FollowUp, Department, JOIN.LEFT_OUTER, on=(FollowUp.department == Department.id))
        .join_from(FollowUp, _ASSIGNEE, JOIN.LEFT_OUTER, on=(FollowUp.assignee == _ASSIGNEE.id))
    )


def worklist(actor, filters):
    """A page of the follow-ups ``actor`` may see, overdue open ones first, then by due time.

    Each row carries its client, department and assignee (joined) and the page its total (a window count):
    one query whatever the page length, plus one for the viewer's head departments (and two more for a
    page past the end). Only the columns the list shows are read, as plain values.
    """
    filters = filters.cleaned()
    viewer = viewer_for(actor)
    now_utc = utc(clock.now())
    number = filters.page
    overdue_first = Case(None, [(overdue_condition(now_utc), 0)], 1)
    open_first = Case(None, [(FollowUp.status == OPEN, 0)], 1)
    # the page's follow-ups and the whole count, from follow_up alone (its indexes); the joins then read
    # only the page's rows instead of every follow-up of the list
    page_rows = (
        _apply(
            FollowUp.select(
                FollowUp.id,
                overdue_first.alias("overdue_first"),
                open_first.alias("open_first"),
                whole_count().alias("total"),
            ).where(visible_condition(viewer)),
            filters,
            viewer,
        )
        .order_by(overdue_first, open_first, FollowUp.due_at, FollowUp.id)
        .paginate(number, PER_PAGE)
        .alias("page_rows")
    )
    rows = plain_tuples(
        _worklist_columns(FollowUp.select(*_worklist_selection(), page_rows.c.total))
        .join_from(FollowUp, page_rows, on=(FollowUp.id == page_rows.c.id))
        .order_by(page_rows.c.overdue_first, page_rows.c.open_first, FollowUp.due_at, FollowUp.id)
    )
    if rows:
        total = rows[0][-1]
        page = Page(rows, number, max(1, -(-total // PER_PAGE)), total, PER_PAGE)
    else:  # empty, or past the end: counted and clamped
        query = _apply(
            _worklist_columns(FollowUp.select(*_worklist_selection(), whole_count())).where(visible_condition(viewer)),
            filters,
            viewer,
        ).order_by(overdue_first, open_first, FollowUp.due_at, FollowUp.id)
        page = counted_page(query, number, PER_PAGE)
    levels, statuses, outcomes = label_texts("level"), label_texts("status"), label_texts("outcome_code")
    page.items = [
        WorklistRow(
            id=row[0],
            client=Named(row[1]),
            level=row[2],
            due_at=row[3],
            status=row[4],
            kind=row[5],
            department_id=row[6],
            department=DepartmentName(row[6], row[7], row[8]) if row[6] is not None else None,
            assignee_id=row[9],
            assignee_user=Named(row[10]) if row[9] is not None and row[10] is not None else None,
            outcome_code=row[11],
            attempt_count=row[12],
            is_overdue=row[4] == OPEN and row[3] < now_utc,
            level_label=levels.get(row[2], row[2]),
            status_label=statuses.get(row[4], row[4]),
            outcome_label=outcomes.get(row[11], row[11]) if row[11] else "",
        )
        for row in page.items
    ]
    return page


def home_counts(actor):
    """Headline numbers for the counselor's home page: mine open, the pool, overdue (all visible), in one query."""
    viewer = viewer_for(actor)
    now_utc = utc(clock.now())
    is_open = FollowUp.status == OPEN
    row = (
        FollowUp.select(
            fn.SUM(Case(None, [(is_open & (FollowUp.assignee == viewer.user_id), 1)], 0)).alias("mine"),
            fn.SUM(Case(None, [(is_open & FollowUp.assignee.is_null(), 1)], 0)).alias("pool"),
            fn.SUM(Case(None, [(overdue_condition(now_utc), 1)], 0)).alias("overdue"),
        )
        .where(is_open, visible_condition(viewer))  # each figure counts open ones: the status index reads only those
        .dicts()
        .first()
    ) or {}
    counts = {key: int(row.get(key) or 0) for key in ("mine", "pool", "overdue")}
    counts["head_of"] = (
        list(
            Department.select()
            .where(Department.id.in_(list(viewer.head_of)))
            .order_by(Department.sort_order, Department.code)
        )
        if viewer.head_of
        else []
    )
    return counts


# --- one follow-up -----------------------------------------------------------------------------------


@dataclass
class FindingRow:
    text: str
    code: str = ""
    name: str = ""
    value: str = ""
    unit: str = ""
    reference: str = ""
    flag: str = ""
    item_id: int | None = None


@dataclass
class Detail:
    follow_up: FollowUp
    client: Client
    findings: list = field(default_factory=list)
    attempts: list = field(default_factory=list)
    referrals: list = field(default_factory=list)
    recheck: Appointment | None = None
    report: Report | None = None
    can_close_unreachable: bool = False
    unreachable_after: int = 0

    @property
    def finding_item_ids(self):
        return [f.item_id for f in self.findings if f.item_id]


def _reference(row):
    low, high = row.get("ref_low", ""), row.get("ref_high", "")
    return f"{low}–{high}" if low and high else f"≤ {high}" if high else f"≥ {low}" if low else ""


def finding_rows(follow_up, report=None):
    """The findings behind a follow-up (same report, same level) with values, units and ranges from the
    report's snapshot. A service-recovery follow-up has none."""
    if follow_up.kind != "finding":
        return []
    if report is None:
        report = next(iter(_REPORT.rows(follow_up.report_id)), None)
    snapshot = {}
    if report is not None and report.results_snapshot:
        snapshot = {row["code"]: row for row in json.loads(report.results_snapshot).get("rows", [])}
    rows = []
    for finding in _FINDINGS.rows(follow_up.report_id, follow_up.level):
        item = finding.item if finding.item_id else None
        snap = snapshot.get(item.code, {}) if item else {}
        rows.append(
            FindingRow(
                text=finding.text,
                code=item.code if item else "",
                name=(item.name_en + (f" {item.name_zh}" if item.name_zh else "")) if item else "",
                value=snap.get("value", ""),
                unit=snap.get("unit", ""),
                reference=_reference(snap),
                flag=snap.get("flag", ""),
                item_id=item.id if item else None,
            )
        )
    return rows


# the detail page's reads, built once per process (peewee's SQL building was most of the page's time)
def _detail_follow_up_query(follow_up_id):
    assignee = User.alias("assignee_user")
    return (
        FollowUp.select(FollowUp, Client, Department, assignee)
        .join(Client)
        .join_from(FollowUp, Department, JOIN.LEFT_OUTER, on=(FollowUp.department == Department.id))
        .join_from(FollowUp, assignee, JOIN.LEFT_OUTER, on=(FollowUp.assignee == assignee.id), attr="assignee_user")
        .where(FollowUp.id == follow_up_id)
    )


def _report_query(report_id):
    return Report.select().where(Report.id == report_id)


def _findings_query(report_id, level):
    return (
        Finding.select(Finding, ExamItem)
        .join(ExamItem, JOIN.LEFT_OUTER)
        .where(Finding.report == report_id, Finding.level == level)
        .order_by(Finding.id)
    )


def _attempts_query(follow_up_id):
    by = User.alias("attempt_by")
    return (
        ContactAttempt.select(ContactAttempt, by)
        .join(by, JOIN.LEFT_OUTER, on=(ContactAttempt.by == by.id), attr="attempt_by")
        .where(ContactAttempt.follow_up == follow_up_id)
        .order_by(ContactAttempt.at.desc(), ContactAttempt.id.desc())
    )


def _referrals_query(follow_up_id):
    return (
        Referral.select(Referral, Department)
        .join(Department, JOIN.LEFT_OUTER, on=(Referral.department == Department.id))
        .where(Referral.follow_up == follow_up_id)
        .order_by(Referral.id.desc())
    )


_DETAIL_FOLLOW_UP = PreparedSelect(_detail_follow_up_query, "checkup_followup_detail")
_REPORT = PreparedSelect(_report_query, "checkup_followup_report")
_FINDINGS = PreparedSelect(_findings_query, "checkup_followup_findings")
_ATTEMPTS = PreparedSelect(_attempts_query, "checkup_followup_attempts")
_REFERRALS = PreparedSelect(_referrals_query, "checkup_followup_referrals")


def detail(actor, follow_up_id):
    """Everything the detail page shows; the view of the client's findings is audited ("followup.viewed").

    NotFound when missing. The findings are clinical: a counselor sees the follow-ups they may work on;
    anyone else, the admin included, breaks the glass for the client first (NoCareRelationship)."""
    if not valid_id(follow_up_id):
        raise _not_found()
    viewer = viewer_for(actor)
    follow_up = next(iter(_DETAIL_FOLLOW_UP.rows(follow_up_id)), None)
    if follow_up is None:
        raise _not_found()
    if not can_see(replace(viewer, is_admin=False), follow_up):
        care_access.require_glass_broken(actor, follow_up.client_id)
    report = next(iter(_REPORT.rows(follow_up.report_id)), None)
    attempts = _ATTEMPTS.rows(follow_up.id)
    referrals = _REFERRALS.rows(follow_up.id)
    recheck = None
    if follow_up.recheck_appointment_id:
        recheck = (
            Appointment.select(Appointment, Slot)
            .join(Slot)
            .where(Appointment.id == follow_up.recheck_appointment_id)
            .first()
        )
    needed = followup_assignment.unreachable_after()
    follow_up.is_overdue = follow_up.status == OPEN and follow_up.due_at < utc(clock.now())
    data = Detail(
        follow_up=follow_up,
        client=follow_up.client,
        findings=finding_rows(follow_up, report),
        attempts=attempts,
        referrals=referrals,
        recheck=recheck,
        report=report,
        can_close_unreachable=follow_up.attempt_count >= needed,
        unreachable_after=needed,
    )
    audit.record(
        actor,
        "followup.viewed",
        follow_up,
        client=follow_up.client_id,
        level=follow_up.level,
        findings=len(data.findings),
    )
    return data


# --- the department head's view ----------------------------------------------------------------------


def department_for_viewer(actor, department_id):
    """The department if ``actor`` heads it (or is the admin); NotFound otherwise, like a missing one."""
    viewer = viewer_for(actor)
    department = Department.get_or_none(Department.id == department_id) if valid_id(department_id) else None
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
