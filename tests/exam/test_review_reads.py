"""The review page's reads made into model objects from plain rows (services/exam/report_review) are what peewee
made of the same rows: the appointment with its client and its package (or none), each item with its result (or
none), on both databases; and one query tells whether the chief physician claimed or signed a checkup."""

import pytest
from peewee import JOIN

from checkup.models import Appointment, Client, ExamItem, Package, Result
from checkup.services.exam import chief_review, report_review
from tests.report_helpers import ReportWorld

pytestmark = pytest.mark.both_dbs


def _as_peewee_reads_it(appointment_id):
    return (
        Appointment.select(Appointment, Client, Package)
        .join(Client)
        .join_from(Appointment, Package, JOIN.LEFT_OUTER)
        .where(Appointment.id == appointment_id)
        .get()
    )


def test_the_appointment_with_its_client_and_package_or_none(app):
    world = ReportWorld()
    appointment_id = world.appointment.id
    for with_package in (True, False):
        if not with_package:
            Appointment.update(package=None).where(Appointment.id == appointment_id).execute()
        expected, made = _as_peewee_reads_it(appointment_id), report_review._appointment(appointment_id)
        assert made.__data__ == expected.__data__ and not made.is_dirty()
        assert made.client.__data__ == expected.client.__data__
        if with_package:
            assert made.package.__data__ == expected.package.__data__ and made.package.code == "FULL"
        else:
            assert made.package_id is None and made.package is None and expected.package is None


def test_each_item_with_its_result_or_none(app):
    world = ReportWorld()
    world.result(world.glu, 6.5, flag="H", high=6.1)
    world.result(world.liver, value_text="脂肪肝", flag="A")
    appointment_id = world.appointment.id
    pairs = report_review._items(appointment_id)
    results = {r.item_id: r for r in Result.select().where(Result.appointment == appointment_id)}
    assert sorted(item.code for item, _result in pairs) == sorted(
        item.code for item in ExamItem.select().where(ExamItem.id.in_([i.id for i, _r in pairs]))
    )
    assert len(pairs) == 4 and len(results) == 2
    for item, result in pairs:
        expected = results.get(item.id)
        assert (result.__data__ if result else None) == (expected.__data__ if expected else None)
        assert item.department.id == item.department_id


def test_one_query_tells_a_claim_and_a_signature(app, count_queries):
    world = ReportWorld()
    world.all_results()
    world.sign_stations()
    chief = world.chief_user()
    appointment = report_review._appointment(world.appointment.id)
    assert chief.has_role("chief")  # the roles read once, before counting
    with count_queries() as queued:
        assert report_review.review_relationship(chief, appointment) == "review_queue"
    chief_review.save_draft(world.actor(chief), appointment.id, "草稿", "")
    with count_queries() as claimed:
        assert report_review.review_relationship(chief, appointment) == "review_claim"
    assert claimed.count == 1 and queued.count == 2  # claimed or signed: one query; then the queue's
