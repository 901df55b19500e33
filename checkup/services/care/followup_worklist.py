"""The counselors' follow-up worklist: its filters, a page of the follow-ups a viewer may see, the home
counts."""

import datetime
from dataclasses import dataclass

from peewee import JOIN, Case, fn

from checkup.core import clock
from checkup.core.arguments import valid_id
from checkup.core.pagination import Page, counted_page, whole_count
from checkup.core.plain_rows import plain_tuples
from checkup.models import (
    Client,
    Department,
    FollowUp,
    User,
)
from checkup.models.results import OPEN
from checkup.services.care.followups import (
    DUE_FILTERS,
    LEVELS,
    STATUSES,
    label_texts,
    overdue_condition,
    utc,
    viewer_for,
    visible_condition,
)

PER_PAGE = 50


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


def _day_bounds():
    now = clock.now()
    start = clock.local(now.date(), datetime.time(0, 0))
    week_end = start + datetime.timedelta(days=7 - now.weekday())
    return utc(now), utc(start), utc(start + datetime.timedelta(days=1)), utc(week_end)


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
