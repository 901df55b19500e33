"""The management dashboard: throughput, package mix, revenue, no-shows, follow-up SLA, referrals,
satisfaction and re-enrollment over the last twelve months. A fixed handful of narrow queries: the
appointment figures come from the daily rollup (services/admin/daily_rollup.py) for the past days it
covers and from the appointments for today (and any day not yet rolled up), summed in SQL."""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import SQL, Case, Select, fn

from checkup.core import clock
from checkup.core.headline_figures import headline
from checkup.models import Appointment, FollowUp, Package, Referral, Survey, User
from checkup.models.base import db, utcnow
from checkup.reports.spreadsheet import workbook_bytes
from checkup.services.admin import daily_rollup
from checkup.services.care import reenrollment
from checkup.services.money import revenue as money_revenue

CENT = Decimal("0.01")


def _period(today):
    return daily_rollup.period(today)


def _month(day):
    return day.strftime("%Y-%m")


def _week(day):
    monday = day - datetime.timedelta(days=day.weekday())
    return monday.isoformat()


def _percent(part, whole):
    return round(100 * part / whole, 1) if whole else None


def _money(value):
    return Decimal(str(value or 0)).quantize(CENT)


@dataclass
class DayFigures:
    """One day's appointment figures, summed over sources and packages."""

    day: datetime.date
    appointments: int = 0
    completed: int = 0
    no_shows: int = 0
    late_cancels: int = 0
    individual_amount: Decimal = Decimal(0)
    group_amount: Decimal = Decimal(0)


def _day_rows(start, today):
    """The window's figures by day-source-package: the stored rollup for the past days it covers, the
    appointments themselves for today and any day it does not cover yet (a UNION ALL, summed in SQL)."""
    yesterday = today - datetime.timedelta(days=1)
    covered = daily_rollup.covered_days(start, yesterday)
    live = [day for day in daily_rollup.days_between(start, today) if day not in covered]
    counted = daily_rollup.counted(Appointment.day.in_(live))
    if not covered:
        return counted.alias("day_rows")
    return (daily_rollup.stored(start, yesterday) + counted).alias("day_rows")


def appointment_figures(start, today):
    """(DayFigures for each day of [start, today] with appointments, in day order; {package id or 0:
    completed}) in two grouped queries over ``_day_rows`` (plus one for the rollup's coverage)."""
    rows = _day_rows(start, today)
    group = rows.c.source == "group"
    by_day = (
        Select(
            [rows],
            [
                rows.c.day,
                fn.SUM(rows.c.appointments),
                fn.SUM(rows.c.completed),
                fn.SUM(rows.c.no_shows),
                fn.SUM(rows.c.late_cancels),
                fn.SUM(Case(None, [(group, 0)], rows.c.completed_amount)),
                fn.SUM(Case(None, [(group, rows.c.completed_amount)], 0)),
            ],
        )
        .group_by(rows.c.day)
        .order_by(rows.c.day)
        .bind(db)
    )
    days = [
        DayFigures(
            _as_date(day), int(n or 0), int(done or 0), int(absent or 0), int(late or 0), _money(own), _money(firm)
        )
        for day, n, done, absent, late, own, firm in by_day.tuples()
    ]
    completed = fn.SUM(rows.c.completed)
    by_package = (
        Select([rows], [rows.c.package_id, completed])
        .group_by(rows.c.package_id)
        .having(completed > 0)
        .order_by(completed.desc(), rows.c.package_id)
        .bind(db)
    )
    return days, {int(package_id): int(n) for package_id, n in by_package.tuples()}


def _as_date(value):
    """A date from the database (SQLite gives the UNION's dates back as text)."""
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value))


def throughput(days, today):
    by_day = {d.day: d.completed for d in days}
    last_30 = [(today - datetime.timedelta(days=n)) for n in range(29, -1, -1)]
    weeks = sorted({_week(today - datetime.timedelta(weeks=n)) for n in range(12)})
    by_week, by_month = Counter(), Counter()
    for d in days:
        by_week[_week(d.day)] += d.completed
        by_month[_month(d.day)] += d.completed
    months = sorted({_month(reenrollment.months_before(today, n)) for n in range(12)})
    return {
        "days": [(day.isoformat(), by_day.get(day, 0)) for day in last_30],
        "weeks": [(week, by_week.get(week, 0)) for week in weeks],
        "months": [(month, by_month.get(month, 0)) for month in months],
    }


def package_mix(by_package):
    """[(Package or None, completed exams)], most first (ties by package id, "no package" first)."""
    ids = [k for k in by_package if k]
    names = {p.id: p for p in Package.select().where(Package.id.in_(ids))} if ids else {}
    return [(names.get(k), n) for k, n in by_package.items()]


def revenue(start, today):
    """Revenue of the window from the ledger (services/money/revenue.py, the one source: the statements, the
    HR billing page and the client's page agree with it to the cent): individual = paid by clients, group =
    paid by companies."""
    return money_revenue.between(start, today)


def attendance(days, today):
    past = [d for d in days if d.day < today]
    completed = sum(d.completed for d in past)
    no_show = sum(d.no_shows for d in past)
    late = sum(d.late_cancels for d in days)
    appointments = sum(d.appointments for d in days)
    return {
        "no_show_rate": _percent(no_show, completed + no_show),
        "no_shows": no_show,
        "late_cancel_rate": _percent(late, appointments),
        "late_cancels": late,
        "appointments": appointments,
    }


def follow_up_sla(start):
    """Closed on time by level and by counselor (who closed it, else its assignee), counted in SQL."""
    since = datetime.datetime.combine(start, datetime.time())
    counselor = fn.COALESCE(FollowUp.closed_by, FollowUp.assignee)
    on_time = fn.SUM(Case(None, [(FollowUp.closed_at <= FollowUp.due_at, 1)], 0))
    rows = (
        FollowUp.select(FollowUp.level, counselor, on_time, fn.COUNT(FollowUp.id))
        .where(FollowUp.status == "closed", FollowUp.closed_at >= since)
        .group_by(FollowUp.level, counselor)
        .tuples()
    )
    by_level, by_counselor = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
    for level, key, in_time, closed in rows:
        for table, at in ((by_level, level), (by_counselor, key)):
            table[at][0] += int(in_time or 0)
            table[at][1] += int(closed)
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
        dict(
            Referral.select(Referral.status, fn.COUNT(Referral.id))
            .where(Referral.proposed_at >= since)
            .group_by(Referral.status)
            .tuples()
        )
    )
    decided = statuses["completed"] + statuses["declined"]
    open_count = sum(statuses[s] for s in ("proposed", "accepted", "scheduled"))
    return {
        "conversion": _percent(statuses["completed"], decided),
        "completed": statuses["completed"],
        "declined": statuses["declined"],
        "open": open_count,
    }


def _local_months(since, until):
    """[(month "YYYY-MM", its first instant, the next month's first instant)], the instants naive UTC like
    the stored ones, for every month of the center's calendar from the one holding ``since`` to the one
    holding ``until`` (both naive UTC)."""
    zone = clock.zone()
    first = clock.from_utc(since)
    last = clock.from_utc(until)
    year, month = first.year, first.month
    months = []
    while (year, month) <= (last.year, last.month):
        following = (year + month // 12, month % 12 + 1)
        bounds = [
            datetime.datetime(y, m, 1, tzinfo=zone).astimezone(datetime.UTC).replace(tzinfo=None)
            for y, m in ((year, month), following)
        ]
        months.append((f"{year:04d}-{month:02d}", bounds[0], bounds[1]))
        year, month = following
    return months


def satisfaction(start):
    """Average overall score per month of the center's calendar and over the window, summed in SQL: each
    answer falls in the month whose local bounds hold it (answers dated beyond now, if any, in Python)."""
    since = datetime.datetime.combine(start, datetime.time())
    until = utcnow()
    months = _local_months(since, until)
    in_month = Case(
        None, [((Survey.answered_at >= low) & (Survey.answered_at < high), name) for name, low, high in months]
    )
    answered = (Survey.answered_at >= since) & Survey.overall.is_null(False)
    totals = defaultdict(lambda: [0, 0])
    grouped = (
        Survey.select(in_month, fn.SUM(Survey.overall), fn.COUNT(Survey.overall))
        .where(answered)
        .group_by(SQL("1"))
        .tuples()
    )
    for name, score, count in grouped:
        if name is None:  # dated after now (a clock set wrong somewhere): placed one by one below
            later = Survey.select(Survey.answered_at, Survey.overall).where(
                answered, Survey.answered_at >= months[-1][2]
            )
            for answered_at, overall in later.tuples():
                totals[_month(clock.from_utc(answered_at).date())][0] += overall
                totals[_month(clock.from_utc(answered_at).date())][1] += 1
            continue
        totals[name][0] += int(score)
        totals[name][1] += int(count)
    by_month = [(m, round(score / count, 2), count) for m, (score, count) in sorted(totals.items())]
    score = sum(score for score, _count in totals.values())
    responses = sum(count for _score, count in totals.values())
    return {"months": by_month, "average": round(score / responses, 2) if responses else None, "responses": responses}


def dashboard(today=None):
    """Every figure of the dashboard; today's are up to HEADLINE_MAX_AGE_SECONDS old (the page is a summary
    that management reads a few times a day, and counting it costs ~40 ms on a big center)."""
    if today is None:
        today = clock.today()
        return headline(f"management.{today}", lambda: _dashboard(today))
    return _dashboard(today)


def _dashboard(today):
    start, today = _period(today)
    days, by_package = appointment_figures(start, today)
    return {
        "start": start,
        "today": today,
        "throughput": throughput(days, today),
        "packages": package_mix(by_package),
        "revenue": revenue(start, today),
        "attendance": attendance(days, today),
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
