"""The review page's first read (services/exam/report_review.review_for): the appointment, its claim and the
chief physician's ties to it (signed a version, in the queue) and whether an instrument value waits in a
conflict come in one query, and decide as ``review_relationship`` decides, in the same order, before any
result is read; the claim and the open conflicts are what the separate reads gave. The review home page's
signed reports and today's counts are kept with the queue until the clinical data changes (one mark read),
on both databases."""

import datetime
from decimal import Decimal

import pytest

from checkup.core import headline_figures
from checkup.core.audit import Actor
from checkup.core.errors import NotFound
from checkup.models import Appointment, Report, Result, ResultConflict
from checkup.models.base import utcnow
from checkup.services.access import care_access
from checkup.services.exam import chief_review, report_review, review_queue
from tests import factories
from tests.factories import sign_in_directly
from tests.report_helpers import ReportWorld

pytestmark = pytest.mark.both_dbs


def _ready_world():
    world = ReportWorld()
    world.all_results()
    world.sign_stations()
    return world


def _old_reads(user, appointment_id):
    """(relationship, claim data, open conflicts' ids) as the separate reads gave them."""
    appointment = report_review._appointment(appointment_id)
    relationship = report_review.review_relationship(user, appointment)
    claims = report_review._CLAIM.rows(appointment_id)
    claim = (claims[0].__data__, claims[0].chief.__data__) if claims else None
    return relationship, claim, [c.id for c in report_review.open_conflicts(appointment_id)]


def _new_reads(user, appointment_id):
    data = report_review.review_for(world_actor(user), appointment_id)
    claim = (data.claim.__data__, data.claim.chief.__data__) if data.claim else None
    return claim, [c.id for c in data.open_conflicts]


def world_actor(user):
    return Actor(user, "127.0.0.1")


def test_the_first_read_gives_what_the_separate_reads_gave(app, count_queries):
    world = _ready_world()
    chief = world.chief_user()
    appointment_id = world.appointment.id
    assert chief.has_role("chief")  # the roles read once, before counting
    relationship, *old = _old_reads(chief, appointment_id)
    assert relationship == "review_queue" and _new_reads(chief, appointment_id) == tuple(old) == (None, [])
    # claimed by this chief physician (a draft saved), with an instrument value waiting
    chief_review.save_draft(world.actor(chief), appointment_id, "草稿", "")
    glu = Result.get(Result.appointment == appointment_id, Result.item == world.glu.id)
    ResultConflict.create(
        result=glu.id,
        open_result=glu.id,
        appointment=appointment_id,
        item=world.glu.id,
        department=world.glu.department_id,
        day=world.appointment.day,
        entered_value="25.1",
        entered_skipped="",
        entered_source="station",
        instrument_value="25.3",
        instrument_num="25.3",
        source="instrument",
        source_ref="",
        created_at=utcnow(),
        choice="",
    )
    relationship, *old = _old_reads(chief, appointment_id)
    new = _new_reads(chief, appointment_id)
    assert relationship == "review_claim" and new == tuple(old) and new[0] is not None and len(new[1]) == 1
    # another chief physician: the claim is not theirs, the checkup still waits in the queue
    second = factories.make_user("chief", email="second@example.com", name="王主任")
    relationship, *old = _old_reads(second, appointment_id)
    assert relationship == "review_queue" and _new_reads(second, appointment_id) == tuple(old)


def test_no_relationship_and_a_missing_checkup_refuse_as_before(app):
    world = ReportWorld()  # results missing: not in the queue
    chief = world.chief_user()
    with pytest.raises(care_access.NoCareRelationship):
        report_review.review_for(world_actor(chief), world.appointment.id)
    for missing in (999_999, "abc"):
        with pytest.raises(NotFound):
            report_review.review_for(world_actor(chief), missing)
    physician = factories.make_user("physician", email="p2@example.com")
    with pytest.raises(care_access.NoCareRelationship):  # not a chief physician: only a running break-the-glass
        report_review.review_for(world_actor(physician), world.appointment.id)


def test_a_signed_report_keeps_its_chief_physician_at_it(app):
    world = _ready_world()
    chief = world.chief_user()
    appointment_id = world.appointment.id
    Report.create(
        appointment=appointment_id,
        version=1,
        status="published",
        summary="s",
        advice="",
        results_snapshot="{}",
        signed_by=chief.id,
        signed_at=utcnow(),
    )
    assert report_review.review_relationship(chief, report_review._appointment(appointment_id)) == "signed_report"
    assert report_review.review_for(world_actor(chief), appointment_id).signed


def test_the_review_page_reads_its_ties_claim_and_conflicts_in_its_first_query(app, client, count_queries):
    world = _ready_world()
    chief = world.chief_user()
    sign_in_directly(client, chief)
    path = f"/exam/review/{world.appointment.id}"
    assert client.get(path).status_code == 200
    with count_queries() as page:
        assert client.get(path).status_code == 200
    # session, the first read, items, reports with conclusions, advice (rules and snippets in one), audit: the
    # client has no earlier completed checkup (the first read says so), so no earlier results are read
    assert page.count <= 6


def _old_reports_and_conclusions(appointment_id):
    reports = [
        (r.__data__, r.signed_by.__data__ if r.signed_by_id else None)
        for r in report_review._reports_query(appointment_id)
    ]
    conclusions = {
        c.department_id: (c.__data__, c.signed_by.__data__ if c.signed_by_id else None)
        for c in report_review._conclusions_query(appointment_id)
    }
    return reports, conclusions


def _new_reports_and_conclusions(appointment_id):
    reports, conclusions = report_review._reports_and_conclusions(appointment_id)
    return (
        [(r.__data__, r.signed_by.__data__ if r.signed_by_id else None) for r in reports],
        {key: (c.__data__, c.signed_by.__data__ if c.signed_by_id else None) for key, c in conclusions.items()},
    )


def test_the_reports_and_conclusions_read_together_are_what_the_two_reads_gave(app, count_queries):
    world = ReportWorld()
    appointment_id = world.appointment.id
    assert _new_reports_and_conclusions(appointment_id) == _old_reports_and_conclusions(appointment_id) == ([], {})
    world.all_results()
    world.sign_stations()
    chief = world.chief_user()
    for version, status, signer in ((1, "superseded", chief.id), (2, "published", chief.id), (3, "draft", None)):
        Report.create(
            appointment=appointment_id,
            version=version,
            status=status,
            summary=f"s{version}",
            advice="",
            results_snapshot="{}",
            signed_by=signer,
            signed_at=utcnow() if signer else None,
        )
    with count_queries() as one:
        new = _new_reports_and_conclusions(appointment_id)
    assert one.count == 1
    assert new == _old_reports_and_conclusions(appointment_id)
    reports, conclusions = new
    assert [r[0]["version"] for r in reports] == [3, 2, 1] and reports[0][1] is None and reports[1][1] is not None
    assert conclusions and all(c[1] is not None for c in conclusions.values())


def test_the_earlier_results_are_read_only_when_the_client_has_an_earlier_checkup(app, count_queries):
    world = _ready_world()
    chief = world.chief_user()
    appointment = world.appointment
    actor = world_actor(chief)
    assert chief.has_role("chief")
    with count_queries() as without:
        data = report_review.review_for(actor, appointment.id)
    assert not any(row.previous_value for row in data.rows)
    # an earlier completed checkup of the same client, with a value of one of this checkup's items
    glu = Result.get(Result.appointment == appointment.id, Result.item == world.glu.id)
    fields = dict(Appointment.get_by_id(appointment.id).__data__)
    del fields["id"]
    day = appointment.day - datetime.timedelta(days=400)
    fields.update(exam_code="EARLIER-1", day=day, live_day=None, idempotency_key=None, status="completed")
    earlier = Appointment.create(**fields)
    Result.create(
        appointment=earlier.id, item=world.glu.id, value_num=Decimal("4.9"), value_text="", flag="N", unit=glu.unit
    )
    with count_queries() as with_earlier:
        data = report_review.review_for(actor, appointment.id)
    assert with_earlier.count == without.count + 1
    row = next(row for row in data.rows if row.item.id == world.glu.id)
    assert (row.previous_value, row.previous_day) == ("4.9", earlier.day)
    assert report_review.review_data(appointment.id).rows[0].previous_value == data.rows[0].previous_value


def test_the_review_home_keeps_the_signed_reports_until_the_data_changes(app, client, count_queries, monkeypatch):
    app.config["FLOOR_BOARD_MAX_AGE_SECONDS"] = 2
    app.config["HEADLINE_REFRESH_AHEAD"] = False
    monkeypatch.setattr(headline_figures.time, "monotonic", lambda: 1000.0)
    world = _ready_world()
    chief = world.chief_user()
    sign_in_directly(client, chief)
    with count_queries() as first:
        assert client.get("/exam/review").status_code == 200
    with count_queries() as shared:
        html = client.get("/exam/review").get_data(as_text=True)
    assert shared.count <= first.count - 3, "nothing changed: queue, signed reports and counts kept"
    assert world.appointment.exam_code in html
    Report.create(
        appointment=world.appointment.id,
        version=1,
        status="signed",
        summary="s",
        advice="",
        results_snapshot="{}",
        signed_by=chief.id,
        signed_at=utcnow(),
    )
    home = review_queue.kept_review_home()
    assert [r.appointment_id for r in home.signed] == [world.appointment.id]
    assert home.signed_today == {chief.id: 1} and home.ready.total == 0
    html = client.get("/exam/review").get_data(as_text=True)
    assert f'href="/exam/review/{world.appointment.id}"' in html  # now among the signed, read again at once
