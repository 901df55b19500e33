"""The chief physicians' review queue (主检): the checkups ready to sign, oldest first, within a window of
recent days; who is reviewing which; each chief physician's workload today; the latest signed reports.

A checkup is ready when it is checked in within the window, every item is resulted or skipped, every
station's conclusion is signed, and no version of its report was signed (``ready_ids``). Being in the
queue is also a chief physician's relationship to the checkup (``report_review.review_relationship``).
"""

import datetime
from dataclasses import dataclass

from peewee import JOIN, SQL, fn

from checkup.core import clock
from checkup.core.pagination import Page, counted_page, whole_count
from checkup.core.prepared import PreparedSelect
from checkup.models import (
    Appointment,
    AppointmentItem,
    Client,
    ExamItem,
    Package,
    Report,
    Result,
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
    signed.

    The candidates are read off the appointment (status, day, id) index (migration 0023): only the window's
    checked-in appointments, in queue order, whatever the number of older ones.

    Only checked-in appointments are candidates: ``reports.sign`` completes the appointment in the
    signing transaction, so a completed one has its signed version (the anti-join still keeps any signed
    one out). Anti-joins, not ``NOT IN``: each candidate costs a probe of the report (appointment,
    version), appointment item and result (appointment, item) indexes, whatever the number of reports.
    """
    return _ready_select(window_start())


def _ready_select(first_day):
    """``ready_ids``'s query from ``first_day`` (the statuses and flags are constants of the SQL: the prepared
    selects below give only the day and their own values)."""
    signed_version = Report.select(SQL("1")).where(Report.appointment == Appointment.id, Report.status.in_(EVER_SIGNED))
    has_items = AppointmentItem.select(SQL("1")).where(AppointmentItem.appointment == Appointment.id)
    # implied by the proof of the stations below (an item's station needs its signed conclusion), but one
    # probe of the (appointment, status) index: most candidates (checked in today, stations still at work)
    # have no signed conclusion yet and leave here, before each of their items is probed
    any_station_signed = StationConclusion.select(SQL("1")).where(
        StationConclusion.appointment == Appointment.id, StationConclusion.status == CONCLUSION_SIGNED
    )
    done = (Result.skipped == True) | Result.value_num.is_null(False) | (Result.value_text != "")  # noqa: E712
    resulted = Result.select(SQL("1")).where(
        Result.appointment == AppointmentItem.appointment, Result.item == AppointmentItem.item, done
    )
    unfinished = AppointmentItem.select(SQL("1")).where(
        AppointmentItem.appointment == Appointment.id, ~fn.EXISTS(resulted)
    )
    station_signed = StationConclusion.select(SQL("1")).where(
        StationConclusion.appointment == AppointmentItem.appointment,
        StationConclusion.department == ExamItem.department,
        StationConclusion.status == CONCLUSION_SIGNED,
    )
    unsigned_station = (
        AppointmentItem.select(SQL("1"))
        .join(ExamItem, on=(AppointmentItem.item == ExamItem.id))
        .where(AppointmentItem.appointment == Appointment.id, ~fn.EXISTS(station_signed))
    )
    return (
        Appointment.select(Appointment.id)
        .where(
            Appointment.status == CHECKED_IN,
            Appointment.day >= first_day,
            ~fn.EXISTS(signed_version),
            fn.EXISTS(has_items),
            fn.EXISTS(any_station_signed),
            ~fn.EXISTS(unfinished),
            ~fn.EXISTS(unsigned_station),
        )
        .order_by(Appointment.day, Appointment.id)
    )


# values nothing in the queries equals, standing for the parameters while their SQL is built (core/prepared)
_SAMPLE_DAY = datetime.date(1, 1, 2)
_SAMPLE_ID, _SAMPLE_LIMIT, _SAMPLE_OFFSET = -2_000_000_001, -2_000_000_002, -2_000_000_003


def _one_ready_select(first_day, appointment_id):
    """``_ready_select`` narrowed to one appointment."""
    return _ready_select(first_day).where(Appointment.id == appointment_id)


def _ready_page_select(first_day, limit, offset):
    """One page of ``_ready_select``'s ids, each with the whole list's count (``whole_count``)."""
    return _ready_select(first_day).select_extend(whole_count()).limit(limit).offset(offset)


_ONE_READY = PreparedSelect(_one_ready_select, "checkup_review_one_ready", samples=(_SAMPLE_DAY, _SAMPLE_ID))
_READY_PAGE = PreparedSelect(
    _ready_page_select, "checkup_review_ready_page", samples=(_SAMPLE_DAY, _SAMPLE_LIMIT, _SAMPLE_OFFSET)
)


def is_ready(appointment_id):
    """Whether the appointment waits in the review queue (``ready_ids``), in one query whose SQL is built
    once per process (every review page asks it)."""
    return bool(_ONE_READY.plain(window_start(), appointment_id))


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


def review_queue(page=1, per_page=REVIEW_PAGE_SIZE):
    """One page of the appointments ready to sign (see ``ready_ids``), oldest first, in two queries
    whatever the number of appointments or reports: the page's ids counted with the whole list (a window
    count), their rows. The clients and packages are joined to the page only, never to every candidate."""
    number = max(1, page or 1)
    rows = _READY_PAGE.plain(window_start(), per_page, (number - 1) * per_page)
    if rows or number == 1:
        total = rows[0][-1] if rows else 0
        result = Page([row[:-1] for row in rows], number, max(1, -(-total // per_page)), total, per_page)
    else:  # past the end: counted and clamped as counted_page does
        result = counted_page(ready_ids().select_extend(whole_count()), number, per_page)
    result.items = _with_client_and_package([appointment_id for (appointment_id,) in result.items])
    return result


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


def chief_workload(day=None):
    """[Workload] of every active chief physician: reports (first versions and amendments) signed on ``day``
    (today, in the center's time zone) and checkups under review, most signed first. Two queries: the day's
    reports read off the (signed_at, id) index, and the chiefs with their claims — never the history."""
    day = day or clock.today()
    day_start = clock.local(day, datetime.time(0)).astimezone(datetime.UTC).replace(tzinfo=None)
    day_end = day_start + datetime.timedelta(days=1)
    signed = {
        row["signed_by"]: row["n"]
        for row in Report.select(Report.signed_by, fn.COUNT(Report.id).alias("n"))
        .where(Report.signed_at >= day_start, Report.signed_at < day_end, Report.signed_by.is_null(False))
        .group_by(Report.signed_by)
        .dicts()
    }
    claimed = fn.COUNT(ChiefReview.id)
    chiefs = (
        User.select(User, claimed.alias("in_progress"))
        .join(UserRole, on=(UserRole.user == User.id))
        .switch(User)
        .join(ChiefReview, JOIN.LEFT_OUTER, on=(ChiefReview.chief == User.id))
        .where(UserRole.role == CHIEF, User.is_active == True)
        .group_by(User.id)
    )
    rows = [Workload(chief=u, signed_today=signed.get(u.id, 0), in_progress=u.in_progress) for u in chiefs]
    return sorted(rows, key=lambda w: (-w.signed_today, -w.in_progress, w.chief.name))


def ready_for_review(limit=200):
    """The first ``limit`` appointments ready to sign, oldest first (two queries)."""
    return _with_client_and_package([row.id for row in ready_ids().limit(limit)])


def recently_signed(limit=20):
    """The latest signed versions with their PDF state, newest first (for the review home page): only what
    it shows (no snapshot, summary or advice)."""
    return list(
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
