"""The counselors' follow-up worklist: its filters, a page of the follow-ups a viewer may see, the home
counts."""

import datetime
import functools
from dataclasses import dataclass

from peewee import JOIN, SQL, Case, fn

from checkup.core import clock
from checkup.core.arguments import valid_id
from checkup.core.i18n import is_chinese
from checkup.core.pagination import Page, counted_page, whole_count
from checkup.core.prepared import PerShape, PreparedSelect
from checkup.models import (
    Client,
    Department,
    FollowUp,
    User,
)
from checkup.models.results import CLOSED, OPEN
from checkup.services.care import followup_assignment
from checkup.services.care.followups import (
    DUE_FILTERS,
    LEVELS,
    STATUSES,
    Viewer,
    label_texts,
    utc,
    viewer_for,
    visible_condition,
)

PER_PAGE = 50
DUE_FORMAT = "%Y-%m-%d %H:%M"  # as web/templating's center_time prints a moment


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


def _day_bounds(due=""):
    """(now, today's start, tomorrow's, the week's end) as naive UTC; the day's bounds only for ``due`` "today"
    or "week", the lists that ask them (None otherwise)."""
    now = clock.now()
    if due not in ("today", "week"):
        return utc(now), None, None, None
    start = clock.local(now.date(), datetime.time(0, 0))
    week_end = start + datetime.timedelta(days=7 - now.weekday())
    return utc(now), utc(start), utc(start + datetime.timedelta(days=1)), utc(week_end)


def _code(code):
    """One of our own status codes written into the SQL: a prepared statement's plan then knows which
    status it reads (an open list is a few hundred rows of ~20k)."""
    assert code in (OPEN, CLOSED), code
    return SQL(f"'{code}'")


def _is_open(model=FollowUp):
    return model.status == _code(OPEN)


def _is_overdue(now_utc):
    return _is_open() & (FollowUp.due_at < now_utc)


def _apply(query, filters, viewer, moments):
    """``query`` narrowed by ``filters`` (cleaned ones, or the samples of a prepared shape)."""
    now_utc, start, day_end, week_end = moments
    if filters.level:
        query = query.where(FollowUp.level == filters.level)
    if filters.status != "all":
        query = query.where(FollowUp.status == _code(filters.status))
    if filters.due == "overdue":
        query = query.where(_is_overdue(now_utc))
    elif filters.due in ("today", "week"):
        end = day_end if filters.due == "today" else week_end
        # what is already overdue stays on the list until it is closed
        query = query.where(FollowUp.due_at < end, (FollowUp.due_at >= start) | _is_open())
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
    due_text: str  # the due time in the center's zone, as the list prints it
    department_name: str | None  # in the page's language


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


def _order(now_utc):
    """Overdue open ones first, then open ones, then by due time."""
    return (
        Case(None, [(_is_overdue(now_utc), SQL("0"))], SQL("1")),
        Case(None, [(_is_open(), SQL("0"))], SQL("1")),
    )


def _page_select(filters, viewer, moments, offset, per_page):
    """A page of ``filters``' follow-ups that ``viewer`` may see, with their shown columns and the whole count.

    The page's follow-ups and the count come from follow_up alone (its indexes); the joins then read only
    the page's rows instead of every follow-up of the list. ``offset`` None: the first page. A list of one
    status is in due order alone (``_order`` ranks all its rows alike: the open ones overdue are those due
    first), which the index of the open follow-ups holds (migration 0033): its page and count are read off
    that index, in order, without visiting or sorting the rows."""
    if filters.status == "all":
        overdue_first, open_first = _order(moments[0])
        ranks = (overdue_first.alias("overdue_first"), open_first.alias("open_first"))
        order = (overdue_first, open_first)
    else:
        ranks = order = ()
    page_rows = (
        _apply(
            FollowUp.select(FollowUp.id, *ranks, whole_count().alias("total")).where(visible_condition(viewer)),
            filters,
            viewer,
            moments,
        )
        .order_by(*order, FollowUp.due_at, FollowUp.id)
        .limit(SQL(str(int(per_page))))  # a constant: the plan knows the page's size
    )
    if offset is not None:
        page_rows = page_rows.offset(offset)
    page_rows = page_rows.alias("page_rows")
    page_order = (page_rows.c.overdue_first, page_rows.c.open_first) if order else ()
    return (
        _worklist_columns(FollowUp.select(*_worklist_selection(), page_rows.c.total))
        .join_from(FollowUp, page_rows, on=(FollowUp.id == page_rows.c.id))
        .order_by(*page_order, FollowUp.due_at, FollowUp.id)
    )


# values nothing in the query equals, standing for its parameters while its SQL is built (core/prepared)
_SAMPLE = {
    "now": datetime.datetime(1901, 2, 6, 7, 8, 9),
    "start": datetime.datetime(1901, 2, 6, 7, 8, 10),
    "end": datetime.datetime(1901, 2, 6, 7, 8, 11),
    "user": -2_000_000_701,
    "level": "\x00no level",
    "department": -2_000_000_702,
    "assignee": -2_000_000_703,
    "offset": -2_000_000_704,
}
_SAMPLE_HEAD = -2_000_000_710  # the heads' departments: -2_000_000_710, -2_000_000_711, ...


@dataclass(frozen=True)
class _Shape:
    """What decides a worklist page's SQL: who looks (their number of head departments) and which filters
    are set; the values themselves are the statement's parameters."""

    viewer: str  # "admin" | "nobody" | "heads<n>" (a counselor)
    level: bool
    status: str
    due: str
    department: bool
    assignee: str  # "" | "me" | "none" | "id"
    first_page: bool
    per_page: int  # written into the SQL

    @classmethod
    def of(cls, viewer, filters):
        who = "admin" if viewer.is_admin else f"heads{len(viewer.head_of)}" if viewer.is_counselor else "nobody"
        assignee = filters.assignee if filters.assignee in ("", "me", "none") else "id"
        return cls(
            who,
            bool(filters.level),
            filters.status,
            filters.due,
            bool(filters.department),
            assignee,
            filters.page == 1,
            PER_PAGE,
        )

    def parameters(self):
        """The names of the statement's parameters, in ``_values``' order."""
        # "now" only where the SQL compares it: the "all" list's ranks, the overdue filter
        names = ["now"] if self.status == "all" or self.due == "overdue" else []
        if self.viewer.startswith("heads") or self.assignee == "me":
            names.append("user")
        if self.viewer.startswith("heads"):
            names += [f"head{i}" for i in range(int(self.viewer[len("heads") :]))]
        if self.level:
            names.append("level")
        if self.due in ("today", "week"):
            names += ["start", "end"]
        if self.department:
            names.append("department")
        if self.assignee == "id":
            names.append("assignee")
        if not self.first_page:
            names.append("offset")
        return names

    def name(self):
        """The statement's name: short, as PostgreSQL cuts names at 63 bytes (two shapes must never meet)."""
        parts = [
            self.viewer.replace("heads", "h"),
            "l" if self.level else "",
            self.status,
            self.due,
            "d" if self.department else "",
            f"to_{self.assignee}" if self.assignee else "",
            "p1" if self.first_page else "pn",
            str(self.per_page),
        ]
        name = "checkup_care_worklist_" + "_".join(part for part in parts if part)
        assert len(name) <= 63, name
        return name


def _sample_values(names):
    return tuple(_SAMPLE_HEAD - int(name[4:]) if name.startswith("head") else _SAMPLE[name] for name in names)


def _build(shape, names, *values):
    """``_page_select`` for ``shape`` with ``values`` (named ``names``) as its parameters."""
    given = dict(zip(names, values, strict=True))
    viewer = Viewer(
        given.get("user"),
        shape.viewer == "admin",
        shape.viewer.startswith("heads"),
        tuple(given[name] for name in names if name.startswith("head")),
    )
    filters = Filters(
        level=given.get("level", ""),
        status=shape.status,
        due=shape.due,
        department=given.get("department"),
        assignee=str(given["assignee"]) if shape.assignee == "id" else shape.assignee,
    )
    end = given.get("end")
    moments = (given.get("now"), given.get("start"), end, end)
    return _page_select(filters, viewer, moments, given.get("offset"), shape.per_page)


def _new_page_select(shape):
    names = shape.parameters()
    return PreparedSelect(functools.partial(_build, shape, names), shape.name(), _sample_values(names))


# {shape: its page select}: built once per process and shape, prepared on PostgreSQL (no planning per view)
_prepared_page = PerShape(_new_page_select)


def _values(shape, viewer, filters, moments):
    now_utc, start, day_end, week_end = moments
    values = {
        "now": now_utc,
        "user": viewer.user_id,
        "level": filters.level,
        "start": start,
        "end": day_end if filters.due == "today" else week_end,
        "department": filters.department,
        "assignee": int(filters.assignee) if shape.assignee == "id" else None,
        "offset": (filters.page - 1) * shape.per_page,
    }
    values.update({f"head{i}": department for i, department in enumerate(viewer.head_of)})
    return [values[name] for name in shape.parameters()]


def plain_worklist(actor, filters, viewer=None):
    """(a page of ``worklist``'s rows as the statement returns them, in ``_worklist_selection``'s order with
    the page's total last; the moment "overdue" was judged at, naive UTC): what ``worklist`` makes its rows of,
    for a caller that prints them itself (blueprints/care/followups_rows.plain_rows)."""
    filters = filters.cleaned()
    viewer = viewer or viewer_for(actor)
    moments = _day_bounds(filters.due)
    now_utc = moments[0]
    number = filters.page
    shape = _Shape.of(viewer, filters)
    rows = _prepared_page(shape).plain(*_values(shape, viewer, filters, moments))
    if rows or number == 1:
        total = rows[0][-1] if rows else 0
        page = Page(rows, number, max(1, -(-total // PER_PAGE)), total, PER_PAGE)
    else:  # past the end: counted and clamped
        overdue_first, open_first = _order(now_utc)
        query = _apply(
            _worklist_columns(FollowUp.select(*_worklist_selection(), whole_count())).where(visible_condition(viewer)),
            filters,
            viewer,
            moments,
        ).order_by(overdue_first, open_first, FollowUp.due_at, FollowUp.id)
        page = counted_page(query, number, PER_PAGE)
    return page, now_utc


def worklist(actor, filters, viewer=None):
    """A page of the follow-ups ``actor`` may see, overdue open ones first, then by due time (``viewer``:
    ``viewer_for(actor)`` when the caller has it already).

    Each row carries its client, department and assignee (joined) and the page its total (a window count):
    one query whatever the page length, its SQL built once per process and shape of filters (prepared on
    PostgreSQL), plus one for the viewer's head departments (and two more for a page past the end). Only
    the columns the list shows are read, as plain values; what each row prints is worked out here, the
    labels and department names once per page.
    """
    page, now_utc = plain_worklist(actor, filters, viewer)
    page.items = worklist_items(page.items, now_utc)
    return page


def worklist_items(rows, now_utc):
    """``plain_worklist``'s rows as WorklistRow, what each prints worked out (labels and department names once
    per page)."""
    levels, statuses, outcomes = label_texts("level"), label_texts("status"), label_texts("outcome_code")
    chinese = is_chinese()
    zone = clock.zone()  # clock.from_utc's zone, looked up once per page
    departments = {}  # id: its name in the page's language
    items = []
    for row in rows:
        department = DepartmentName(row[6], row[7], row[8]) if row[6] is not None else None
        if department is not None and department.id not in departments:
            departments[department.id] = (department.name_zh if chinese else "") or department.name_en
        items.append(
            WorklistRow(
                id=row[0],
                client=Named(row[1]),
                level=row[2],
                due_at=row[3],
                status=row[4],
                kind=row[5],
                department_id=row[6],
                department=department,
                assignee_id=row[9],
                assignee_user=Named(row[10]) if row[9] is not None and row[10] is not None else None,
                outcome_code=row[11],
                attempt_count=row[12],
                is_overdue=row[4] == OPEN and row[3] < now_utc,
                level_label=levels.get(row[2], row[2]),
                status_label=statuses.get(row[4], row[4]),
                outcome_label=outcomes.get(row[11], row[11]) if row[11] else "",
                due_text=row[3].replace(tzinfo=datetime.UTC).astimezone(zone).strftime(DUE_FORMAT),
                department_name=departments[row[6]] if department is not None else None,
            )
        )
    return items


def _home_counts_select(viewer, now_utc):
    is_open = _is_open()
    mine = is_open & (FollowUp.assignee == viewer.user_id)
    return FollowUp.select(
        fn.SUM(Case(None, [(mine, SQL("1"))], SQL("0"))).alias("mine"),
        fn.SUM(Case(None, [(is_open & FollowUp.assignee.is_null(), SQL("1"))], SQL("0"))).alias("pool"),
        fn.SUM(Case(None, [(_is_overdue(now_utc), SQL("1"))], SQL("0"))).alias("overdue"),
    ).where(is_open, visible_condition(viewer))  # each figure counts open ones: the status index reads only those


def _heads_seen(viewer):
    """The head departments ``visible_condition`` asks about (the admin's condition asks none)."""
    return viewer.head_of if viewer.is_counselor and not viewer.is_admin else ()


def _new_home_counts_select(key):
    is_admin, is_counselor, heads = key

    def build(user_id, now_utc, *head_of):
        return _home_counts_select(Viewer(user_id, is_admin, is_counselor, head_of), now_utc)

    return PreparedSelect(
        build,
        f"checkup_care_home_counts_{'admin' if is_admin else ''}{'counselor' if is_counselor else ''}_{heads}",
        (_SAMPLE["user"], _SAMPLE["now"], *(_SAMPLE_HEAD - i for i in range(heads))),
    )


# {(admin, counselor, heads): the home counts' select}: built once per process and kind of viewer
_home_selects = PerShape(_new_home_counts_select)


def _prepared_home_counts(viewer):
    return _home_selects((viewer.is_admin, viewer.is_counselor, len(_heads_seen(viewer))))


def home_counts(actor):
    """Headline numbers for the counselor's home page: mine open, the pool, overdue (all visible), in one query
    (its SQL built once per process and kind of viewer), and the departments the viewer heads."""
    viewer = viewer_for(actor)
    now_utc = utc(clock.now())
    rows = _prepared_home_counts(viewer).plain(viewer.user_id, now_utc, *_heads_seen(viewer))
    row = rows[0] if rows else (None, None, None)
    counts = {key: int(value or 0) for key, value in zip(("mine", "pool", "overdue"), row, strict=True)}
    heads = set(viewer.head_of)
    counts["head_of"] = [d for d in followup_assignment.departments() if d.id in heads] if heads else []
    return counts
