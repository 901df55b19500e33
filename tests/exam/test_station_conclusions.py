"""Station conclusions: the station doctor saves and signs the conclusion of a station; signed, it is read-only
until a chief physician reopens it with a reason; the station page loads the conclusion box."""

import pytest

from checkup.core.errors import Conflict, PermissionDenied, ValidationError
from checkup.models import AuditEvent, StationConclusion
from checkup.services.access.care_access import NoCareRelationship
from checkup.services.exam import reports, station_conclusions
from tests.factories import sign_in_directly
from tests.report_helpers import ReportWorld

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def world(app):
    return ReportWorld()


def chem(world):
    return world.glu.department_id


def test_a_station_doctor_saves_a_draft_then_signs_once_the_station_is_done(world):
    doctor = world.actor()
    draft = station_conclusions.save(doctor, world.appointment.id, chem(world), "血糖待复查")
    assert (draft.status, draft.signed_at) == ("draft", None)
    with pytest.raises(ValidationError) as refused:  # GLU and ALT have no result yet
        station_conclusions.save(doctor, world.appointment.id, chem(world), "空腹血糖升高", sign=True)
    assert "GLU" in str(refused.value.message)
    assert StationConclusion.get_by_id(draft.id).status == "draft"

    world.all_results()
    with pytest.raises(ValidationError):
        station_conclusions.save(doctor, world.appointment.id, chem(world), "   ", sign=True)
    signed = station_conclusions.save(doctor, world.appointment.id, chem(world), "空腹血糖危急值，已通知。", sign=True)
    assert (signed.status, signed.signed_by_id, signed.text) == (
        "signed",
        world.physician.id,
        "空腹血糖危急值，已通知。",
    )
    assert StationConclusion.select().count() == 1
    actions = [e.action for e in AuditEvent.select().where(AuditEvent.action.startswith("station_conclusion."))]
    assert actions == ["station_conclusion.saved", "station_conclusion.signed"]


def test_a_signed_conclusion_is_read_only_until_a_chief_physician_reopens_it_with_a_reason(world):
    world.all_results()
    doctor, chief = world.actor(), world.actor(world.chief_user())
    station_conclusions.save(doctor, world.appointment.id, chem(world), "血糖升高。", sign=True)
    with pytest.raises(Conflict):
        station_conclusions.save(doctor, world.appointment.id, chem(world), "改写", sign=False)
    with pytest.raises(PermissionDenied):  # a station doctor cannot reopen, even their own
        station_conclusions.reopen(doctor, world.appointment.id, chem(world), "写错了")
    with pytest.raises(ValidationError):
        station_conclusions.reopen(chief, world.appointment.id, chem(world), "  ")
    assert StationConclusion.get().status == "signed"

    reopened = station_conclusions.reopen(chief, world.appointment.id, chem(world), "ALT 数值未写入小结")
    assert (reopened.status, reopened.signed_at, reopened.reopen_reason) == ("draft", None, "ALT 数值未写入小结")
    event = AuditEvent.get(AuditEvent.action == "station_conclusion.reopened")
    assert event.user_id == world.chief_user().id and "ALT 数值未写入小结" in event.detail
    with pytest.raises(Conflict):  # nothing signed to reopen any more
        station_conclusions.reopen(chief, world.appointment.id, chem(world), "again")
    fixed = station_conclusions.save(doctor, world.appointment.id, chem(world), "血糖升高；ALT 52 U/L。", sign=True)
    assert fixed.status == "signed"


def test_nothing_is_written_after_the_report_is_signed(world):
    world.all_results()
    world.sign_stations()
    reports.sign(world.actor(world.chief_user()), world.appointment.id, "Summary", "")
    with pytest.raises(Conflict):  # the chief physician who signed it: related, but the report is signed
        station_conclusions.reopen(world.actor(world.chief_user()), world.appointment.id, chem(world), "late")
    # a new conclusion: the client is no longer checked in and the report is signed
    StationConclusion.delete().execute()
    with pytest.raises(NoCareRelationship):  # the station doctor: the checkup is signed by another, not today
        station_conclusions.save(world.actor(), world.appointment.id, chem(world), "late")
    with pytest.raises(Conflict):
        station_conclusions.save(world.actor(world.chief_user()), world.appointment.id, chem(world), "late")
    assert StationConclusion.select().count() == 0


def test_the_station_page_loads_the_box_which_suggests_the_abnormal_results(app, world, client):
    world.all_results()
    sign_in_directly(client, world.physician)
    page = client.get(f"/exam/appointments/{world.appointment.id}/stations/CHEM").get_data(as_text=True)
    box_url = f"/exam/appointments/{world.appointment.id}/stations/CHEM/conclusion"
    assert f'hx-get="{box_url}"' in page and 'hx-trigger="load"' in page

    fragment = client.get(box_url, headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body
    assert "Fasting glucose 25.1 mmol/L ↑" in body and "Alanine aminotransferase 52 U/L ↑" in body

    refused = client.post(box_url, data={"text": "", "action": "sign"})
    assert refused.status_code == 422 and StationConclusion.select().count() == 0
    signed = client.post(box_url, data={"text": "空腹血糖危急值，已电话通知本人。", "action": "sign"})
    assert signed.status_code == 303 and signed.headers["Location"].endswith(
        f"/exam/appointments/{world.appointment.id}/stations/CHEM"
    )
    assert StationConclusion.get().status == "signed"
    body = client.get(box_url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "空腹血糖危急值，已电话通知本人。" in body and "<textarea" not in body  # read-only now
    again = client.post(box_url, data={"text": "改写", "action": "save"})
    assert again.status_code == 409 and StationConclusion.get().text == "空腹血糖危急值，已电话通知本人。"
    assert AuditEvent.select().where(AuditEvent.action == "station_conclusion.viewed").count() >= 1


def test_the_box_of_a_station_without_items_of_the_checkup_is_not_found(app, world, client):
    from tests import factories

    factories.make_department("ENT")
    sign_in_directly(client, world.physician)
    assert client.get(f"/exam/appointments/{world.appointment.id}/stations/ENT/conclusion").status_code == 404
    assert client.get(f"/exam/appointments/{world.appointment.id}/stations/NOPE/conclusion").status_code == 404


def test_only_a_chief_physician_reopens_through_the_page(app, world, client):
    world.all_results()
    world.sign_stations()
    url = f"/exam/appointments/{world.appointment.id}/stations/CHEM/conclusion/reopen"
    sign_in_directly(client, world.physician)
    assert client.post(url, data={"reason": "x"}).status_code == 403
    assert StationConclusion.select().where(StationConclusion.status == "signed").count() == 3

    chief = app.test_client()
    sign_in_directly(chief, world.chief_user())
    empty = chief.post(url, data={"reason": ""})
    assert (
        empty.status_code == 303 and StationConclusion.select().where(StationConclusion.status == "draft").count() == 0
    )
    done = chief.post(url, data={"reason": "小结与结果不符"})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/exam/review/{world.appointment.id}")
    reopened = StationConclusion.get(StationConclusion.department == chem(world))
    assert (reopened.status, reopened.reopen_reason) == ("draft", "小结与结果不符")
