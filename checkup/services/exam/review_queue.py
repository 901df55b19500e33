"""The chief physicians' review queue (主检): the checkups ready to sign, oldest first, within a window of
recent days; who is reviewing which; each chief physician's workload today; the latest signed reports.

A checkup is ready when it is checked in within the window, every item is resulted or skipped, every
station's conclusion is signed, and no version of its report was signed (``ready_ids``). Being in the
queue is also a chief physician's relationship to the checkup (``report_review.review_relationship``).
"""

import datetime
from dataclasses import dataclass

from peewee import JOIN, SQL, Select, fn

from checkup.core import change_marks, clock
from checkup.core.pagination import Page, counted_page, whole_count
from checkup.core.plain_models import model_of
from checkup.core.prepared import PreparedSelect
from checkup.models import (
    Appointment,
    AppointmentItem,
    Client,
    ExamItem,
    Package,
    Report,
    Result,
    ResultConflict,
    StationConclusion,
    User,
    UserRole,
)
from checkup.models.accounts import CHIEF
from checkup.models.appointments import CHECKED_IN
from checkup.models.results import PUBLISHED, SIGNED, SUPERSEDED
from checkup.models.review import CONCLUSION_SIGNED, ChiefReview

CURRENT_SIGNED = (SIGNED, PUBLISHED)  # the version in force once signed
EVER_SIGNED = (SIGNED, PUBLISHED, SUPERSEDED)
REVIEW_PAGE_SIZE = 50
# The review queue holds the checkups of the last REVIEW_WINDOW_DAYS days: an older checked-in appointment
# nobody finished (abandoned, a test booking) is not read again at every page; a chief physician opens it by
# breaking the glass, and the front desk closes it.
REVIEW_WINDOW_DAYS = 30


def window_start():
    """The first day of the review queue's window (``REVIEW_WINDOW_DAYS`` back from today)."""
    return clock.today() - datetime.timedelta(days=REVIEW_WINDOW_DAYS)


def ready_ids():
    """Ids of the appointments ready to sign, oldest first: checked in within the window (the last
    ``REVIEW_WINDOW_DAYS`` days), every item resulted or skipped, every station's conclusion signed, no version
    signed (a select of one column, ``id``).

    The candidates are read off the appointment (status, day, id) index (migration 0023): only the window's
    checked-in appointments, in queue order, whatever the number of older ones.

    Only checked-in appointments are candidates: ``reports.sign`` completes the appointment in the
    signing transaction, so a completed one has its signed version (the anti-join still keeps any signed
    one out). See ``_ready_select`` for how the proof is read."""
    return _ready_select(window_start())


def _ready_select(first_day, appointment_id=None, shown=False):
    """``ready_ids``'s query from ``first_day`` (narrowed to ``appointment_id`` when given; the statuses and
    flags are constants of the SQL: the prepared selects below give only the day and their own values).
    ``shown``: each row is what the queue shows (``_queue_rows`` reads it: the exam code, the client's name,
    the package and its names in both languages, the reviewing chief physician's name, the open conflicts of
    instrument values) and the whole list's count last (``whole_count``), instead of the id alone.

    Two steps, each a materialized CTE so that the planner keeps them apart: first the candidates, each
    proved by a few index probes (checked in, in the window, no signed version, some item, some signed
    station conclusion: most of the window's appointments, stations still at work, leave here); then, for
    those few dozen only, their items, done results and signed conclusions are each read as one index range
    per candidate and matched by hash — not one probe of the result and conclusion indexes per item (~60
    items a checkup: 3,600 probes, 13 ms of the page on a big center, against ~6 ms)."""
    signed_version = Report.select(SQL("1")).where(Report.appointment == Appointment.id, Report.status.in_(EVER_SIGNED))
    has_items = AppointmentItem.select(SQL("1")).where(AppointmentItem.appointment == Appointment.id)
    # implied by the proof of the stations below (an item's station needs its signed conclusion), but one
    # probe of the (appointment, status) index: most candidates (checked in today, stations still at work)
    # have no signed conclusion yet and leave here
    any_station_signed = StationConclusion.select(SQL("1")).where(
        StationConclusion.appointment == Appointment.id, StationConclusion.status == CONCLUSION_SIGNED
    )
    candidates = Appointment.select(Appointment.id, Appointment.day).where(
        Appointment.status == CHECKED_IN,
        Appointment.day >= first_day,
        ~fn.EXISTS(signed_version),
        fn.EXISTS(has_items),
        fn.EXISTS(any_station_signed),
    )
    if appointment_id is not None:
        candidates = candidates.where(Appointment.id == appointment_id)
    candidate = candidates.cte("review_candidate", materialized=True)
    items = (
        AppointmentItem.select(AppointmentItem.appointment, AppointmentItem.item)
        .join(candidate, on=(AppointmentItem.appointment == candidate.c.id))
        .cte("review_item", materialized=True)
    )
    done = (Result.skipped == True) | Result.value_num.is_null(False) | (Result.value_text != "")  # noqa: E712
    resulted = (
        Result.select(Result.appointment, Result.item)
        .join(candidate, on=(Result.appointment == candidate.c.id))
        .where(done)
        .cte("review_resulted", materialized=True)
    )
    station_signed = (
        StationConclusion.select(StationConclusion.appointment, StationConclusion.department)
        .join(candidate, on=(StationConclusion.appointment == candidate.c.id))
        .where(StationConclusion.status == CONCLUSION_SIGNED)
        .cte("review_station_signed", materialized=True)
    )
    # the candidates with an item not resulted or at a station whose conclusion is not signed
    blocked = (
        items.select_from(items.c.appointment_id)
        .join(ExamItem, on=(ExamItem.id == items.c.item_id))
        .join(
            resulted,
            JOIN.LEFT_OUTER,
            on=((resulted.c.appointment_id == items.c.appointment_id) & (resulted.c.item_id == items.c.item_id)),
        )
        .join(
            station_signed,
            JOIN.LEFT_OUTER,
            on=(
                (station_signed.c.appointment_id == items.c.appointment_id)
                & (station_signed.c.department_id == ExamItem.department)
            ),
        )
        .where(resulted.c.item_id.is_null() | station_signed.c.department_id.is_null())
        .cte("review_blocked", materialized=True)
    )
    is_blocked = Select((blocked,), (SQL("1"),)).where(blocked.c.appointment_id == candidate.c.id)
    ctes = [candidate, items, resulted, station_signed, blocked]
    if not shown:
        query = candidate.select_from(candidate.c.id)
    else:  # joined to the ready appointments only (a few dozen), never to the window's candidates
        # the instrument values still to settle (services/exam/result_conflicts), by candidate
        conflicts = (
            ResultConflict.select(ResultConflict.appointment, fn.COUNT(ResultConflict.id).alias("open"))
            .join(candidate, on=(ResultConflict.appointment == candidate.c.id))
            .where(ResultConflict.choice == "")
            .group_by(ResultConflict.appointment)
            .cte("review_conflicts", materialized=True)
        )
        ctes.append(conflicts)
        query = (
            candidate.select_from(
                candidate.c.id,
                candidate.c.day,
                Appointment.exam_code,
                Client.id,
                Client.name,
                Appointment.package,
                Package.code,
                Package.name_en,
                Package.name_zh,
                User.name,
                fn.COALESCE(conflicts.c.open, SQL("0")),
                whole_count(),
            )
            .join(Appointment, on=(Appointment.id == candidate.c.id))
            .join(Client, on=(Client.id == Appointment.client))
            .join(Package, JOIN.LEFT_OUTER, on=(Package.id == Appointment.package))
            .join(ChiefReview, JOIN.LEFT_OUTER, on=(ChiefReview.appointment == Appointment.id))
            .join(User, JOIN.LEFT_OUTER, on=(User.id == ChiefReview.chief))
            .join(conflicts, JOIN.LEFT_OUTER, on=(conflicts.c.appointment_id == candidate.c.id))
        )
    return query.where(~fn.EXISTS(is_blocked)).order_by(candidate.c.day, candidate.c.id).with_cte(*ctes)


# values nothing in the queries equals, standing for the parameters while their SQL is built (core/prepared)
_SAMPLE_DAY = datetime.date(1, 1, 2)
_SAMPLE_ID, _SAMPLE_LIMIT, _SAMPLE_OFFSET = -2_000_000_001, -2_000_000_002, -2_000_000_003


def one_ready_select(first_day, appointment_id):
    """``_ready_select`` narrowed to one appointment (``is_ready``'s query; the review page asks it within
    its first read, services/exam/report_review)."""
    return _ready_select(first_day, appointment_id)


def _ready_page_select(first_day, limit, offset):
    """One page of ``_ready_select``'s shown rows."""
    return _ready_select(first_day, shown=True).limit(limit).offset(offset)


_ONE_READY = PreparedSelect(one_ready_select, "checkup_review_one_ready", samples=(_SAMPLE_DAY, _SAMPLE_ID))
_READY_PAGE = PreparedSelect(
    _ready_page_select, "checkup_review_ready_page", samples=(_SAMPLE_DAY, _SAMPLE_LIMIT, _SAMPLE_OFFSET)
)


def is_ready(appointment_id):
    """Whether the appointment waits in the review queue (``ready_ids``), in one query whose SQL is built
    once per process (drafting, signing and amending ask it; the review page asks the same proof within its
    first read, report_review.review_for)."""
    return bool(_ONE_READY.plain(window_start(), appointment_id))


@dataclass(frozen=True, slots=True)
class QueueClient:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class QueuePackage:
    id: int
    code: str
    name_en: str
    name_zh: str


@dataclass(frozen=True, slots=True)
class QueueRow:
    """An appointment of the review queue as the queue shows it (plain values, not models: a page of 50
    costs no model rows): ``package_name`` in the page's language as ``core.i18n.localized`` names it (None
    without a package), ``reviewer_name`` the chief physician reviewing it (None: nobody yet)."""

    id: int
    day: datetime.date
    exam_code: str
    client: QueueClient
    package: QueuePackage | None
    package_name: str | None
    reviewer_name: str | None
    conflicts: int  # instrument values still to settle (services/exam/result_conflicts)


def _queue_rows(rows, chinese):
    """[QueueRow] from the shown rows of ``_ready_select`` (the count, last, dropped when there)."""
    made = []
    for row in rows:
        appointment_id, day, exam_code, client_id, client_name, package_id, code, name_en, name_zh = row[:9]
        package = None if package_id is None else QueuePackage(package_id, code, name_en, name_zh)
        name = None if package is None else (name_zh or name_en) if chinese else name_en
        client = QueueClient(client_id, client_name)
        made.append(QueueRow(appointment_id, day, exam_code, client, package, name, row[9], row[10]))
    return made


def _with_client_and_package(ids):
    """The appointments ``ids`` with their client and package, in the ready list's order (one query): only
    what the queue shows (day, exam code, client name, package code and name)."""
    if not ids:
        return []
    return list(
        Appointment.select(
            Appointment.id,
            Appointment.day,
            Appointment.exam_code,
            Appointment.package,
            Client.id,
            Client.name,
            Package.id,
            Package.code,
            Package.name_en,
            Package.name_zh,
        )
        .join(Client)
        .join_from(Appointment, Package, JOIN.LEFT_OUTER)
        .where(Appointment.id.in_(ids))
        .order_by(Appointment.day, Appointment.id)
    )


def review_queue(page=1, per_page=REVIEW_PAGE_SIZE, chinese=False):
    """One page of the appointments ready to sign (see ``ready_ids``), oldest first, as ``QueueRow``s
    (``chinese``: the packages' names in Chinese), in one prepared query whatever the number of
    appointments or reports: the page's rows counted with the whole list (a window count)."""
    number = max(1, page or 1)
    rows = _READY_PAGE.plain(window_start(), per_page, (number - 1) * per_page)
    if rows or number == 1:
        total = rows[0][-1] if rows else 0
        result = Page(rows, number, max(1, -(-total // per_page)), total, per_page)
    else:  # past the end: counted and clamped as counted_page does
        result = counted_page(_ready_select(window_start(), shown=True), number, per_page)
    result.items = _queue_rows(result.items, chinese)
    return result


KEPT_PAGES = 10  # pages of the queue shared until anything it follows changes; later ones are read


def kept_review_queue(page=1, chinese=False):
    """``review_queue`` as the chief physicians open it: shared until anything it follows changes
    (core/change_marks: appointments, their items, results, station conclusions, reports, chief reviews,
    result conflicts, clients) or for 2 s at most; a page past KEPT_PAGES is read on every call. Signing
    proves readiness again (``is_ready``), so a page a moment old never lets anyone sign what is not ready."""
    number = max(1, page or 1)
    if number > KEPT_PAGES:
        return review_queue(number, chinese=chinese)
    return change_marks.kept_until_change(
        f"review.queue.{window_start().isoformat()}.{number}.{int(bool(chinese))}",
        lambda: review_queue(number, chinese=chinese),
    )


def reviewers_of(appointments):
    """{appointment id: the chief physician (User) reviewing it} for a page of appointments (one query)."""
    ids = [a.id for a in appointments]
    if not ids:
        return {}
    query = (
        ChiefReview.select(ChiefReview, User)
        .join(User, on=(ChiefReview.chief == User.id))
        .where(ChiefReview.appointment.in_(ids))
    )
    return {c.appointment_id: c.chief for c in query}


@dataclass
class Workload:
    chief: User
    signed_today: int = 0
    in_progress: int = 0


def _signed_on_day_select(day_start, day_end):
    """(chief physician id, reports signed) between ``day_start`` and ``day_end`` (UTC), off the (signed_at, id)
    index."""
    return (
        Report.select(Report.signed_by, fn.COUNT(Report.id))
        .where(Report.signed_at >= day_start, Report.signed_at < day_end, Report.signed_by.is_null(False))
        .group_by(Report.signed_by)
    )


def _chiefs_select():
    """The active chief physicians, each with ``in_progress``: the checkups they claimed (a draft saved)."""
    return (
        User.select(User, fn.COUNT(ChiefReview.id).alias("in_progress"))
        .join(UserRole, on=(UserRole.user == User.id))
        .switch(User)
        .join(ChiefReview, JOIN.LEFT_OUTER, on=(ChiefReview.chief == User.id))
        .where(UserRole.role == CHIEF, User.is_active == True)  # noqa: E712
        .group_by(User.id)
    )


# the review home page asks them on every view: their SQL built once per process (core/prepared)
_SIGNED_ON_DAY = PreparedSelect(_signed_on_day_select, "checkup_review_signed_on_day")
_CHIEFS = PreparedSelect(_chiefs_select, "checkup_review_chiefs", samples=())


def signed_on_day(day=None):
    """{chief physician id: reports (first versions and amendments) signed on ``day``} (today, in the center's
    time zone), one query off the (signed_at, id) index."""
    day = day or clock.today()
    day_start = clock.local(day, datetime.time(0)).astimezone(datetime.UTC).replace(tzinfo=None)
    day_end = day_start + datetime.timedelta(days=1)
    return dict(_SIGNED_ON_DAY.plain(day_start, day_end))


def chief_workload(day=None, signed=None):
    """[Workload] of every active chief physician: reports (first versions and amendments) signed on ``day``
    (today, in the center's time zone) and checkups under review, most signed first. Two queries: the day's
    reports read off the (signed_at, id) index (``signed_on_day``; none when ``signed`` gives them), and the
    chiefs with their claims — never the history."""
    if signed is None:
        signed = signed_on_day(day)
    rows = [Workload(chief=u, signed_today=signed.get(u.id, 0), in_progress=u.in_progress) for u in _CHIEFS.rows()]
    return sorted(rows, key=lambda w: (-w.signed_today, -w.in_progress, w.chief.name))


def ready_for_review(limit=200):
    """The first ``limit`` appointments ready to sign, oldest first (two queries)."""
    return _with_client_and_package([appointment_id for (appointment_id,) in ready_ids().limit(limit).tuples()])


def _recently_signed_select(limit):
    return (
        Report.select(
            Report.id,
            Report.appointment,
            Report.version,
            Report.status,
            Report.signed_at,
            Report.pdf_state,
            Appointment.id,
            Appointment.exam_code,
            Client.id,
            Client.name,
        )
        .join(Appointment)
        .join(Client)
        .where(Report.status.in_(CURRENT_SIGNED))
        .order_by(Report.signed_at.desc(), Report.id.desc())
        .limit(limit)
    )


_RECENTLY_SIGNED = PreparedSelect(_recently_signed_select, "checkup_review_recently_signed", samples=(_SAMPLE_LIMIT,))


_SIGNED_REPORT_NAMES = ("id", "appointment", "version", "status", "signed_at", "pdf_state")


def recently_signed(limit=20):
    """The latest signed versions with their PDF state, newest first (for the review home page): only what
    it shows (no snapshot, summary or advice); one query whose SQL is built once per process, its plain
    rows made into the reports with their appointment and client as peewee would."""
    signed = []
    for values in _RECENTLY_SIGNED.plain(limit):
        report = model_of(Report, _SIGNED_REPORT_NAMES, values[:6])
        appointment = model_of(Appointment, ("id", "exam_code", "client"), values[6:9])
        appointment.__rel__["client"] = model_of(Client, ("id", "name"), values[8:10])
        report.__rel__["appointment"] = appointment
        signed.append(report)
    return signed


@dataclass(frozen=True, slots=True)
class ReviewHome:
    """What the review home page shows of the clinical data: a page of the queue, the latest signed reports
    and the reports each chief physician signed today ({user id: count})."""

    ready: Page
    signed: list
    signed_today: dict


def kept_review_home(page=1, chinese=False):
    """``ReviewHome`` for the review home page, shared by every chief physician until anything it follows
    changes (core/change_marks: the queue as ``kept_review_queue``; the signed reports, their PDF state, their
    appointment and client are all followed) or for 2 s at most: one read of the mark instead of the day's
    signed reports and the latest ones on every view. A page past KEPT_PAGES is read on every call. The chief
    physicians themselves (names, accounts) are not followed: ``chief_workload`` reads them each time."""
    number = max(1, page or 1)

    def read():
        return ReviewHome(review_queue(number, chinese=chinese), recently_signed(), signed_on_day())

    if number > KEPT_PAGES:
        return read()
    return change_marks.kept_until_change(
        f"review.home.{window_start().isoformat()}.{number}.{int(bool(chinese))}", read
    )
