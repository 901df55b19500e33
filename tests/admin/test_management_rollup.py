"""The management dashboard's appointment figures from the daily rollup: the same figures whether a day is
read from the rollup or counted from the appointments, the same as the dashboard computed before the
rollup existed, refreshed idempotently by the periodic task, in a fixed number of queries."""

import datetime
import random
from collections import Counter, defaultdict
from decimal import Decimal

import pytest

from checkup.core import clock, periodic
from checkup.demo import demo
from checkup.models import Appointment, DailyRollup, FollowUp, Referral, Report, RollupDay, Slot, Survey, User
from checkup.models.appointments import BOOKED, CANCELLED, CHECKED_IN, COMPLETED, NO_SHOW
from checkup.models.base import utcnow
from checkup.services.admin import daily_rollup, management
from checkup.services.care import reenrollment
from tests import factories

pytestmark = pytest.mark.both_dbs

STATUSES = (COMPLETED, COMPLETED, COMPLETED, NO_SHOW, CANCELLED, CANCELLED, BOOKED, CHECKED_IN)
SOURCES = ("individual", "group", "desk")
STARTS = (datetime.time(7, 30), datetime.time(8), datetime.time(9, 15), datetime.time(16))


# --- the dashboard as it counted before the rollup: every appointment of the year loaded into Python --------


def old_figures(today):
    """The appointment figures exactly as management.py computed them from raw rows before the rollup (revenue
    is the ledger's now, services/money/revenue.py: tests/money/test_revenue.py)."""
    start = reenrollment.months_before(today, 12)
    rows = list(
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
    completed = [day for day, status, *_ in rows if status == COMPLETED]
    by_day = Counter(completed)
    week = lambda day: (day - datetime.timedelta(days=day.weekday())).isoformat()
    by_week = Counter(week(day) for day in completed)
    by_month = Counter(day.strftime("%Y-%m") for day in completed)
    weeks = sorted({week(today - datetime.timedelta(weeks=n)) for n in range(12)})
    months = sorted({reenrollment.months_before(today, n).strftime("%Y-%m") for n in range(12)})
    late = 0
    for day, status, source, price, cancelled_at, _package, start_time in rows:
        if status == CANCELLED and cancelled_at is not None:
            starts = clock.local(day, start_time).astimezone(datetime.UTC).replace(tzinfo=None)
            if starts - cancelled_at < datetime.timedelta(hours=24):
                late += 1
    past = [r for r in rows if r[0] < today]
    done = sum(1 for r in past if r[1] == COMPLETED)
    absent = sum(1 for r in past if r[1] == NO_SHOW)
    percent = lambda part, whole: round(100 * part / whole, 1) if whole else None
    return {
        "throughput": {
            "days": [
                ((today - datetime.timedelta(days=n)).isoformat(), by_day.get(today - datetime.timedelta(days=n), 0))
                for n in range(29, -1, -1)
            ],
            "weeks": [(w, by_week.get(w, 0)) for w in weeks],
            "months": [(m, by_month.get(m, 0)) for m in months],
        },
        "packages": dict(Counter(p for _, status, _, _, _, p, _ in rows if status == COMPLETED)),
        "attendance": {
            "no_show_rate": percent(absent, done + absent),
            "no_shows": absent,
            "late_cancel_rate": percent(late, len(rows)),
            "late_cancels": late,
            "appointments": len(rows),
        },
    }


def old_care_figures(today):
    """Follow-up SLA, referrals and satisfaction exactly as management.py computed them from loaded rows."""
    start = reenrollment.months_before(today, 12)
    since = datetime.datetime.combine(start, datetime.time())
    by_level, by_counselor = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
    for level, due_at, closed_at, closed_by, assignee in (
        FollowUp.select(FollowUp.level, FollowUp.due_at, FollowUp.closed_at, FollowUp.closed_by, FollowUp.assignee)
        .where(FollowUp.status == "closed", FollowUp.closed_at >= since)
        .tuples()
    ):
        for key, table in ((level, by_level), (closed_by or assignee, by_counselor)):
            table[key][0] += closed_at <= due_at
            table[key][1] += 1
    percent = lambda part, whole: round(100 * part / whole, 1) if whole else None
    names = {u.id: u.name for u in User.select()}
    statuses = Counter(s for (s,) in Referral.select(Referral.status).where(Referral.proposed_at >= since).tuples())
    by_month = defaultdict(list)
    for answered_at, overall in (
        Survey.select(Survey.answered_at, Survey.overall)
        .where(Survey.answered_at >= since, Survey.overall.is_null(False))
        .tuples()
    ):
        by_month[clock.from_utc(answered_at).date().strftime("%Y-%m")].append(overall)
    every = [s for v in by_month.values() for s in v]
    return {
        "sla": {
            "levels": [(lvl, percent(*by_level[lvl]), by_level[lvl][1]) for lvl in sorted(by_level)],
            "counselors": sorted((names[k] if k else "Unassigned", percent(*v), v[1]) for k, v in by_counselor.items()),
        },
        "referrals": {
            "conversion": percent(statuses["completed"], statuses["completed"] + statuses["declined"]),
            "completed": statuses["completed"],
            "declined": statuses["declined"],
            "open": sum(statuses[s] for s in ("proposed", "accepted", "scheduled")),
        },
        "satisfaction": {
            "months": [(m, round(sum(v) / len(v), 2), len(v)) for m, v in sorted(by_month.items())],
            "average": round(sum(every) / len(every), 2) if every else None,
            "responses": len(every),
        },
    }


def care_figures(data):
    """The same figures of a dashboard, in old_care_figures' shape."""
    sla = data["sla"]
    return {
        "sla": {"levels": sla["levels"], "counselors": sorted((str(name), p, n) for name, p, n in sla["counselors"])},
        "referrals": data["referrals"],
        "satisfaction": data["satisfaction"],
    }


def figures(data):
    """The appointment figures of a dashboard, in old_figures' shape."""
    return {
        "throughput": data["throughput"],
        "packages": {package.id if package else None: n for package, n in data["packages"]},
        "attendance": data["attendance"],
    }


# --- a year of a center --------------------------------------------------------------------------------------


def a_year_of_appointments(today, seed=16):
    """About 600 appointments over the last 13 months and today: every status and source, packages and none,
    cancellations from days ahead to after the start (and right at the 24-hour line), odd prices."""
    rng = random.Random(seed)
    packages = [None] + [
        factories.make_package(f"Y{seed}P{n}", [factories.make_item(f"Y{seed}I{n}")], price="100.00") for n in range(3)
    ]
    person = factories.make_client(name=f"年度客户{seed}")
    slots = {}
    rows = []
    for n in range(600):
        day = today - datetime.timedelta(days=rng.randrange(0, 400)) if n % 10 else today
        start = rng.choice(STARTS)
        if (day, start) not in slots:
            slot = Slot.get_or_none(Slot.day == day, Slot.start_time == start) or Slot.create(
                day=day, start_time=start, end_time=datetime.time(17), capacity=999
            )
            slots[(day, start)] = slot.id
        status = rng.choice(STATUSES)
        cancelled_at = None
        if status == CANCELLED:
            starts = clock.local(day, start).astimezone(datetime.UTC).replace(tzinfo=None)
            lead = rng.choice(
                [
                    datetime.timedelta(hours=24),  # exactly the line: not late
                    datetime.timedelta(hours=24, microseconds=-1),  # just inside it: late
                    datetime.timedelta(hours=3),
                    datetime.timedelta(days=4),
                    datetime.timedelta(hours=-2),  # after the start
                ]
            )
            cancelled_at = starts - lead
        price = Decimal(rng.randrange(5000, 90000)) / 100
        package = rng.choice(packages)
        rows.append(
            {
                "exam_code": f"Y{seed}N{n:05d}",
                "client": person.id,
                "slot": slots[(day, start)],
                "day": day,
                "package": package.id if package else None,
                "status": status,
                "source": rng.choice(SOURCES),
                "total_price": price,
                "company_amount": 0,
                "self_amount": price,
                "cancelled_at": cancelled_at,
            }
        )
    Appointment.insert_many(rows).execute()
    return len(rows)


def a_year_of_care(today, seed=16):
    """Closed and open follow-ups (on time or late, closed by a counselor, their assignee or nobody),
    referrals in every state, and survey answers over 13 months, some on a local month's first instant."""
    rng = random.Random(seed)
    counselors = [
        factories.make_user("counselor", email=f"care{seed}-{n}@example.com", name=f"顾问{n}") for n in (1, 2)
    ]
    person = factories.make_client(name=f"随访{seed}")
    slot = Slot.create(
        day=today - datetime.timedelta(days=500), start_time=datetime.time(6), end_time=datetime.time(7), capacity=99
    )
    now = utcnow()
    for n in range(90):
        appointment = Appointment.create(
            exam_code=f"F{seed}N{n:05d}",
            client=person,
            slot=slot,
            day=slot.day,
            status=COMPLETED,
            total_price=0,
            self_amount=0,
        )
        report = Report.create(appointment=appointment, status="published")
        closed_at = now - datetime.timedelta(days=rng.randrange(0, 420), hours=rng.randrange(24))
        closed = n % 4 != 0
        FollowUp.create(
            client=person,
            report=report,
            level=rng.choice("ABC"),
            due_at=closed_at + datetime.timedelta(hours=rng.choice((-30, -1, 0, 5, 48))),
            status="closed" if closed else "open",
            closed_at=closed_at if closed else None,
            closed_by=rng.choice([None, *counselors]) if closed else None,
            assignee=rng.choice([None, *counselors]),
        )
        if n % 3:
            local = clock.from_utc(now - datetime.timedelta(days=rng.randrange(0, 420)))
            answered_at = local.astimezone(datetime.UTC).replace(tzinfo=None)
            if n % 7 == 0:  # the first instant of a local month, or the last one before it
                first = datetime.datetime(local.year, local.month, 1, tzinfo=clock.zone()).astimezone(datetime.UTC)
                answered_at = first.replace(tzinfo=None) - datetime.timedelta(microseconds=n % 2)
            Survey.create(
                report=report,
                client=person,
                answered_at=answered_at,
                overall=None if n % 11 == 0 else rng.randint(1, 5),
            )
        Referral.create(
            client=person,
            target_kind="external",
            hospital="市第一医院",
            reason="x",
            status=rng.choice(("proposed", "accepted", "scheduled", "completed", "declined")),
            proposed_at=now - datetime.timedelta(days=rng.randrange(0, 420)),
        )


@pytest.fixture
def center(app):
    """A year of appointments; returns today."""
    today = clock.today()
    a_year_of_appointments(today)
    return today


def test_the_rollup_and_the_appointments_give_the_dashboard_the_same_figures_as_before(app):
    demo.seed(history=False)  # the demo center's day, and a year of a busier one
    today = clock.today()
    a_year_of_appointments(today)
    expected = old_figures(today)
    assert expected["attendance"]["late_cancels"] > 0 and len(expected["packages"]) >= 4

    counted_live = figures(management.dashboard())  # nothing rolled up yet: every day counted
    assert RollupDay.select().count() == 0
    assert counted_live == expected

    days = daily_rollup.refresh(today)
    start, _ = daily_rollup.period(today)
    assert days == (today - start).days  # the first run fills the window up to yesterday
    assert DailyRollup.select().where(DailyRollup.day == today).count() == 0  # today is counted live
    from_rollup = figures(management.dashboard())
    assert from_rollup == expected
    assert list(from_rollup["packages"].values()) == sorted(from_rollup["packages"].values(), reverse=True)


def test_follow_up_sla_referrals_and_satisfaction_are_counted_in_sql_as_before(app):
    today = clock.today()
    a_year_of_care(today)
    expected = old_care_figures(today)
    assert expected["satisfaction"]["responses"] > 30 and len(expected["sla"]["counselors"]) == 3
    assert care_figures(management.dashboard()) == expected


def test_a_refresh_is_idempotent_and_picks_up_what_changed_on_a_recent_day(center):
    today = center
    daily_rollup.refresh(today)
    snapshot = sorted(DailyRollup.select().tuples(), key=lambda row: row[1:4])
    assert daily_rollup.refresh(today) == daily_rollup.RECENT_DAYS  # later runs: the recent days only
    again = sorted(DailyRollup.select().tuples(), key=lambda row: row[1:4])
    assert [row[1:] for row in again] == [row[1:] for row in snapshot]

    # a report signed today for a checkup of three days ago completes it: the next refresh counts it
    three_days_ago = today - datetime.timedelta(days=3)
    slot = Slot.create(day=three_days_ago, start_time=datetime.time(6, 45), end_time=datetime.time(9), capacity=9)
    late_signed = factories.make_client(name="补签")
    appointment = Appointment.create(
        exam_code="LATE0001",
        client=late_signed,
        slot=slot,
        day=three_days_ago,
        status=CHECKED_IN,
        total_price=Decimal("123.45"),
        self_amount=Decimal("123.45"),
    )
    Appointment.update(status=COMPLETED).where(Appointment.id == appointment.id).execute()
    daily_rollup.refresh(today)
    assert figures(management.dashboard()) == old_figures(today)


def test_a_day_the_rollup_does_not_cover_is_counted_from_the_appointments(center):
    today = center
    daily_rollup.refresh(today)
    gap = today - datetime.timedelta(days=100)
    RollupDay.delete().where(RollupDay.day == gap).execute()
    DailyRollup.delete().where(DailyRollup.day == gap).execute()
    assert daily_rollup.covered_days(gap, gap) == set()
    assert figures(management.dashboard()) == old_figures(today)
    assert daily_rollup.refresh(today) == 100  # the next run reaches back to the gap
    assert daily_rollup.covered_days(gap, gap) == {gap}


def test_rebuild_is_set_based_and_covers_days_without_appointments(app, count_queries):
    today = clock.today()
    first, last = today - datetime.timedelta(days=900), today - datetime.timedelta(days=1)
    with count_queries() as q:
        assert daily_rollup.rebuild(first, last) == 900
    assert q.count < 15  # two deletes, one INSERT … SELECT, the covered days in batches: never a query per day
    assert RollupDay.select().count() == 900 and DailyRollup.select().count() == 0
    assert daily_rollup.rebuild(last, first) == 0


def test_the_dashboard_reads_a_fixed_number_of_queries_whatever_the_year_holds(center, count_queries):
    today = center
    daily_rollup.refresh(today)
    with count_queries() as few:
        management.dashboard()
    a_year_of_appointments(today, seed=17)
    daily_rollup.refresh(today)
    with count_queries() as many:
        management.dashboard()
    assert many.count == few.count


def test_late_cancellations_follow_the_local_start_across_a_daylight_saving_change(app):
    """The database's time-zone arithmetic (PostgreSQL) and the Python rule (SQLite) agree with clock.local."""
    app.config["TIMEZONE"] = "Europe/Berlin"
    person = factories.make_client(name="Zeit")
    made = []
    for day in (datetime.date(2025, 3, 30), datetime.date(2025, 3, 31), datetime.date(2025, 10, 26)):
        slot = Slot.create(day=day, start_time=datetime.time(8), end_time=datetime.time(9), capacity=9)
        starts = clock.local(day, slot.start_time).astimezone(datetime.UTC).replace(tzinfo=None)
        for minutes in (-1, 0, 1, 60):
            cancelled_at = starts - datetime.timedelta(hours=24) + datetime.timedelta(minutes=minutes)
            made.append(
                Appointment.create(
                    exam_code=f"Z{len(made):05d}",
                    client=person,
                    slot=slot,
                    day=day,
                    status=CANCELLED,
                    total_price=0,
                    self_amount=0,
                    cancelled_at=cancelled_at,
                )
            )
    expected = Counter(
        a.day for a in made if daily_rollup.cancelled_late(a.day, datetime.time(8), a.cancelled_at, "Europe/Berlin")
    )
    assert set(expected.values()) == {2}  # one and sixty minutes inside the line; on it or outside is not late
    counted = Counter()
    for row in daily_rollup.counted(Appointment.day.is_null(False)).dicts():
        day = row["day"] if isinstance(row["day"], datetime.date) else datetime.date.fromisoformat(row["day"])
        counted[day] += row["late_cancels"]
    assert counted == expected


def test_the_refresh_is_a_periodic_task(app):
    assert ("management.refresh_rollup", periodic.HOUR) in periodic.SCHEDULE
