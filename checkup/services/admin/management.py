"""The management dashboard: throughput, package mix, revenue, no-shows, follow-up SLA, referrals,
satisfaction and re-enrollment over the last twelve months. A fixed handful of narrow queries; the
counting happens here so SQLite and PostgreSQL give the same figures without dialect date functions."""

import datetime
from collections import Counter, defaultdict
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from checkup.core import clock
from checkup.models import Appointment, FollowUp, Package, Referral, Slot, Survey, User
from checkup.models.appointments import CANCELLED, COMPLETED, NO_SHOW
from checkup.models.base import utcnow
from checkup.reports.spreadsheet import workbook_bytes
from checkup.services.care import reenrollment

LATE_CANCEL_HOURS = 24


def _period(today):
    start = reenrollment.months_before(today, 12)
    return start, today


def _month(day):
    return day.strftime("%Y-%m")


def _week(day):
    monday = day - datetime.timedelta(days=day.weekday())
    return monday.isoformat()


def _percent(part, whole):
    return round(100 * part / whole, 1) if whole else None


def _appointments(start, today):
    return list(
        Appointment.select(
            Appointment.day,
            Appointment.status,
            Appointment.source,
            Appointment.total_price,
            Appointment.cancelled_at,
            Appointment.package,
            Slot.start_time,
        )
        .join(Slot)
        .where(Appointment.day >= start, Appointment.day <= today)
        .tuples()
    )


def throughput(rows, today):
    completed = [day for day, status, *_ in rows if status == COMPLETED]
    by_day = Counter(completed)
    last_30 = [(today - datetime.timedelta(days=n)) for n in range(29, -1, -1)]
    weeks = sorted({_week(today - datetime.timedelta(weeks=n)) for n in range(12)})
    by_week = Counter(_week(day) for day in completed)
    months = sorted({_month(reenrollment.months_before(today, n)) for n in range(12)})
    by_month = Counter(_month(day) for day in completed)
    return {
        "days": [(day.isoformat(), by_day.get(day, 0)) for day in last_30],
        "weeks": [(week, by_week.get(week, 0)) for week in weeks],
        "months": [(month, by_month.get(month, 0)) for month in months],
    }


def package_mix(rows):
    counts = Counter(package_id for _, status, _, _, _, package_id, _ in rows if status == COMPLETED)
    names = {p.id: p for p in Package.select().where(Package.id.in_([k for k in counts if k]))} if counts else {}
    mix = [(names[k] if k in names else None, n) for k, n in counts.most_common()]
    return mix


def revenue(rows):
    totals = defaultdict(Decimal)
    for _day, status, source, price, *_rest in rows:
        if status == COMPLETED:
            totals["group" if source == "group" else "individual"] += Decimal(price or 0)
    return {
        "individual": totals["individual"],
        "group": totals["group"],
        "total": totals["individual"] + totals["group"],
    }


def attendance(rows, today):
    past = [r for r in rows if r[0] < today]
    completed = sum(1 for r in past if r[1] == COMPLETED)
    no_show = sum(1 for r in past if r[1] == NO_SHOW)
    late = 0
    for day, status, _source, _price, cancelled_at, _booked, start_time in rows:
        if status == CANCELLED and cancelled_at is not None:
            starts = clock.local(day, start_time).astimezone(datetime.UTC).replace(tzinfo=None)
            if starts - cancelled_at < datetime.timedelta(hours=LATE_CANCEL_HOURS):
                late += 1
    return {
        "no_show_rate": _percent(no_show, completed + no_show),
        "no_shows": no_show,
        "late_cancel_rate": _percent(late, len(rows)),
        "late_cancels": late,
        "appointments": len(rows),
    }


def follow_up_sla(start):
    since = datetime.datetime.combine(start, datetime.time())
    rows = list(
        FollowUp.select(FollowUp.level, FollowUp.due_at, FollowUp.closed_at, FollowUp.closed_by, FollowUp.assignee)
        .where(FollowUp.status == "closed", FollowUp.closed_at >= since)
        .tuples()
    )
    by_level, by_counselor = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
    for level, due_at, closed_at, closed_by, assignee in rows:
        on_time = closed_at <= due_at
        for key, table in ((level, by_level), (closed_by or assignee, by_counselor)):
            table[key][0] += on_time
            table[key][1] += 1
    names = {u.id: u.name for u in User.select(User.id, User.name).where(User.id.in_([k for k in by_counselor if k]))}
    overdue = FollowUp.select().where(FollowUp.status == "open", FollowUp.due_at < utcnow()).count()
    return {
        "levels": [(level, _percent(*by_level[level]), by_level[level][1]) for level in sorted(by_level)],
        "counselors": sorted(
            (
                (names.get(k, _l("Unassigned")) if k else _l("Unassigned"), _percent(*v), v[1])
                for k, v in by_counselor.items()
            ),
            key=lambda r: str(r[0]),
        ),
        "open_overdue": overdue,
    }


def referrals(start):
    since = datetime.datetime.combine(start, datetime.time())
    statuses = Counter(
        status for (status,) in Referral.select(Referral.status).where(Referral.proposed_at >= since).tuples()
    )
    decided = statuses["completed"] + statuses["declined"]
    open_count = sum(statuses[s] for s in ("proposed", "accepted", "scheduled"))
    return {
        "conversion": _percent(statuses["completed"], decided),
        "completed": statuses["completed"],
        "declined": statuses["declined"],
        "open": open_count,
    }


def satisfaction(start):
    since = datetime.datetime.combine(start, datetime.time())
    by_month = defaultdict(list)
    for answered_at, overall in (
        Survey.select(Survey.answered_at, Survey.overall)
        .where(Survey.answered_at >= since, Survey.overall.is_null(False))
        .tuples()
    ):
        by_month[_month(clock.from_utc(answered_at).date())].append(overall)
    months = [(m, round(sum(v) / len(v), 2), len(v)) for m, v in sorted(by_month.items())]
    every = [s for _, v in by_month.items() for s in v]
    return {"months": months, "average": round(sum(every) / len(every), 2) if every else None, "responses": len(every)}


def dashboard(today=None):
    today = today or clock.today()
    start, today = _period(today)
    rows = _appointments(start, today)
    return {
        "start": start,
        "today": today,
        "throughput": throughput(rows, today),
        "packages": package_mix(rows),
        "revenue": revenue(rows),
        "attendance": attendance(rows, today),
        "sla": follow_up_sla(start),
        "referrals": referrals(start),
        "satisfaction": satisfaction(start),
        "reenrollment": reenrollment.funnel(start, today + datetime.timedelta(days=1)),
    }


def workbook(data, chinese=False):
    """The dashboard as an XLSX workbook (bytes)."""

    def package_name(package):
        if package is None:
            return _("No package")
        return package.name_zh if chinese and package.name_zh else package.name_en

    flow = data["reenrollment"]
    return workbook_bytes(
        [
            (_("Exams per month"), [_("Month"), _("Completed exams")], data["throughput"]["months"]),
            (_("Exams per week"), [_("Week starting"), _("Completed exams")], data["throughput"]["weeks"]),
            (_("Exams per day"), [_("Day"), _("Completed exams")], data["throughput"]["days"]),
            (
                _("Package mix"),
                [_("Package"), _("Completed exams")],
                [(package_name(p), n) for p, n in data["packages"]],
            ),
            (
                _("Revenue"),
                [_("Source"), _("Amount")],
                [
                    (_("Individual"), data["revenue"]["individual"]),
                    (_("Group"), data["revenue"]["group"]),
                    (_("Total"), data["revenue"]["total"]),
                ],
            ),
            (
                _("Attendance"),
                [_("Measure"), _("Figure")],
                [
                    (_("No-show rate (%)"), data["attendance"]["no_show_rate"]),
                    (_("Late cancellation rate (%)"), data["attendance"]["late_cancel_rate"]),
                ],
            ),
            (
                _("Follow-up SLA"),
                [_("Level or counselor"), _("On time (%)"), _("Closed")],
                [(f"{_('Level')} {lvl}", pct, n) for lvl, pct, n in data["sla"]["levels"]]
                + [(str(name), pct, n) for name, pct, n in data["sla"]["counselors"]],
            ),
            (
                _("Referrals"),
                [_("Measure"), _("Figure")],
                [
                    (_("Conversion (%)"), data["referrals"]["conversion"]),
                    (_("Completed"), data["referrals"]["completed"]),
                    (_("Declined"), data["referrals"]["declined"]),
                    (_("Open"), data["referrals"]["open"]),
                ],
            ),
            (
                _("Satisfaction"),
                [_("Month"), _("Average overall score"), _("Responses")],
                data["satisfaction"]["months"],
            ),
            (
                _("Re-enrollment"),
                [_("Stage"), _("Clients")],
                [
                    (_("Due now"), flow["due"]),
                    (_("Invited"), flow["invited"]),
                    (_("Booked"), flow["booked"]),
                    (_("Completed"), flow["completed"]),
                ],
            ),
        ]
    )
