"""The chief physicians' queue looks at the checkups of its window only (the last REVIEW_WINDOW_DAYS days), read
off the appointment (status, day, id) index: thousands of old appointments — completed ones and checked-in ones
nobody finished — are neither listed nor read on PostgreSQL."""

import datetime
import json
from decimal import Decimal

import pytest

from checkup.core import clock
from checkup.models import Appointment, AppointmentItem, Client, Slot
from checkup.models.appointments import CHECKED_IN, COMPLETED
from checkup.models.base import db, utcnow
from checkup.models.review import CONCLUSION_SIGNED, StationConclusion
from checkup.services.exam import review_queue
from tests.report_helpers import ReportWorld

OLD_ROWS = 20000


def _old_appointments(world, n):
    """``n`` appointments of the last years, outside the window: most completed, one in ten left checked in."""
    client = Client.get_by_id(world.client.id)
    first = clock.today() - datetime.timedelta(days=review_queue.REVIEW_WINDOW_DAYS + 1)
    slot = Slot.create(day=first, start_time=datetime.time(8), end_time=datetime.time(9), capacity=5)
    rows = [
        {
            "exam_code": f"OLD{i:07d}",
            "client": client.id,
            "slot": slot.id,
            "day": first - datetime.timedelta(days=i % 1500),
            "status": CHECKED_IN if i % 10 == 0 else COMPLETED,
            "total_price": Decimal("100"),
            "self_amount": Decimal("100"),
        }
        for i in range(n)
    ]
    for start in range(0, n, 1000):
        Appointment.insert_many(rows[start : start + 1000]).execute()
    # the abandoned ones have their items (and no results): exactly what the old scan probed one by one
    abandoned = Appointment.select(Appointment.id).where(Appointment.status == CHECKED_IN, Appointment.day < first)
    AppointmentItem.insert_from(
        abandoned.select(Appointment.id, world.wbc.id, Decimal("10"), "self", False),
        [
            AppointmentItem.appointment,
            AppointmentItem.item,
            AppointmentItem.price,
            AppointmentItem.payer,
            AppointmentItem.is_addon,
        ],
    ).execute()
    # their stations signed, as a center's history has them: the queue's "a station signed" probe (one per
    # window candidate) must not turn into reading the history's conclusions
    old = Appointment.select(Appointment.id).where(Appointment.day < first)
    StationConclusion.insert_from(
        old.select(Appointment.id, world.wbc.department_id, "", CONCLUSION_SIGNED, utcnow(), ""),
        [
            StationConclusion.appointment,
            StationConclusion.department,
            StationConclusion.text,
            StationConclusion.status,
            StationConclusion.saved_at,
            StationConclusion.reopen_reason,
        ],
    ).execute()


def _plan(query):
    sql, params = query.sql()
    cursor = db.execute_sql("EXPLAIN (FORMAT JSON) " + sql, params)
    plan = cursor.fetchone()[0]
    return json.loads(plan) if isinstance(plan, str) else plan


def _nodes(node):
    yield node
    for child in node.get("Plans", ()):
        yield from _nodes(child)


@pytest.mark.parametrize("app", ["postgres"], indirect=True)
def test_the_queue_reads_its_window_off_the_status_day_index_on_postgresql(app):
    world = ReportWorld()
    world.all_results()
    world.sign_stations()
    _old_appointments(world, OLD_ROWS)
    db.execute_sql("ANALYZE appointment")
    db.execute_sql("ANALYZE appointment_item")
    db.execute_sql("ANALYZE station_conclusion")

    assert [a.id for a in review_queue.ready_for_review()] == [world.appointment.id]
    assert review_queue.review_queue().total == 1

    plan = _plan(review_queue.ready_ids())[0]["Plan"]
    on_appointment = [n for n in _nodes(plan) if n.get("Relation Name") == "appointment"]
    assert on_appointment, plan
    assert {n.get("Index Name") for n in on_appointment} == {"appointment_status_day_id"}, on_appointment
    # only the window's checked-in rows come out of the index, not the thousands of old ones
    assert all(n["Plan Rows"] < 100 for n in on_appointment), on_appointment


@pytest.mark.both_dbs
def test_old_abandoned_checkups_stay_out_of_the_queue(app):
    world = ReportWorld()
    world.all_results()
    world.sign_stations()
    _old_appointments(world, 50)
    # a checkup of six weeks ago with every result in and every station signed, never signed: abandoned
    old_day = clock.today() - datetime.timedelta(days=42)
    slot = Slot.create(day=old_day, start_time=datetime.time(8), end_time=datetime.time(9), capacity=5)
    abandoned = Appointment.create(
        exam_code="ABANDON1",
        client=world.client.id,
        slot=slot,
        day=old_day,
        package=world.package,
        status=CHECKED_IN,
        total_price=Decimal("100"),
        self_amount=Decimal("100"),
    )
    AppointmentItem.create(appointment=abandoned, item=world.wbc, price=Decimal("10"))
    world.result(world.wbc, 6.0, appointment=abandoned)
    world.sign_stations(appointment=abandoned)
    assert [a.id for a in review_queue.ready_for_review()] == [world.appointment.id]
    assert review_queue.review_queue().total == 1
