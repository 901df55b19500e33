"""What HR sees of its roster: each employee's enrollment status, the counts behind the dashboard and
the employee list with its XLSX export.

HR sees the status only (invited / booked / checked in / completed / no-show); nothing here reads a
result, finding, report, referral, follow-up, appointment item or price. Every function takes the
HR's ``organization_id`` and raises NotFound for another organization's contract, exactly as for a
missing one.
"""

import datetime
from dataclasses import dataclass
from typing import NamedTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import JOIN, SQL, Case, PostgresqlDatabase, Select, fn

from checkup.core import audit, clock
from checkup.core.pagination import Page
from checkup.core.plain_rows import plain_tuples
from checkup.core.prepared import PerShape, PreparedSelect
from checkup.models import Client, ContractCategory, Enrollment, GroupContract, User
from checkup.models.appointments import BOOKED, CHECKED_IN, COMPLETED, NO_SHOW
from checkup.models.base import db
from checkup.models.groups import ACTIVE, CLOSED, DRAFT, EnrollmentCount
from checkup.reports import spreadsheet
from checkup.services.groups import contracts

NOT_INVITED, INVITED = "not_invited", "invited"
# the order of the dashboard, the chart and the status filter
STATUSES = (NOT_INVITED, INVITED, BOOKED, CHECKED_IN, COMPLETED, NO_SHOW)
# an appointment in one of these states is the enrollment's status; none, or a cancelled one, leaves
# the invitation state
APPOINTMENT_STATES = (BOOKED, CHECKED_IN, COMPLETED, NO_SHOW)
NOT_BOOKED = (NOT_INVITED, INVITED)
STATUS_LABELS = {
    NOT_INVITED: _l("Not invited"),
    INVITED: _l("Invited"),
    BOOKED: _l("Booked"),
    CHECKED_IN: _l("Checked in"),
    COMPLETED: _l("Completed"),
    NO_SHOW: _l("No-show"),
}
RECENT_DAYS = 365  # a closed contract stays on the dashboard this long after its window
PER_PAGE = 50
# values nothing in a query equals, standing for the parameters of the prepared selects below
_SAMPLE_ORG, _SAMPLE_CONTRACT, _SAMPLE_CATEGORY = -2_000_016_501, -2_000_016_502, -2_000_016_503
_SAMPLE_OFFSET, _SAMPLE_ID = -2_000_016_504, -2_000_016_600
_SAMPLE_STATUS, _SAMPLE_DEPARTMENT = "-sample-status-", "-sample-department-"


def enrollment_status(invited_at, appointment_status):
    """The one rule: the current appointment's state when it has one that counts, else invited or not."""
    if appointment_status in APPOINTMENT_STATES:
        return appointment_status
    return INVITED if invited_at is not None else NOT_INVITED


def status_sql():
    """``enrollment_status`` in SQL (lists, counts, filters): the enrollment's kept ``status`` column, which
    the database's triggers hold to that rule on every write that moves it (migration 0023), so no query
    joins the appointments for it."""
    return Enrollment.status


def status_label(status):
    return STATUS_LABELS.get(status, status)


def contract_for_hr(organization_id, contract_id):
    """The organization's contract; NotFound for a missing one or another organization's."""
    return contracts.contract_for_org(contract_id, organization_id)


def _org_contracts_select(organization_id):
    # the ranks written in the SQL: as parameters of a prepared statement PostgreSQL would type them as text
    rank = Case(GroupContract.status, [(ACTIVE, SQL("0")), (DRAFT, SQL("1"))], SQL("2"))
    return (
        GroupContract.select()
        .where(GroupContract.organization == organization_id)
        .order_by(rank, GroupContract.window_start.desc(), GroupContract.id.desc())
    )


# every HR page picking a contract reads them: the SQL built once per process
_ORG_CONTRACTS = PreparedSelect(_org_contracts_select, "checkup_hr_org_contracts", samples=(_SAMPLE_ORG,))


def org_contracts(organization_id):
    """Every contract of the organization, active first, then drafts, then closed; newest window first."""
    return _ORG_CONTRACTS.rows(organization_id)


def pick_contract(organization_id, contract_id=None, choices=None):
    """The contract asked for (NotFound if not the organization's), else the first of ``org_contracts``
    (None when the organization has none). ``choices``, the organization's ``org_contracts`` when the
    caller has them, answer without another query."""
    if contract_id is not None:
        chosen = next((c for c in choices or () if c.id == contract_id), None)
        return chosen if chosen is not None else contract_for_hr(organization_id, contract_id)
    choices = org_contracts(organization_id) if choices is None else choices
    return choices[0] if choices else None


# --- counts ----------------------------------------------------------------------------------

# where each status's count stands in ``Counts.figures``
_FIGURE_INDEX = {status: index for index, status in enumerate(STATUSES)}


class Counts:
    """How many enrollments of a group have each status: ``figures``, the counts in STATUSES order then their
    total (one row of the dashboard's tables, as the dashboard's statement sums it)."""

    __slots__ = ("figures",)

    def __init__(self, figures=None):
        self.figures = (0,) * (len(STATUSES) + 1) if figures is None else tuple(figures)

    def add(self, status, n):
        """``n`` more of ``status`` (one of STATUSES)."""
        figures = list(self.figures)
        figures[_FIGURE_INDEX[status]] += n
        figures[-1] += n
        self.figures = tuple(figures)

    @property
    def total(self):
        return self.figures[-1]

    @property
    def by_status(self):
        """{status: count} for every status, in STATUSES order."""
        return dict(zip(STATUSES, self.figures, strict=False))

    def __getitem__(self, status):
        index = _FIGURE_INDEX.get(status)
        return 0 if index is None else self.figures[index]

    def __eq__(self, other):
        return isinstance(other, Counts) and other.figures == self.figures

    def __hash__(self):
        return hash(self.figures)

    def __repr__(self):
        return f"Counts({self.by_status!r})"

    def chart(self, labels=None):
        """The bar chart of these counts, laid out once here (see ``StatusChart``); ``labels``, the statuses'
        labels (as ``status_label`` gives them, as text) when the caller has them already."""
        return StatusChart.of(self, labels)


# The dashboard's bar chart: a row of CHART_ROW px per status; the label in the first CHART_LABELS % of the
# width, the longest bar ending at CHART_LABELS + CHART_BARS %, its number just after it.
CHART_ROW, CHART_LABELS, CHART_BARS = 30, 36, 0.48
CHART_MIN_BAR = 0.3  # a count above zero always shows a sliver of bar


def bar_percent(count, top):
    """A bar's length as a whole percentage of the longest (``top``: the largest count, at least 1)."""
    return round(100 * count / top)


def bar_span(percent, counted):
    """(width, end) of a bar ``percent`` of the longest, % of the chart's width (2 decimals); ``counted``: its
    count is above zero (such a bar is never shorter than CHART_MIN_BAR)."""
    length = max(percent * CHART_BARS, CHART_MIN_BAR if counted else 0)
    return round(length, 2), round(CHART_LABELS + length, 2)


@dataclass(frozen=True)
class ChartBar:
    status: str
    label: str
    count: int
    baseline: int  # y of the label's and the number's baseline, px
    top: int  # y of the bar's top, px
    width: float  # the bar's length, % of the chart's width (2 decimals)
    end: float  # where the bar ends and its number starts, % of the width (2 decimals)


@dataclass(frozen=True)
class StatusChart:
    """A status bar chart's geometry and text (the dashboard's printer, blueprints/hr/dashboard_rows, prints the
    same from the counts themselves, with ``bar_percent`` and ``bar_span``)."""

    bars: tuple
    height: int  # px
    description: str  # "label: count; …" for the SVG's <desc>
    bar_start: int = CHART_LABELS  # % of the width where every bar starts

    @classmethod
    def of(cls, counts, labels=None):
        top = max(counts.figures[: len(STATUSES)]) or 1
        bars = []
        for index, status in enumerate(STATUSES):
            count = counts[status]
            width, end = bar_span(bar_percent(count, top), count > 0)
            y = index * CHART_ROW + 5
            label = labels[status] if labels is not None else str(status_label(status))
            bars.append(ChartBar(status, label, count, y + 17, y + 3, width, end))
        description = "; ".join(f"{bar.label}: {bar.count}" for bar in bars)
        return cls(tuple(bars), len(bars) * CHART_ROW + 10, description)


@dataclass
class ContractProgress:
    contract: object
    totals: Counts
    by_department: list  # [(department, Counts)] by name; "" = no department
    by_category: list  # [(category label, Counts)] in the contract's order


def is_recent(contract, today=None):
    today = today or clock.today()
    return contract.status != CLOSED or contract.window_end >= today - datetime.timedelta(days=RECENT_DAYS)


def _dashboard_select(*ids):
    """The dashboard's categories and counts in one statement: (kind, contract, text, id, status, number) rows,
    first each category (kind 0: its label, id, no status, its position) in the contract's order, then the
    counts (kind 1: department, category, status, how many), read from the counts the database keeps
    (``EnrollmentCount``: a few rows per contract, not one index entry per employee)."""
    # the kinds written in the SQL: as parameters of a prepared statement PostgreSQL would type them as text
    categories = ContractCategory.select(
        SQL("0"),
        ContractCategory.contract,
        ContractCategory.label,
        ContractCategory.id,
        SQL("NULL"),
        ContractCategory.position,
    ).where(ContractCategory.contract.in_(ids))
    counts = EnrollmentCount.select(
        SQL("1"),
        EnrollmentCount.contract_id,
        EnrollmentCount.department,
        EnrollmentCount.category_id,
        EnrollmentCount.status,
        EnrollmentCount.n,
    ).where(EnrollmentCount.contract_id.in_(ids), EnrollmentCount.n > SQL("0"))  # a count at 0 keeps its row
    # by output position: the kind, then (for the categories) their position and label
    return (categories + counts).order_by(SQL("1"), SQL("6"), SQL("3"))


def _new_dashboard_select(size):
    """The dashboard's select for ``size`` contracts shown (an IN list of that length)."""
    samples = tuple(_SAMPLE_ID - i for i in range(size))
    return PreparedSelect(_dashboard_select, f"checkup_hr_dashboard_{size}", samples)


# {number of contracts shown: its select}, built once per process and length
_dashboard_selects = PerShape(_new_dashboard_select)


class ContractHeading(NamedTuple):
    """What the dashboard shows of a contract beside its counts."""

    id: int
    name: str
    status: str
    window_start: datetime.date
    window_end: datetime.date


def _dashboard_contracts_select(organization_id):
    """``org_contracts``' select of only the columns the dashboard shows (in the same order)."""
    return _org_contracts_select(organization_id).select(
        GroupContract.id, GroupContract.name, GroupContract.status, GroupContract.window_start, GroupContract.window_end
    )


_CONTRACT_HEADINGS = PreparedSelect(
    _dashboard_contracts_select, "checkup_hr_dashboard_contracts", samples=(_SAMPLE_ORG,)
)


def org_contract_headings(organization_id):
    """``org_contracts`` as ContractHeadings (plain columns, no model objects): for the pages that only name the
    contracts and show their window (the dashboard, the employee list)."""
    return list(map(ContractHeading._make, _CONTRACT_HEADINGS.plain(organization_id)))


def _department_order(pair):
    return (pair[0] == "", pair[0])  # by name, no department last


def _figures(by_status):
    """A list of counts in STATUSES order (``Counts.figures`` without the total) as Counts."""
    by_status.append(sum(by_status))
    return Counts(by_status)


def dashboard(organization_id):
    """Progress of the organization's active, draft and recently closed contracts (each a ContractHeading):
    counts by status overall, by department and by category. Two queries whatever the size of the rosters,
    reading a few kept counts per contract (``EnrollmentCount``), never the roster itself."""
    today = clock.today()
    shown = [c for c in org_contract_headings(organization_id) if is_recent(c, today)]
    if not shown:
        return []
    ids = [c.id for c in shown]
    # plain columns only, read as the driver returns them (core/plain_rows)
    rows = _dashboard_selects(len(ids)).plain(*ids)
    # {contract: ([n by status] overall, {department: [n by status]}, {category: (label, [n by status])})}, summed
    # in plain lists (a status's place in Counts.figures) and made Counts once at the end
    size, index = len(STATUSES), _FIGURE_INDEX
    sums = {c.id: ([0] * size, {}, {}) for c in shown}
    for kind, contract_id, text, category_id, state, n in rows:
        totals, by_department, by_category = sums[contract_id]
        if not kind:
            by_category[category_id] = (text, [0] * size)
            continue
        place = index[state]
        totals[place] += n
        department = by_department.get(text or "")
        if department is None:
            department = by_department[text or ""] = [0] * size
        department[place] += n
        category = by_category.get(category_id)
        if category is not None:
            category[1][place] += n
    progress = []
    for contract in shown:
        totals, by_department, by_category = sums[contract.id]
        departments = sorted(by_department.items(), key=_department_order)
        progress.append(
            ContractProgress(
                contract,
                _figures(totals),
                [(name, _figures(figures)) for name, figures in departments],
                [(label, _figures(figures)) for label, figures in by_category.values()],
            )
        )
    return progress


# --- the employee list -----------------------------------------------------------------------


@dataclass(frozen=True)
class EmployeeFilters:
    search: str = ""
    status: str = ""
    department: str = ""
    category_id: int | None = None

    def as_args(self):
        return {"q": self.search, "status": self.status, "department": self.department, "category": self.category_id}


class EmployeeRow(NamedTuple):
    """All HR gets to know about one employee: who, where, which category, the status (a named tuple: a page
    makes fifty)."""

    enrollment_id: int
    employee_no: str
    name: str
    department: str
    category: str
    status: str
    invited_at: object
    has_email: bool

    @property
    def status_label(self):
        return status_label(self.status)


def _employee_query(contract, filters):
    return _employee_select(contract.id, filters)


def _employee_select(contract_id, filters, by_status=None):
    """The list's select; ``by_status`` (default: the filter names a status) filters on ``filters.status``."""
    status = status_sql()
    # the address invitations go to (an account's own, else the roster's): see services/invitations
    # 1 and 0 written in the SQL: as parameters of a prepared statement PostgreSQL would type them as text
    has_email = Case(None, [((User.id.is_null(False)) | (Client.email != ""), SQL("1"))], SQL("0"))
    query = (
        Enrollment.select(
            Enrollment.id,
            Enrollment.employee_no,
            Client.name,
            Enrollment.department,
            ContractCategory.label,
            status.alias("enrollment_status"),
            Enrollment.invited_at,
            has_email.alias("has_email"),
        )
        .join_from(Enrollment, Client)
        .join_from(Enrollment, ContractCategory)
        .join_from(Enrollment, User, JOIN.LEFT_OUTER, on=(User.client == Enrollment.client))
        .where(Enrollment.contract == contract_id)
        .order_by(Enrollment.employee_no, Enrollment.id)
    )
    term = (filters.search or "").strip()
    if term:
        query = query.where(Client.name.contains(term) | Enrollment.employee_no.contains(term))
    if filters.status in STATUSES if by_status is None else by_status:
        query = query.where(status == filters.status)
    return _roster_filters(query, filters).tuples()


def _roster_filters(query, filters):
    """The filters on the enrollment's own columns (department, category)."""
    if filters.department:
        query = query.where(Enrollment.department == ("" if filters.department == "-" else filters.department))
    if filters.category_id is not None:
        query = query.where(Enrollment.category == filters.category_id)
    return query


def _row(values):
    enrollment_id, employee_no, name, department, category, status, invited_at, has_email = values
    return EmployeeRow(enrollment_id, employee_no, name, department, category, status, invited_at, bool(has_email))


def _rows(rows):
    """``_row`` of each of ``rows``."""
    return [
        EmployeeRow(enrollment_id, employee_no, name, department, category, status, invited_at, bool(has_email))
        for enrollment_id, employee_no, name, department, category, status, invited_at, has_email in rows
    ]


def employee_page(organization_id, contract_id, filters, page=1):
    """A page of the contract's employees (status only), searched and filtered; a count and the rows."""
    return contract_employee_page(contract_for_hr(organization_id, contract_id), filters, page)


def _filter_shape(filters):
    """Which of the list's filters (other than a search) are set: (status, department, category)."""
    return (filters.status in STATUSES, bool(filters.department), filters.category_id is not None)


def _filter_values(filters):
    """The parameters of the set filters, in the order of ``_filter_shape`` ("-" is no department: "")."""
    by_status, by_department, by_category = _filter_shape(filters)
    return (
        ((filters.status,) if by_status else ())
        + (("" if filters.department == "-" else filters.department,) if by_department else ())
        + ((filters.category_id,) if by_category else ())
    )


def _filters_of(shape, values):
    """EmployeeFilters with the shape's set filters taking ``values`` (samples, on the first build)."""
    by_status, by_department, by_category = shape
    given = iter(values)
    return EmployeeFilters(
        status=next(given) if by_status else "",
        department=next(given) if by_department else "",
        category_id=next(given) if by_category else None,
    )


def _shape_name(shape):
    return "".join(part for part, on in zip(("_status", "_department", "_category"), shape, strict=True) if on)


def _filter_samples(shape):
    by_status, by_department, by_category = shape
    return (
        ((_SAMPLE_STATUS,) if by_status else ())
        + ((_SAMPLE_DEPARTMENT,) if by_department else ())
        + ((_SAMPLE_CATEGORY,) if by_category else ())
    )


def _new_page_select(shape):
    """A page of the unsearched list for a shape of filters: (contract, *filters, offset)."""

    def build(contract_id, *values):
        *filter_values, offset = values
        query = _employee_select(contract_id, _filters_of(shape, filter_values), by_status=shape[0])
        return query.limit(PER_PAGE).offset(offset)

    samples = (_SAMPLE_CONTRACT, *_filter_samples(shape), _SAMPLE_OFFSET)
    return PreparedSelect(build, "checkup_hr_employee_page" + _shape_name(shape), samples)


def _roster_count_select(contract_id, filters, by_status):
    """``count_employees`` without a search: the filtered roster's size, summed from the counts the database
    keeps by (contract, status, department, category) (``EnrollmentCount``): every filter but a search is
    one of those columns, so a few rows are read, not one index entry per employee."""
    query = EnrollmentCount.select(fn.COALESCE(fn.SUM(EnrollmentCount.n), SQL("0")).alias("n")).where(
        EnrollmentCount.contract_id == contract_id
    )
    if by_status:
        query = query.where(EnrollmentCount.status == filters.status)
    if filters.department:
        query = query.where(EnrollmentCount.department == ("" if filters.department == "-" else filters.department))
    if filters.category_id is not None:
        query = query.where(EnrollmentCount.category_id == filters.category_id)
    return query


def _new_count_select(shape):
    """The unsearched list's count for a shape of filters: (contract, *filters)."""

    def build(contract_id, *values):
        return _roster_count_select(contract_id, _filters_of(shape, values), shape[0])

    samples = (_SAMPLE_CONTRACT, *_filter_samples(shape))
    return PreparedSelect(build, "checkup_hr_employee_count" + _shape_name(shape), samples)


# {shape of filters: a page's select}, {shape of filters: the count's select}: the list's SQL built once per
# process and shape (a search, POSTed only, is built each time: its pattern may need escaping)
_page_selects = PerShape(_new_page_select)
_count_selects = PerShape(_new_count_select)


def _first_page_select(contract_id, filters, by_status):
    """The list's first page (as ``_employee_select`` with ``limit(PER_PAGE)``): the page's enrollments picked
    from the enrollment table alone, in the list's order, under a LIMIT written in the SQL, then joined to their
    names, categories and accounts. PostgreSQL then costs the joins for PER_PAGE rows whatever the contract,
    so a prepared statement keeps one generic plan; joined before the LIMIT, the custom plan for the contract
    at hand always looked cheaper and every EXECUTE was planned anew (#16: 0.7 ms of planning a request)."""
    picked = Enrollment.select(
        Enrollment.id,
        Enrollment.employee_no,
        Enrollment.client,
        Enrollment.category,
        Enrollment.department,
        Enrollment.status,
        Enrollment.invited_at,
    ).where(Enrollment.contract == contract_id)
    if by_status:
        picked = picked.where(status_sql() == filters.status)
    picked = (
        _roster_filters(picked, filters)
        .order_by(Enrollment.employee_no, Enrollment.id)
        .limit(SQL(str(PER_PAGE)))
        .alias("picked")
    )
    # the address invitations go to, as in ``_employee_select``
    has_email = Case(None, [((User.id.is_null(False)) | (Client.email != ""), SQL("1"))], SQL("0"))
    columns = [picked.c.id, picked.c.employee_no, Client.name, picked.c.department, ContractCategory.label]
    columns += [picked.c.status.alias("enrollment_status"), picked.c.invited_at, has_email.alias("has_email")]
    return (
        Select([picked], columns)
        .join(Client, on=(Client.id == picked.c.client_id))
        .join(ContractCategory, on=(ContractCategory.id == picked.c.category_id))
        .join(User, JOIN.LEFT_OUTER, on=(User.client == picked.c.client_id))
    )


def _new_counted_page_select(shape):
    """The unsearched list's count and its first page of rows in one statement, for a shape of filters:
    (contract, *filters) -> rows of (count, *the page's row); one row of (count, NULL, ...) when the page is
    empty. The count is the roster's alone, summed from the kept counts as ``count_employees``'s. Used for the
    first page only: a page far past the end would join every row it skips."""

    def build(contract_id, *values):
        filters = _filters_of(shape, values)
        total = _roster_count_select(contract_id, filters, shape[0]).alias("total")
        page = _first_page_select(contract_id, filters, shape[0]).alias("page")
        columns = [page.c.id, page.c.employee_no, page.c.name, page.c.department, page.c.label]
        columns += [page.c.enrollment_status, page.c.invited_at, page.c.has_email]
        return (
            Select([total], [total.c.n, *columns])
            .join(page, JOIN.LEFT_OUTER, on=SQL("1 = 1"))
            .order_by(page.c.employee_no, page.c.id)
            .bind(db)
        )

    samples = (_SAMPLE_CONTRACT, *_filter_samples(shape))
    return PreparedSelect(build, "checkup_hr_employee_first_page" + _shape_name(shape), samples)


_counted_page_selects = PerShape(_new_counted_page_select)


def contract_employee_page(contract, filters, page=1):
    """``employee_page`` of a contract already found for the organization (``pick_contract``)."""
    if (filters.search or "").strip():
        total = count_employees(contract, filters)
        pages = max(1, -(-total // PER_PAGE))
        number = min(max(1, page or 1), pages)
        # plain columns only (core/plain_rows): the page's rows as the driver returns them
        rows = plain_tuples(_employee_query(contract, filters).paginate(number, PER_PAGE))
        return Page(_rows(rows), number, pages, total, PER_PAGE)
    shape, values = _filter_shape(filters), _filter_values(filters)
    if max(1, page or 1) == 1:
        # the first page (never past the end) and the count in one statement
        counted = _counted_page_selects(shape).plain(contract.id, *values)
        if not isinstance(db.obj, PostgresqlDatabase):
            # SQLite's driver gives the subquery's datetime as text: peewee's conversion, as for the page alone
            to_datetime = Enrollment.invited_at.python_value
            counted = [(*row[:7], to_datetime(row[7]), row[8]) for row in counted]
        total = counted[0][0]
        # each row the count, then the page's row (all NULL when the page is empty)
        items = [
            EmployeeRow(enrollment_id, employee_no, name, department, category, status, invited_at, bool(has_email))
            for _total, enrollment_id, employee_no, name, department, category, status, invited_at, has_email in counted
            if enrollment_id is not None
        ]
        return Page(items, 1, max(1, -(-total // PER_PAGE)), total, PER_PAGE)
    # a later page: counted first, so that a page past the end (shown as the last) joins no row it skips
    total = count_employees(contract, filters)
    pages = max(1, -(-total // PER_PAGE))
    number = min(max(1, page or 1), pages)
    rows = _page_selects(shape).plain(contract.id, *values, (number - 1) * PER_PAGE)
    return Page(_rows(rows), number, pages, total, PER_PAGE)


def _filter_choices_select(contract_id):
    """The employee list's filter choices in one statement: (kind, position, text, id) rows, first the
    roster's departments (kind 0), each once, by name, then the contract's categories (kind 1: position,
    label, id) in its order.

    The departments are read from the counts the database keeps (``EnrollmentCount``): a few rows per
    contract, not one index entry per employee (a count at 0 keeps its row: skipped)."""
    # the kinds and the departments' position written in the SQL: as parameters of a prepared statement
    # PostgreSQL would type them as text
    categories = ContractCategory.select(
        SQL("1"), ContractCategory.position, ContractCategory.label, ContractCategory.id
    ).where(ContractCategory.contract == contract_id)
    departments = (
        EnrollmentCount.select(SQL("0"), SQL("0"), EnrollmentCount.department, SQL("CAST(NULL AS INTEGER)"))
        .where(EnrollmentCount.contract_id == contract_id, EnrollmentCount.n > SQL("0"))
        .distinct()
    )
    return (departments + categories).order_by(SQL("1"), SQL("2"), SQL("3"))


# the employee list's filter choices: their SQL built once per process
_FILTER_CHOICES = PreparedSelect(_filter_choices_select, "checkup_hr_filter_choices", samples=(_SAMPLE_CONTRACT,))


def filter_choices(contract):
    """(departments, categories) of the contract's roster for the filter selects; one query."""
    departments, categories = [], []
    for kind, _position, text, category_id in _FILTER_CHOICES.plain(contract.id):
        if kind:
            categories.append((category_id, text))
        else:
            departments.append(text)
    return departments, categories


def count_employees(contract, filters, up_to=None):
    """How many rows the filtered list has (at most ``up_to``: a searched count stops reading there).

    Without a search the roster alone is counted, from the counts the database keeps (``EnrollmentCount``):
    the list's joins add no row (one client and one category per enrollment, at most one account per
    client)."""
    if (filters.search or "").strip():
        query = _employee_query(contract, filters).order_by()
        if up_to is not None:
            query = query.limit(up_to)
        return query.count()
    total = _count_selects(_filter_shape(filters)).plain(contract.id, *_filter_values(filters))[0][0]
    return total if up_to is None else min(total, up_to)


def employee_rows(contract, filters):
    """Every row of the filtered list (status only), read as they come (an export)."""
    for values in _employee_query(contract, filters).iterator():
        yield _row(values)


def export_sheet(rows):
    """(title, header, body) of the employee list as XLSX: the list's own columns, status only, in the
    current language. Every XLSX of the list (inline or made by the worker) is this sheet."""
    header = [
        _("Employee number"),
        _("Full name"),
        _("Company department"),
        _("Category"),
        _("Status"),
        _("Invited on"),
        _("Email on file"),
    ]
    body = [
        [
            r.employee_no,
            r.name,
            r.department,
            r.category,
            str(r.status_label),
            clock.from_utc(r.invited_at).strftime("%Y-%m-%d") if r.invited_at else "",
            _("Yes") if r.has_email else _("No"),
        ]
        for r in rows
    ]
    return _("Employees"), header, body


def export_filename(contract):
    return f"employees-{contract.id}-{clock.today().isoformat()}.xlsx"


def audit_export(actor, contract, filters, **detail):
    """Every export of the list (made now or by the worker) is audited with the filters it applied."""
    audit.record(
        actor,
        "hr.export",
        contract,
        search=filters.search,
        status=filters.status,
        department=filters.department,
        category=filters.category_id,
        **detail,
    )


def export_employees(actor, organization_id, contract_id, filters):
    """The filtered employee list as XLSX bytes (formula-like cells neutralised); the export is audited.
    A long list is made by the worker instead (services/groups/employee_exports).

    Returns (filename, bytes)."""
    contract = contract_for_hr(organization_id, contract_id)
    title, header, body = export_sheet(employee_rows(contract, filters))
    data = spreadsheet.workbook_bytes([(title, header, body)])
    audit_export(actor, contract, filters, rows=len(body))
    return export_filename(contract), data
