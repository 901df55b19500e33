"""Reading an appointment for review: rows with flags and previous values, findings implied, advice
suggested; the report states and the follow-up rule table. Pure reads — signing is in reports.py."""

import datetime
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from peewee import JOIN, SQL, fn

from checkup.core.errors import NotFound
from checkup.core.pagination import paginate
from checkup.models import (
    AdviceSnippet,
    Appointment,
    AppointmentItem,
    Client,
    Department,
    ExamItem,
    Finding,
    Package,
    Report,
    Result,
    User,
)
from checkup.models.appointments import CHECKED_IN, COMPLETED
from checkup.models.results import (
    ABNORMAL,
    CRITICAL_FLAGS,
    CRITICAL_HIGH,
    CRITICAL_LOW,
    HIGH,
    LOW,
    PUBLISHED,
    SIGNED,
    SUPERSEDED,
)
from checkup.services.catalog.care_rules import KIND_ORDER

CURRENT_SIGNED = (SIGNED, PUBLISHED)  # the version in force once signed
EVER_SIGNED = (SIGNED, PUBLISHED, SUPERSEDED)
REVIEWABLE_STATUSES = (CHECKED_IN, COMPLETED)

# The rule table shipped by migration 0003; used for any kind the admin's table lacks.
# H/L beyond the bound by more than this share of the range width is "significant", else "mild".
SIGNIFICANT_SHARE = Decimal("0.2")
VERIFICATION_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY34679"
MAX_OBSERVATIONS = 20
REVIEW_PAGE_SIZE = 50


# --- small pure helpers -----------------------------------------------------------------------------


def number_text(value):
    """A Decimal as people write it: no exponent, no trailing zeros ("5.40" -> "5.4")."""
    if value is None:
        return ""
    value = Decimal(value)
    text = format(value, "f")
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

    @property
    def done(self):
        return self.result is not None and result_is_done(self.result)

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
        return (
            not self.signed and not self.pending and self.appointment.status in REVIEWABLE_STATUSES and bool(self.rows)
        )


def review_data(appointment_id):
    """Everything the review page and the snapshot need, in seven queries whatever the item count.

    Rows: every item of the appointment with its result, abnormal first (critical, significant,
    mild), then normal, then items still pending; each with the client's previous value of that
    item from an earlier completed checkup and a trend arrow. Raises NotFound.
    """
    appointment = (
        Appointment.select(Appointment, Client, Package)
        .join(Client)
        .join_from(Appointment, Package, JOIN.LEFT_OUTER)
        .where(Appointment.id == appointment_id)
        .first()
    )
    if appointment is None:
        raise NotFound(_l("We could not find that appointment."))
    items = list(
        ExamItem.select(ExamItem, Department)
        .join(Department)
        .join_from(ExamItem, AppointmentItem)
        .where(AppointmentItem.appointment == appointment.id)
    )
    results = {r.item_id: r for r in Result.select().where(Result.appointment == appointment.id)}
    item_ids = [item.id for item in items]
    previous = {}
    if item_ids:
        earlier = (
            Result.select(Result, Appointment)
            .join(Appointment)
            .where(
                Appointment.client == appointment.client_id,
                Appointment.day < appointment.day,
                Appointment.status == COMPLETED,
                Result.item.in_(item_ids),
                Result.skipped == False,
            )
            .order_by(Appointment.day.desc(), Result.id.desc())
        )
        for row in earlier:
            previous.setdefault(row.item_id, row)
    rows = []
    for item in items:
        result = results.get(item.id)
        row = ReviewRow(item=item, department=item.department, result=result)
        before = previous.get(item.id)
        if before is not None:
            row.previous_value = result_value(before)
            row.previous_num = before.value_num
            row.previous_day = before.appointment.day
        if result is not None and result_is_done(result) and not result.skipped:
            row.kind = finding_kind(result.flag, result.value_num, result.ref_low, result.ref_high)
            row.trend = trend_arrow(result.value_num, row.previous_num)
            if row.kind:
                row.advice_key = f"{item.code}:{direction(result.flag)}"
        rows.append(row)
    rows.sort(key=ReviewRow.sort_key)
    reports = list(
        Report.select(Report, User)
        .join(User, JOIN.LEFT_OUTER, on=(Report.signed_by == User.id))
        .where(Report.appointment == appointment.id)
        .order_by(Report.version.desc())
    )
    keys = sorted({row.advice_key for row in rows if row.advice_key})
    snippets = {s.key: s for s in AdviceSnippet.select().where(AdviceSnippet.key.in_(keys))} if keys else {}
    data = ReviewData(appointment=appointment, rows=rows, reports=reports, snippets=snippets)
    current = data.current
    if current is not None and current.status in CURRENT_SIGNED:
        data.findings = list(Finding.select().where(Finding.report == current.id).order_by(Finding.id))
    return data


def suggested_advice(data, chinese=False):
    """Advice snippets for the abnormal results, one paragraph each, for the physician to edit."""
    texts = []
    for row in data.abnormal_rows:
        snippet = data.snippets.get(row.advice_key)
        if snippet is None:
            continue
        text = (snippet.text_zh if chinese and snippet.text_zh else snippet.text_en).strip()
        if text and text not in texts:
            texts.append(text)
    return "\n\n".join(texts)


def _ready_ids():
    """Ids of the appointments ready to sign, oldest first: checked in, every item resulted or skipped,
    no version signed.

    Only checked-in appointments are candidates: ``reports.sign`` completes the appointment in the
    signing transaction, so a completed one has its signed version (the anti-join still keeps any signed
    one out). Anti-joins, not ``NOT IN``: each candidate costs a probe of the report (appointment,
    version), appointment item and result (appointment, item) indexes, whatever the number of reports.
    """
    signed = Report.select(SQL("1")).where(Report.appointment == Appointment.id, Report.status.in_(EVER_SIGNED))
    has_items = AppointmentItem.select(SQL("1")).where(AppointmentItem.appointment == Appointment.id)
    done = (Result.skipped == True) | Result.value_num.is_null(False) | (Result.value_text != "")
    resulted = Result.select(SQL("1")).where(
        Result.appointment == AppointmentItem.appointment, Result.item == AppointmentItem.item, done
    )
    unfinished = AppointmentItem.select(SQL("1")).where(
        AppointmentItem.appointment == Appointment.id, ~fn.EXISTS(resulted)
    )
    return (
        Appointment.select(Appointment.id)
        .where(Appointment.status == CHECKED_IN, ~fn.EXISTS(signed), fn.EXISTS(has_items), ~fn.EXISTS(unfinished))
        .order_by(Appointment.day, Appointment.id)
    )


def _with_client_and_package(ids):
    """The appointments ``ids`` with their client and package, in the ready list's order (one query)."""
    if not ids:
        return []
    return list(
        Appointment.select(Appointment, Client, Package)
        .join(Client)
        .join_from(Appointment, Package, JOIN.LEFT_OUTER)
        .where(Appointment.id.in_(ids))
        .order_by(Appointment.day, Appointment.id)
    )


def review_queue(page=1, per_page=REVIEW_PAGE_SIZE):
    """One page of the appointments ready to sign (see ``_ready_ids``), oldest first, in three queries
    whatever the number of appointments or reports: the count, the page's ids, their rows. The clients
    and packages are joined to the page only, never to every candidate."""
    result = paginate(_ready_ids(), page, per_page)
    result.items = _with_client_and_package([row.id for row in result.items])
    return result


def ready_for_review(limit=200):
    """The first ``limit`` appointments ready to sign, oldest first (two queries)."""
    return _with_client_and_package([row.id for row in _ready_ids().limit(limit)])


def recently_signed(limit=20):
    """The latest signed versions with their PDF state, newest first (for the review home page)."""
    return list(
        Report.select(Report, Appointment, Client)
        .join(Appointment)
        .join(Client)
        .where(Report.status.in_(CURRENT_SIGNED))
        .order_by(Report.signed_at.desc(), Report.id.desc())
        .limit(limit)
    )


def is_signed(appointment_id):
    """True once any version was signed: results are then locked."""
    return Report.select().where(Report.appointment == appointment_id, Report.status.in_(EVER_SIGNED)).exists()
