"""Reading an appointment for review: rows with flags and previous values, the station conclusions, findings
implied and the summary conclusion and advice suggested from the advice library; the chief physicians' queue
(checkups with every result in and every station signed) and their workload. Pure reads — signing is in
reports.py, the chief physician's rules around it in chief_review.py."""

import datetime
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from peewee import JOIN, SQL, Select, fn

from checkup.core.arguments import valid_id
from checkup.core.errors import NotFound
from checkup.core.i18n import is_chinese
from checkup.core.plain_models import field_names, model_of
from checkup.core.prepared import PreparedSelect
from checkup.models import (
    Appointment,
    AppointmentItem,
    Client,
    Department,
    ExamItem,
    Finding,
    Package,
    Report,
    Result,
    ResultConflict,
    StationConclusion,
    User,
)
from checkup.models.accounts import CHIEF
from checkup.models.appointments import CHECKED_IN, COMPLETED
from checkup.models.results import (
    ABNORMAL,
    CRITICAL_FLAGS,
    CRITICAL_HIGH,
    CRITICAL_LOW,
    HIGH,
    LOW,
    SUPERSEDED,
)
from checkup.models.review import CONCLUSION_SIGNED, ChiefReview
from checkup.services.access import care_access
from checkup.services.catalog.care_rules import KIND_ORDER
from checkup.services.catalog.packages import age_on
from checkup.services.exam import advice, derived_items, review_queue
from checkup.services.exam.results import DERIVED_SOURCE, skip_reason_label
from checkup.services.exam.review_queue import CURRENT_SIGNED, EVER_SIGNED

REVIEWABLE_STATUSES = (CHECKED_IN, COMPLETED)

# The rule table shipped by migration 0003; used for any kind the admin's table lacks.
# H/L beyond the bound by more than this share of the range width is "significant", else "mild".
SIGNIFICANT_SHARE = Decimal("0.2")
VERIFICATION_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY34679"
MAX_OBSERVATIONS = 20


# --- small pure helpers -----------------------------------------------------------------------------


def number_text(value):
    """A Decimal as people write it: no exponent, no trailing zeros ("5.40" -> "5.4")."""
    if value is None:
        return ""
    if type(value) is Decimal:
        # str() writes a decimal's digits as format(.., "f") does unless it chooses an exponent (a review page
        # prints a hundred numbers: str is a third of format's cost)
        text = str(value)
        if "E" in text:
            text = format(value, "f")
    else:
        text = format(Decimal(value), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def result_is_done(result):
    return bool(result.skipped or result.value_num is not None or (result.value_text or "").strip())


def result_value(result):
    if result.skipped:
        return ""
    if result.value_num is not None:
        return number_text(result.value_num)
    return result.value_text or ""


def range_text(low, high):
    low, high = number_text(low), number_text(high)
    if low and high:
        return f"{low}–{high}"
    if high:
        return f"≤ {high}"
    if low:
        return f"≥ {low}"
    return ""


def finding_kind(flag, value_num, ref_low, ref_high):
    """Which rule a result's flag calls for: critical, significant, mild or None (not a finding)."""
    if flag in CRITICAL_FLAGS:
        return "critical"
    if flag == ABNORMAL:
        return "significant"
    if flag not in (HIGH, LOW):
        return None
    bound = ref_high if flag == HIGH else ref_low
    if value_num is None or bound is None:
        return "mild"
    value, bound = Decimal(value_num), Decimal(bound)
    if ref_low is not None and ref_high is not None and Decimal(ref_high) > Decimal(ref_low):
        width = Decimal(ref_high) - Decimal(ref_low)
    else:
        width = abs(bound)
    excess = value - bound if flag == HIGH else bound - value
    return "significant" if width and excess > width * SIGNIFICANT_SHARE else "mild"


def direction(flag):
    return {HIGH: "H", CRITICAL_HIGH: "H", LOW: "L", CRITICAL_LOW: "L", ABNORMAL: "A"}.get(flag, "")


def trend_arrow(current, previous):
    if current is None or previous is None:
        return ""
    current, previous = Decimal(current), Decimal(previous)
    return "↑" if current > previous else "↓" if current < previous else "→"


def new_verification_code():
    raw = "".join(secrets.choice(VERIFICATION_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


# --- review ------------------------------------------------------------------------------------------


@dataclass
class ReviewRow:
    item: ExamItem
    department: Department
    result: Result | None = None
    previous_value: str = ""
    previous_num: Decimal | None = None
    previous_day: datetime.date | None = None
    trend: str = ""
    kind: str | None = None
    advice_key: str = ""
    done: bool = field(init=False, default=False)  # resulted or skipped (read many times by the page)

    def __post_init__(self):
        self.done = self.result is not None and result_is_done(self.result)

    input_names: dict | None = None  # {item code: name} of the checkup's items, for a derived item's reason

    @property
    def skip_label(self):
        """Why the item was skipped, in the language of the moment (a derived item's reason key translated)."""
        return skip_reason_label(self.result.skip_reason, self.input_names) if self.result is not None else ""

    @property
    def value(self):
        return result_value(self.result) if self.result else ""

    @property
    def flag(self):
        return self.result.flag if self.result and not self.result.skipped else ""

    @property
    def unit(self):
        return (self.result.unit if self.result and self.result.unit else self.item.unit) or ""

    @property
    def reference(self):
        return range_text(self.result.ref_low, self.result.ref_high) if self.result else ""

    @property
    def abnormal(self):
        return self.kind is not None

    @property
    def computed(self):
        """A derived item (BMI, eGFR, …): computed from other results, never typed (shown as such)."""
        if self.result is not None and self.result.source == DERIVED_SOURCE:
            return True
        return derived_items.is_derived(self.item.code)

    def sort_key(self):
        order = KIND_ORDER.get(self.kind, 5) if self.done else 9
        return (order, self.department.sort_order, self.department.code, self.item.code)


@dataclass
class ReviewData:
    appointment: Appointment
    rows: list = field(default_factory=list)
    reports: list = field(default_factory=list)  # every version, newest first
    snippets: dict = field(default_factory=dict)  # advice key -> AdviceSnippet
    findings: list = field(default_factory=list)  # of the current version, when signed
    conclusions: dict = field(default_factory=dict)  # department id -> StationConclusion (with its signer)
    suggestions: list = field(default_factory=list)  # advice.SuggestedFinding, from the advice library
    claim: ChiefReview | None = None  # the chief physician reviewing it (a draft saved), with the user
    age: int | None = None  # on the exam day
    open_conflicts: list = field(default_factory=list)  # instrument values waiting for the station doctor

    @property
    def stations(self):
        """[(Department, items done, items, StationConclusion or None)] in station order."""
        # counted by department, then the departments sorted (a stable sort: as the rows sorted by station
        # and counted in that order gave them), not the rows sorted
        seen = {}
        for row in self.rows:
            department = row.department
            counts = seen.get(department.id)
            if counts is None:
                seen[department.id] = [department, 1 if row.done else 0, 1]
            else:
                counts[1] += 1 if row.done else 0
                counts[2] += 1
        counted = sorted(seen.values(), key=lambda counts: (counts[0].sort_order, counts[0].code))
        conclusions = self.conclusions
        return [(d, done, total, conclusions.get(d.id)) for d, done, total in counted]

    @property
    def unsigned_stations(self):
        return _unsigned(self.stations)

    @property
    def station_doctor_ids(self):
        """The users who signed a station conclusion of this checkup."""
        return {c.signed_by_id for c in self.conclusions.values() if c.status == CONCLUSION_SIGNED and c.signed_by_id}

    @property
    def pending(self):
        return [row for row in self.rows if not row.done]

    @property
    def abnormal_rows(self):
        return [row for row in self.rows if row.abnormal]

    @property
    def current(self):
        return next((r for r in self.reports if r.status != SUPERSEDED), None)

    @property
    def signed(self):
        current = self.current
        return current is not None and current.status in CURRENT_SIGNED

    @property
    def can_sign(self):
        return self._can_sign(self.signed, self.unsigned_stations)

    def _can_sign(self, signed, unsigned_stations):
        return (
            not signed
            and not self.pending
            and not unsigned_stations
            and not self.open_conflicts
            and self.appointment.status in REVIEWABLE_STATUSES
            and bool(self.rows)
        )

    def page_state(self):
        """What the review page reads of the checkup's state, each worked out once (the stations fold every
        row, and the page asks for them, the unsigned ones and whether it can be signed)."""
        stations = self.stations
        unsigned = _unsigned(stations)
        signed = self.signed
        return ReviewState(stations, unsigned, signed, self._can_sign(signed, unsigned))


def _unsigned(stations):
    """The Departments of ``stations`` (as ``ReviewData.stations``) whose conclusion is not signed."""
    return [s[0] for s in stations if s[3] is None or s[3].status != CONCLUSION_SIGNED]


@dataclass(frozen=True)
class ReviewState:
    """``ReviewData``'s stations, unsigned stations, ``signed`` and ``can_sign``, as the review page shows them."""

    stations: list
    unsigned_stations: list
    signed: bool
    can_sign: bool


# The review page's reads have the same shape for every checkup: their SQL is built once per process
# (core.prepared), which on this page cost about as much CPU as everything else in review_data.


def _appointment_query(appointment_id):
    return (
        Appointment.select(*Appointment._meta.sorted_fields, *Client._meta.sorted_fields, *Package._meta.sorted_fields)
        .join(Client)
        .join_from(Appointment, Package, JOIN.LEFT_OUTER)
        .where(Appointment.id == appointment_id)
    )


# the items, results and station conclusions are read as plain columns and made into model objects here
# (core/plain_models): peewee's conversions of their hundred-odd rows cost more than the reads
_ITEM_NAMES = field_names(ExamItem)
_DEPARTMENT_NAMES = field_names(Department)
_RESULT_NAMES = field_names(Result)
_CONCLUSION_NAMES = field_names(StationConclusion)
_USER_NAMES = field_names(User)
_REPORT_NAMES = field_names(Report)
# of an earlier result only what the row shows: its value and its checkup's day
_EARLIER_FIELDS = (Result.item, Result.skipped, Result.value_num, Result.value_text, Appointment.day)


def _items_query(appointment_id):
    """The appointment's items, each with its department and its result (NULLs without one: one result an
    item and appointment, a unique index)."""
    return (
        ExamItem.select(*ExamItem._meta.sorted_fields, *Department._meta.sorted_fields, *Result._meta.sorted_fields)
        .join(Department)
        .join_from(ExamItem, AppointmentItem)
        .join_from(
            ExamItem,
            Result,
            JOIN.LEFT_OUTER,
            on=((Result.item == ExamItem.id) & (Result.appointment == AppointmentItem.appointment)),
        )
        .where(AppointmentItem.appointment == appointment_id)
    )


# the review page's own read of them (``review_for(..., page=True)``): only the columns its rows, stations and
# the advice library's suggestions show (an item's price, notes and station, a result's author, time and
# language are not on the page; the snapshot signing writes reads the full rows)
_PAGE_ITEM_FIELDS = (
    ExamItem.id,
    ExamItem.code,
    ExamItem.name_en,
    ExamItem.name_zh,
    ExamItem.department,
    ExamItem.unit,
    ExamItem.result_type,
)
_PAGE_RESULT_FIELDS = (
    Result.id,
    Result.appointment,
    Result.item,
    Result.value_text,
    Result.value_num,
    Result.unit,
    Result.flag,
    Result.ref_low,
    Result.ref_high,
    Result.skipped,
    Result.skip_reason,
    Result.source,
)


def _page_items_query(appointment_id):
    """``_items_query`` with only ``_PAGE_ITEM_FIELDS`` of each item and ``_PAGE_RESULT_FIELDS`` of its result."""
    return _items_query(appointment_id).select(
        *_PAGE_ITEM_FIELDS, *Department._meta.sorted_fields, *_PAGE_RESULT_FIELDS
    )


def _earlier_results_query(client_id, day, status, appointment_id, skipped):
    """The client's results of earlier checkups in ``status`` for the items of ``appointment_id``, newest
    first (``skipped``: False, the values only): ``_EARLIER_FIELDS``."""
    items = AppointmentItem.select(AppointmentItem.item).where(AppointmentItem.appointment == appointment_id)
    return (
        Result.select(*_EARLIER_FIELDS)
        .join(Appointment)
        .where(
            Appointment.client == client_id,
            Appointment.day < day,
            Appointment.status == status,
            Result.item.in_(items),
            Result.skipped == skipped,
        )
        .order_by(Appointment.day.desc(), Result.id.desc())
    )


def _reports_query(appointment_id):
    """Every report version with its signer, newest first (read with the conclusions:
    ``_reports_conclusions_query``; tests compare the two)."""
    return (
        Report.select(Report, User)
        .join(User, JOIN.LEFT_OUTER, on=(Report.signed_by == User.id))
        .where(Report.appointment == appointment_id)
        .order_by(Report.version.desc())
    )


def _conclusions_query(appointment_id):
    """The station conclusions with their signers (read with the reports: ``_reports_conclusions_query``)."""
    signer = User.alias()
    return (
        StationConclusion.select(
            *StationConclusion._meta.sorted_fields, *(getattr(signer, name) for name in _USER_NAMES)
        )
        .join(signer, JOIN.LEFT_OUTER, on=(StationConclusion.signed_by == signer.id), attr="signed_by")
        .where(StationConclusion.appointment == appointment_id)
    )


def _reports_conclusions_query(appointment_id, report_names=None, user_names=_USER_NAMES, conclusion_names=None):
    """``_reports_query``'s rows and ``_conclusions_query``'s in one statement: two kinds of row (1: a report
    version with its signer, 2: a station conclusion with its signer), each joined to the other's columns'
    NULLs (one row of NULLs for a kind with none); reports newest version first. ``report_names``,
    ``user_names`` and ``conclusion_names``: the fields of the reports, of the signers and of the conclusions read
    (default: all)."""
    kinds = (Select(columns=[SQL("1").alias("kind")]) + Select(columns=[SQL("2")])).alias("kinds")
    kind = kinds.c.kind
    signer, concluder = User.alias(), User.alias()
    return (
        Report.select(
            kind,
            *(getattr(Report, name) for name in report_names or _REPORT_NAMES),
            *(getattr(signer, name) for name in user_names),
            *(getattr(StationConclusion, name) for name in conclusion_names or _CONCLUSION_NAMES),
            *(getattr(concluder, name) for name in user_names),
        )
        .from_(kinds)
        .join_from(kinds, Report, JOIN.LEFT_OUTER, on=((kind == 1) & (Report.appointment == appointment_id)))
        .join_from(Report, signer, JOIN.LEFT_OUTER, on=(Report.signed_by == signer.id))
        .join_from(
            kinds,
            StationConclusion,
            JOIN.LEFT_OUTER,
            on=((kind == 2) & (StationConclusion.appointment == appointment_id)),
        )
        .join_from(StationConclusion, concluder, JOIN.LEFT_OUTER, on=(StationConclusion.signed_by == concluder.id))
        .order_by(kind, Report.version.desc())
    )


def _claim_query(appointment_id):
    return (
        ChiefReview.select(ChiefReview, User)
        .join(User, on=(ChiefReview.chief == User.id))
        .where(ChiefReview.appointment == appointment_id)  # one claim per appointment (unique)
    )


def _open_conflicts_query(appointment_id, choice):
    return (
        ResultConflict.select(ResultConflict, ExamItem)
        .join(ExamItem, on=(ResultConflict.item == ExamItem.id))
        .where(ResultConflict.appointment == appointment_id, ResultConflict.choice == choice)
        .order_by(ExamItem.code, ResultConflict.id)
    )


_APPOINTMENT = PreparedSelect(_appointment_query, "checkup_review_appointment")
_ITEMS = PreparedSelect(_items_query, "checkup_review_items_results")
_PAGE_ITEMS = PreparedSelect(_page_items_query, "checkup_review_page_items_results")
_EARLIER_RESULTS = PreparedSelect(_earlier_results_query, "checkup_review_earlier_results")
_REPORTS_CONCLUSIONS = PreparedSelect(
    _reports_conclusions_query, "checkup_review_reports_conclusions", samples=(-2_000_000_031,)
)
# the review page's (``review_for(..., page=True)``): a version's results snapshot is not on the page (signing
# writes it: the largest column), nor anything of a signer but their name
_PAGE_REPORT_NAMES = tuple(name for name in field_names(Report) if name != "results_snapshot")
_PAGE_USER_NAMES = ("id", "name")
# of a station conclusion, what the stations' rows show and decide with (not who saved or reopened it, nor when)
_PAGE_CONCLUSION_NAMES = ("id", "department", "text", "status", "signed_by", "signed_at")


class PageSigner(NamedTuple):
    id: int
    name: str


class PageConclusion(NamedTuple):
    """A station conclusion as the review page reads it (``_PAGE_CONCLUSION_NAMES``), with its signer or None."""

    id: int
    department_id: int
    text: str
    status: str
    signed_by_id: int | None
    signed_at: datetime.datetime | None
    signed_by: PageSigner | None


_PAGE_REPORTS_CONCLUSIONS = PreparedSelect(
    lambda appointment_id: _reports_conclusions_query(
        appointment_id, _PAGE_REPORT_NAMES, _PAGE_USER_NAMES, _PAGE_CONCLUSION_NAMES
    ),
    "checkup_review_page_reports_conclusions",
    samples=(-2_000_000_032,),
)
_CLAIM = PreparedSelect(_claim_query, "checkup_review_claim")
_OPEN_CONFLICTS = PreparedSelect(_open_conflicts_query, "checkup_review_open_conflicts")


def review_data(appointment_id):
    """Everything the review page and the snapshot need, in ten queries whatever the item count.

    Rows: every item of the appointment with its result, abnormal first (critical, significant,
    mild), then normal, then items still pending; each with the client's previous value of that
    item from an earlier completed checkup and a trend arrow. Raises NotFound.
    """
    return _review_of(_appointment(appointment_id))


_APPOINTMENT_NAMES = field_names(Appointment)
_CLIENT_NAMES = field_names(Client)
_PACKAGE_NAMES = field_names(Package)
_CLIENT_AT = len(_APPOINTMENT_NAMES)
_PACKAGE_AT = _CLIENT_AT + len(_CLIENT_NAMES)


def _appointment(appointment_id):
    """The appointment with its client and package (None without one), as peewee would make them from the
    row (one query; no results read); raises NotFound."""
    found = _APPOINTMENT.plain(appointment_id) if valid_id(appointment_id) else []
    if not found:
        raise NotFound(_l("We could not find that appointment."))
    values = found[0]
    appointment = model_of(Appointment, _APPOINTMENT_NAMES, values[:_CLIENT_AT])
    appointment.__rel__["client"] = model_of(Client, _CLIENT_NAMES, values[_CLIENT_AT:_PACKAGE_AT])
    package = values[_PACKAGE_AT:]
    appointment.__rel__["package"] = model_of(Package, _PACKAGE_NAMES, package) if package[0] is not None else None
    return appointment


_PAGE_ITEM_NAMES = tuple(f.name for f in _PAGE_ITEM_FIELDS)
_PAGE_RESULT_NAMES = tuple(f.name for f in _PAGE_RESULT_FIELDS)


# The review page's items, departments and results (``_items(..., page=True)``) as named tuples of the columns it
# reads, not model objects: a checkup has 50-100 items, each read a dozen times by the rows, the stations, the
# advice library and the printer, and a tuple's field costs a fraction of a model's (a Python descriptor each).
# Their fields are the models' (a foreign key by its ``_id`` name); tests/exam/test_review_page_form.py compares.
class PageDepartment(NamedTuple):
    id: int
    code: str
    name_en: str
    name_zh: str
    sort_order: int


class PageItem(NamedTuple):
    id: int
    code: str
    name_en: str
    name_zh: str
    department_id: int
    unit: str
    result_type: str
    department: PageDepartment


class PageResult(NamedTuple):
    id: int
    appointment_id: int
    item_id: int
    value_text: str
    value_num: Decimal | None
    unit: str
    flag: str
    ref_low: Decimal | None
    ref_high: Decimal | None
    skipped: bool
    skip_reason: str
    source: str


def _items(appointment_id, page=False):
    """[(exam item, its Result or None)] of the appointment, each item with its department (one object per
    department); ``page``: only the fields the review page shows (``_PAGE_ITEM_FIELDS``, ``_PAGE_RESULT_FIELDS``),
    as PageItem (with its PageDepartment) and PageResult."""
    if page:
        return _page_items(appointment_id)
    width = len(_ITEM_NAMES)
    result_at = width + len(_DEPARTMENT_NAMES)
    departments = {}
    items = []
    for values in _ITEMS.plain(appointment_id):
        item = model_of(ExamItem, _ITEM_NAMES, values[:width])
        department = departments.get(values[width])
        if department is None:
            department = departments[values[width]] = model_of(Department, _DEPARTMENT_NAMES, values[width:result_at])
        item.__rel__["department"] = department
        result = model_of(Result, _RESULT_NAMES, values[result_at:]) if values[result_at] is not None else None
        items.append((item, result))
    return items


_PAGE_DEPARTMENT_AT = len(_PAGE_ITEM_NAMES)
_PAGE_RESULT_AT = _PAGE_DEPARTMENT_AT + len(_DEPARTMENT_NAMES)


def _page_items(appointment_id):
    department_at, result_at = _PAGE_DEPARTMENT_AT, _PAGE_RESULT_AT
    new_item, new_department, new_result = PageItem._make, PageDepartment._make, PageResult._make
    departments = {}
    items = []
    for values in _PAGE_ITEMS.plain(appointment_id):
        department = departments.get(values[department_at])
        if department is None:
            department = departments[values[department_at]] = new_department(values[department_at:result_at])
        item = new_item((*values[:department_at], department))
        items.append((item, new_result(values[result_at:]) if values[result_at] is not None else None))
    return items


# (select, report field names, signer field names) of the full read and of the page's
_REPORT_READS = {
    False: (_REPORTS_CONCLUSIONS, _REPORT_NAMES, _USER_NAMES),
    True: (_PAGE_REPORTS_CONCLUSIONS, _PAGE_REPORT_NAMES, _PAGE_USER_NAMES),
}


def _reports_and_conclusions(appointment_id, page=False):
    """(every report version, newest first, each with its signer, as ``_reports_query`` reads them; {department
    id: StationConclusion} of ``_conclusions_query``, each with its signer or None): one query. ``page``: the
    fields the review page shows (``_PAGE_REPORT_NAMES``, signers' ``_PAGE_USER_NAMES``), each conclusion a
    PageConclusion."""
    select, report_names, user_names = _REPORT_READS[page]
    reports, conclusions = [], {}
    signer_at = 1 + len(report_names)
    first = signer_at + len(user_names)
    concluder_at = first + (len(_PAGE_CONCLUSION_NAMES) if page else len(_CONCLUSION_NAMES))
    for values in select.plain(appointment_id):
        if values[0] == 1:
            if values[1] is not None:
                report = model_of(Report, report_names, values[1:signer_at])
                if values[signer_at] is not None:
                    report.__rel__["signed_by"] = model_of(User, user_names, values[signer_at:first])
                reports.append(report)
        elif values[first] is not None:
            signer = values[concluder_at:]
            if page:
                conclusion = PageConclusion(
                    *values[first:concluder_at], PageSigner(*signer) if signer[0] is not None else None
                )
            else:
                conclusion = model_of(StationConclusion, _CONCLUSION_NAMES, values[first:concluder_at])
                conclusion.__rel__["signed_by"] = model_of(User, user_names, signer) if signer[0] is not None else None
            conclusions[conclusion.department_id] = conclusion
    return reports, conclusions


def _review_of(appointment, claims=None, conflicts=True, earlier=True, page=False):
    """``review_data`` of ``appointment`` (``claims``: its claim already read, as a list of none or one;
    ``conflicts`` False: it is known that no instrument value waits in a conflict; ``earlier`` False: it is
    known that the client has no completed checkup before this one's day, so no previous value to read;
    ``page``: the items and results with only the fields the review page shows, ``_items``)."""
    items = _items(appointment.id, page)
    previous = {}
    if items and earlier:
        found = _EARLIER_RESULTS.plain(appointment.client_id, appointment.day, COMPLETED, appointment.id, False)
        for item_id, skipped, value_num, value_text, day in found:  # newest first: the first of each item
            if item_id not in previous:
                previous[item_id] = (skipped, value_num, value_text, day)
    keyed = []  # (ReviewRow.sort_key(), place, row): the key made in the loop, not by a call per row
    kind_order = KIND_ORDER.get
    for place, (item, result) in enumerate(items):
        department = item.department
        row = ReviewRow(item=item, department=department, result=result)
        before = previous.get(item.id)
        if before is not None:
            skipped, value_num, value_text, day = before
            # result_value of the earlier result, read as plain values
            row.previous_value = (
                "" if skipped else number_text(value_num) if value_num is not None else value_text or ""
            )
            row.previous_num = value_num
            row.previous_day = day
        if result is not None and row.done and not result.skipped:
            row.kind = finding_kind(result.flag, result.value_num, result.ref_low, result.ref_high)
            row.trend = trend_arrow(result.value_num, row.previous_num)
            if row.kind:
                row.advice_key = f"{item.code}:{direction(result.flag)}"
        order = kind_order(row.kind, 5) if row.done else 9
        keyed.append(((order, department.sort_order, department.code, item.code), place, row))
    keyed.sort()  # the place breaks ties as a stable sort by the key alone would
    rows = [row for _key, _place, row in keyed]
    chinese = is_chinese()  # localized(item), the language asked once
    # a derived item's reason names its inputs
    names = {row.item.code: row.item.name_zh if chinese and row.item.name_zh else row.item.name_en for row in rows}
    for row in rows:
        row.input_names = names
    # the report versions and the station conclusions: one query
    reports, conclusions = _reports_and_conclusions(appointment.id, page)
    # the rules of the abnormal items and the snippets of their keys: one statement (a row is abnormal when it
    # has an advice key)
    rules, snippets = advice.rules_and_snippets(
        (row.item.code for row in rows if row.abnormal), (row.advice_key for row in rows if row.advice_key)
    )
    data = ReviewData(appointment=appointment, rows=rows, reports=reports, snippets=snippets)
    data.age = age_on(appointment.client.birth_date, appointment.day) if appointment.client.birth_date else None
    data.suggestions = advice.suggest(data.abnormal_rows, appointment.client.sex, data.age, rules, snippets)
    current = data.current
    if current is not None and current.status in CURRENT_SIGNED:
        data.findings = list(Finding.select().where(Finding.report == current.id).order_by(Finding.id))
    data.conclusions = conclusions
    if claims is None:
        claims = _CLAIM.rows(appointment.id)
    data.claim = claims[0] if claims else None
    data.open_conflicts = open_conflicts(appointment.id) if conflicts else []
    return data


def open_conflicts(appointment_id):
    """The appointment's instrument values still waiting for the station doctor's choice (keep the entered
    value or take the instrument's), with their item, in item order (one query). Signing waits for them."""
    return _OPEN_CONFLICTS.rows(appointment_id, "")


def conflict_text(conflict):
    """One open conflict as the refusal lists it: "GLU (entered 5.4, instrument 5.8)"."""
    entered = number_text(conflict.entered_value) if _is_number(conflict.entered_value) else conflict.entered_value
    if not entered:
        entered = conflict.entered_skipped or "—"
    return str(
        _l(
            "%(item)s (entered %(entered)s, instrument %(instrument)s)",
            item=conflict.item.code,
            entered=entered,
            instrument=number_text(conflict.instrument_num),
        )
    )


def _is_number(text):
    try:
        Decimal(str(text))
    except ArithmeticError:
        return False
    return bool(str(text).strip())


@dataclass
class ReportText:
    """What the review and amend forms start with: the text already stored, else the library's suggestion."""

    summary: str
    advice: str
    observations: list = field(default_factory=list)  # [(level or "", text)]: the chief physician's own findings
    suggested: bool = False


def form_text(data, chinese=False):
    """The summary, advice and own observations the review or amend form shows: the current version's once
    anything was written (a draft with text, or a signed version), else the summary conclusion and advice
    suggested by the advice library (in the chief physician's language)."""
    current = data.current
    if current is not None and (current.summary or current.advice or current.status != "draft"):
        observations = [(f.level, f.text) for f in data.findings if f.source == "physician"]
        return ReportText(current.summary, current.advice, observations)
    return ReportText(suggested_summary(data, chinese), suggested_advice(data, chinese), suggested=True)


def suggested_summary(data, chinese=False):
    """The numbered summary conclusion (总检结论) from the advice library, for the chief physician to edit."""
    return advice.summary_text(data.suggestions, chinese)


def suggested_advice(data, chinese=False):
    """The numbered health advice (健康建议) from the advice library, for the chief physician to edit."""
    return advice.advice_text(data.suggestions, chinese)


def is_signed(appointment_id):
    """True once any version was signed: results are then locked."""
    return Report.select().where(Report.appointment == appointment_id, Report.status.in_(EVER_SIGNED)).exists()


# --- who may open a checkup's review ------------------------------------------------------------------


def _ties_query(appointment_id, user_id):
    """(whether ``user_id`` claimed the appointment, whether they signed a version of it): one row (none for an
    appointment that does not exist), each answer one probe of an index, run once (not per row)."""
    claimed = ChiefReview.select(SQL("1")).where(
        ChiefReview.appointment == appointment_id, ChiefReview.chief == user_id
    )
    signed = Report.select(SQL("1")).where(Report.appointment == appointment_id, Report.signed_by == user_id)
    return Appointment.select(fn.EXISTS(claimed), fn.EXISTS(signed)).where(Appointment.id == appointment_id)


# values nothing in the query equals, standing for the appointment and the user while its SQL is built
_TIES = PreparedSelect(_ties_query, "checkup_review_ties", samples=(-2_000_000_011, -2_000_000_012))


def _appointment_ties_query(appointment_id, user_id, first_day, names=None):
    """``_appointment_query``'s row followed by the appointment's claim with its chief physician (NULLs without
    one: one claim an appointment, a unique index), whether ``user_id`` signed a version of it and whether it
    waits in the review queue from ``first_day`` (``review_queue.is_ready``'s proof, run once): what
    ``review_for`` needs to find the appointment and the chief physician's relationship to it, in one query
    (none of the checkup's results is returned); last, whether any instrument value waits in a conflict
    (``open_conflicts``, read only when one does: most checkups have none), and whether the client has a
    completed checkup before this one's day (the earlier results are read only then; not one of its values
    is read here). ``names``: the fields read of the appointment, client, package and claimer (``_TIES_NAMES``,
    the default: all, or ``_PAGE_TIES_NAMES``)."""
    appointment_names, client_names, package_names, user_names = names or _TIES_NAMES
    claimer = User.alias()
    # not correlated with the outer row (an init plan, run once): this appointment joined again by its id
    this, before = Appointment.alias(), Appointment.alias()
    earlier = (
        before.select(SQL("1"))
        .join(this, on=((this.client == before.client) & (this.day > before.day)))
        .where(this.id == appointment_id, before.status == COMPLETED)
    )
    signed = Report.select(SQL("1")).where(Report.appointment == appointment_id, Report.signed_by == user_id)
    ready = review_queue.one_ready_select(first_day, appointment_id)
    open_conflict = ResultConflict.select(SQL("1")).where(
        ResultConflict.appointment == appointment_id, ResultConflict.choice == ""
    )
    return (
        Appointment.select(
            *(getattr(Appointment, name) for name in appointment_names),
            *(getattr(Client, name) for name in client_names),
            *(getattr(Package, name) for name in package_names),
            *ChiefReview._meta.sorted_fields,
            *(getattr(claimer, name) for name in user_names),
            fn.EXISTS(signed),
            fn.EXISTS(ready),
            fn.EXISTS(open_conflict),
            fn.EXISTS(earlier),
        )
        .join(Client)
        .join_from(Appointment, Package, JOIN.LEFT_OUTER)
        .join_from(Appointment, ChiefReview, JOIN.LEFT_OUTER, on=(ChiefReview.appointment == Appointment.id))
        .join_from(ChiefReview, claimer, JOIN.LEFT_OUTER, on=(claimer.id == ChiefReview.chief))
        .where(Appointment.id == appointment_id)
    )


_TIES_NAMES = (_APPOINTMENT_NAMES, _CLIENT_NAMES, _PACKAGE_NAMES, _USER_NAMES)
# the review page's (``review_for(..., page=True)``): what it shows of the appointment, its client and package
# and the claiming chief physician, and what it decides with (the client, the day, the status); the package's
# id first (NULL: none)
_PAGE_TIES_NAMES = (
    ("id", "exam_code", "client", "day", "package", "status"),
    ("id", "name", "sex", "birth_date"),
    ("id", "name_en", "name_zh"),
    ("id", "name"),
)
_APPOINTMENT_TIES = PreparedSelect(
    _appointment_ties_query,
    "checkup_review_appointment_ties",
    samples=(-2_000_000_021, -2_000_000_022, datetime.date(1, 1, 3)),
)
_PAGE_APPOINTMENT_TIES = PreparedSelect(
    lambda appointment_id, user_id, first_day: _appointment_ties_query(
        appointment_id, user_id, first_day, _PAGE_TIES_NAMES
    ),
    "checkup_review_page_appointment_ties",
    samples=(-2_000_000_023, -2_000_000_024, datetime.date(1, 1, 4)),
)
_CLAIM_NAMES = field_names(ChiefReview)
_TIES_READS = {False: (_APPOINTMENT_TIES, _TIES_NAMES), True: (_PAGE_APPOINTMENT_TIES, _PAGE_TIES_NAMES)}


def _appointment_and_ties(appointment_id, user, page=False):
    """(the appointment as ``_appointment`` makes it, its claim as ``_CLAIM`` reads it or None, whether ``user``
    signed a version of it, whether it waits in the review queue, whether an instrument value of it waits in a
    conflict, whether the client has an earlier completed checkup): one query; raises NotFound. ``page``: with
    only the fields of ``_PAGE_TIES_NAMES`` (the review page's)."""
    select, (appointment_names, client_names, package_names, user_names) = _TIES_READS[page]
    found = select.plain(appointment_id, user.id, review_queue.window_start()) if valid_id(appointment_id) else []
    if not found:
        raise NotFound(_l("We could not find that appointment."))
    values = found[0]
    client_at = len(appointment_names)
    package_at = client_at + len(client_names)
    claim_at = package_at + len(package_names)
    claimer_at = claim_at + len(_CLAIM_NAMES)
    claimer_end = claimer_at + len(user_names)
    appointment = model_of(Appointment, appointment_names, values[:client_at])
    appointment.__rel__["client"] = model_of(Client, client_names, values[client_at:package_at])
    package = values[package_at:claim_at]
    appointment.__rel__["package"] = model_of(Package, package_names, package) if package[0] is not None else None
    claim = None
    if values[claim_at] is not None:
        claim = model_of(ChiefReview, _CLAIM_NAMES, values[claim_at:claimer_at])
        claim.__rel__["chief"] = model_of(User, user_names, values[claimer_at:claimer_end])
    signed, ready, conflicts, earlier = values[claimer_end:]
    return appointment, claim, bool(signed), bool(ready), bool(conflicts), bool(earlier)


def review_relationship(user, appointment):
    """Why ``user`` may open ``appointment``'s review, draft, sign or amend it, or None.

    A chief physician's relationship to a checkup (DESIGN.md, privacy rules): it waits in the review queue
    (ready to sign, within the window: ``review_queue.ready_ids``) — "review_queue"; they claimed it with a draft —
    "review_claim"; they signed a version of it (the first or an amendment) — "signed_report". Anything else
    — a published report another chief physician signed, an old checkup out of the window — only through a
    running break-the-glass access to the client ("break_glass"), as for a physician. At most three small
    queries, each on an index (whether they claimed or signed it is one)."""
    if user is None or appointment is None:
        return None

    def ties():
        found = _TIES.plain(appointment.id, user.id)
        claimed, signed = found[0] if found else (False, False)
        return claimed, signed, lambda: review_queue.is_ready(appointment.id)

    return _relationship(user, appointment, ties)


def _relationship(user, appointment, ties):
    """``review_relationship``'s answer, ``ties()`` giving (claimed by ``user``, signed by ``user``, a callable
    telling whether it waits in the review queue): asked only of a chief physician, in this order."""
    if user.has_role(CHIEF):
        claimed, signed, ready = ties()
        if claimed:
            return "review_claim"
        if signed:
            return "signed_report"
        if ready():
            return "review_queue"
    if care_access.active_grant(user.id, appointment.client_id) is not None:
        return "break_glass"
    return None


def require_review(actor, appointment):
    """The acting user's relationship to ``appointment`` (see ``review_relationship``); raises
    care_access.NoCareRelationship (the break-the-glass form) without one."""
    found = review_relationship(actor.user, appointment)
    if found is None:
        raise care_access.NoCareRelationship(appointment.client_id)
    return found


def review_for(actor, appointment_id, page=False):
    """``review_data`` for the acting chief physician: NotFound when the appointment does not exist,
    NoCareRelationship when they have no relationship to it (``require_review``). Nothing of the checkup's
    results is read before that check. ``page``: for showing the review page only, its rows with only the
    fields it shows (not for signing: the snapshot keeps more)."""
    user = actor.user
    if user is None:
        appointment = _appointment(appointment_id)
        require_review(actor, appointment)  # raises: nobody signed in has no relationship
        return _review_of(appointment)
    # the appointment, its claim and the chief physician's ties to it read together (one query, no result);
    # the relationship then decided from them as review_relationship decides it, in the same order
    appointment, claim, signed, ready, conflicts, earlier = _appointment_and_ties(appointment_id, user, page)
    claimed = claim is not None and claim.chief_id == user.id  # one claim an appointment
    if _relationship(user, appointment, lambda: (claimed, signed, lambda: ready)) is None:
        raise care_access.NoCareRelationship(appointment.client_id)
    claims = [claim] if claim is not None else []
    return _review_of(appointment, claims=claims, conflicts=conflicts, earlier=earlier, page=page)


def appointment_for_review(actor, appointment_id):
    """The appointment itself (no results read) once ``require_review`` lets the acting user at it; NotFound
    when it does not exist."""
    appointment = Appointment.get_or_none(Appointment.id == appointment_id) if isinstance(appointment_id, int) else None
    if appointment is None:
        raise NotFound(_l("We could not find that appointment."))
    require_review(actor, appointment)
    return appointment
