"""The exam floor's privacy rules: another day's conflicts only for clients in the physician's care, each view
in the client's access log, no clinical values in the audit detail, station conclusions only at the physician's
own station and every opening of the box audited, the guide sheet printed only after check-in."""

import datetime
import json

import pytest

from checkup.core import clock
from checkup.core.audit import Actor
from checkup.core.errors import ValidationError
from checkup.models import Appointment, AuditEvent, Report, ResultConflict, StaffDepartment, StationConclusion
from checkup.models.appointments import COMPLETED
from checkup.services.access import access_log, care_access
from checkup.services.access.care_access import NoCareRelationship
from checkup.services.exam import guide_sheets, result_conflicts, results, results_import, station_conclusions
from checkup.services.exam.station_staff import NotThisStation
from tests import factories
from tests.factories import sign_in_directly
from tests.report_helpers import ReportWorld
from tests.results_helpers import Lab

pytestmark = pytest.mark.both_dbs

HEADER = "exam_code,item_code,value,unit,time\n"


@pytest.fixture
def lab(app):
    return Lab()


def conflict_for(lab, name):
    """A client today with glucose entered at 5.4 and an analyser file saying 7.9: (appointment, conflict)."""
    appointment = lab.appointment(name=name)
    Appointment.update(day=clock.today()).where(Appointment.id == appointment.id).execute()
    results.record_result(lab.actor, appointment.id, "GLU", "5.4")
    data = f"{HEADER}{Appointment.get_by_id(appointment.id).exam_code},GLU,7.9,mmol/L,\n".encode()
    results_import.import_instrument_csv(lab.actor, "cobas.csv", data)
    return Appointment.get_by_id(appointment.id), ResultConflict.get(ResultConflict.appointment == appointment.id)


def age(appointment, conflict, days=400, signed_by=None):
    """Move the checkup and its conflict ``days`` back, completed, its report signed (by ``signed_by``)."""
    old = clock.today() - datetime.timedelta(days=days)
    Appointment.update(day=old, status=COMPLETED).where(Appointment.id == appointment.id).execute()
    ResultConflict.update(day=old).where(ResultConflict.id == conflict.id).execute()
    Report.create(appointment=appointment.id, status="signed", signed_by=signed_by)
    return old


def test_an_old_conflict_is_listed_only_to_a_physician_in_the_clients_care(app, lab):
    appointment, conflict = conflict_for(lab, "旧客户")
    old = age(appointment, conflict, signed_by=lab.physician.id)
    stranger = factories.make_user("physician", email="stranger@example.com", name="Dr. Stranger")
    http = app.test_client()
    sign_in_directly(http, stranger)
    page = http.get(f"/exam/stations/LAB/conflicts?day={old.isoformat()}&state=all").get_data(as_text=True)
    assert "旧客户" not in page and "7.9" not in page and "No conflicts at this station on this day." in page
    assert "only the clients in your care" in page
    assert not AuditEvent.select().where(AuditEvent.action == "results.conflicts_viewed").exists()

    listing = result_conflicts.conflict_list(lab.actor, lab.lab, old, "all")  # who signed the report
    assert [c.id for c in listing.page.items] == [conflict.id] and listing.open_count == 1
    care_access.break_glass(Actor(stranger), appointment.client_id, "Analyser recall of last year's glucose")
    page = http.get(f"/exam/stations/LAB/conflicts?day={old.isoformat()}&state=all").get_data(as_text=True)
    assert "旧客户" in page


def test_each_view_of_the_list_is_in_every_shown_clients_access_log_without_values(app, lab):
    first, _one = conflict_for(lab, "客户甲")
    second, _two = conflict_for(lab, "客户乙")
    http = app.test_client()
    sign_in_directly(http, lab.physician)
    assert http.get("/exam/stations/LAB/conflicts").status_code == 200
    events = list(AuditEvent.select().where(AuditEvent.action == "results.conflicts_viewed"))
    assert {e.client_id: json.loads(e.detail)["appointments"] for e in events} == {
        first.client_id: [first.id],
        second.client_id: [second.id],
    }
    for appointment in (first, second):
        purposes = [str(a.purpose) for a in access_log.staff_accesses(appointment.client_id).items]
        assert "Compared an instrument's value with your entered exam result" in purposes


def test_conflict_audit_events_keep_ids_not_values(lab):
    appointment, conflict = conflict_for(lab, "王芳")
    result_conflicts.resolve_conflict(lab.actor, conflict.id, "take")
    for action in ("results.conflict", "results.conflict_resolved"):
        event = AuditEvent.get(AuditEvent.action == action)
        detail = json.loads(event.detail)
        assert (detail["item"], detail["result"]) == (lab.glu.id, conflict.result_id), action
        assert "5.4" not in event.detail and "7.9" not in event.detail, action
        assert event.client_id == appointment.client_id


def test_a_physician_of_another_station_neither_lists_nor_resolves_its_conflicts(app, lab):
    _appointment, conflict = conflict_for(lab, "王芳")
    StaffDepartment.create(user=lab.physician, department=lab.internal)
    with pytest.raises(NotThisStation):
        result_conflicts.conflict_list(lab.actor, lab.lab, clock.today())
    http = app.test_client()
    sign_in_directly(http, lab.physician)
    refused = http.get("/exam/stations/LAB/conflicts")
    assert refused.status_code == 403 and "only its own physicians" in refused.get_data(as_text=True)
    answer = http.post(f"/exam/conflicts/{conflict.id}/resolve", data={"choice": "take"}, follow_redirects=True)
    assert "only its own physicians" in answer.get_data(as_text=True)
    assert ResultConflict.get_by_id(conflict.id).choice == ""
    StaffDepartment.create(user=lab.physician, department=lab.lab)  # now a member of the lab as well
    assert result_conflicts.resolve_conflict(lab.actor, conflict.id, "keep").choice == "keep"


# --- station conclusions --------------------------------------------------------------------------------


@pytest.fixture
def world(app):
    return ReportWorld()


def test_every_opening_of_the_conclusion_box_is_audited_even_before_a_conclusion(app, world):
    world.all_results()
    http = app.test_client()
    sign_in_directly(http, world.physician)
    box = http.get(f"/exam/appointments/{world.appointment.id}/stations/CHEM/conclusion", headers={"HX-Request": "1"})
    assert box.status_code == 200 and "25.1" in box.get_data(as_text=True)  # the suggested text shows results
    event = AuditEvent.get(AuditEvent.action == "station_conclusion.viewed")
    assert (event.user_id, event.client_id) == (world.physician.id, world.client.id)
    assert StationConclusion.select().count() == 0


def test_only_the_stations_own_physicians_save_and_sign_its_conclusion(app, world):
    world.all_results()
    chem = world.glu.department_id
    StaffDepartment.create(user=world.physician, department=world.lab)  # works in the blood lab only
    with pytest.raises(NotThisStation):
        station_conclusions.save(world.actor(), world.appointment.id, chem, "血糖升高。", sign=True)
    http = app.test_client()
    sign_in_directly(http, world.physician)
    url = f"/exam/appointments/{world.appointment.id}/stations/CHEM/conclusion"
    refused = http.post(url, data={"text": "血糖升高。", "action": "sign"})
    assert refused.status_code == 403 and "only its own physicians" in refused.get_data(as_text=True)
    assert StationConclusion.select().count() == 0
    StaffDepartment.create(user=world.physician, department=chem)
    assert station_conclusions.save(world.actor(), world.appointment.id, chem, "血糖升高。", sign=True).signed


def test_a_chief_physician_without_a_care_relationship_cannot_reopen(world):
    world.all_results()
    chem = world.glu.department_id
    station_conclusions.save(world.actor(), world.appointment.id, chem, "血糖升高。", sign=True)
    Appointment.update(day=clock.today() - datetime.timedelta(days=30), status=COMPLETED).where(
        Appointment.id == world.appointment.id
    ).execute()
    Report.create(appointment=world.appointment.id, status="draft")  # a draft: in every chief's review queue
    chief = world.actor(world.chief_user())
    assert station_conclusions.reopen(chief, world.appointment.id, chem, "ALT 未写入").status == "draft"
    StationConclusion.update(status="signed").execute()  # corrected and signed again
    Report.update(status="signed", signed_by=world.physician.id).execute()  # signed by another: no relationship
    with pytest.raises(NoCareRelationship):
        station_conclusions.reopen(chief, world.appointment.id, chem, "again")
    assert StationConclusion.get().status == "signed"


# --- the guide sheet ------------------------------------------------------------------------------------


def test_the_guide_sheet_is_printed_only_after_check_in_in_the_clients_language(app, lab):
    app.config.update(CENTER_NAME_EN="Harmony Checkup Center", CENTER_NAME_ZH="和睦体检中心")
    booked = lab.appointment(status="booked", name="未签到")
    with app.test_request_context():
        with pytest.raises(ValidationError, match="once the client is checked in"):
            guide_sheets.print_guide_sheet(lab.actor, booked.id)
        cancelled = lab.appointment(status="cancelled", name="已取消")
        with pytest.raises(ValidationError):
            guide_sheets.print_guide_sheet(lab.actor, cancelled.id)
        assert not AuditEvent.select().where(AuditEvent.action.startswith("exam_day.")).exists()
        checked_in = lab.appointment(name="已签到")
        exam_code, pdf = guide_sheets.print_guide_sheet(lab.actor, checked_in.id, chinese=True)
        assert pdf.startswith(b"%PDF") and exam_code == checked_in.exam_code
        assert guide_sheets.guide_sheet_data(checked_in.id, chinese=True)["center_name"] == "和睦体检中心"
        assert guide_sheets.guide_sheet_data(checked_in.id)["center_name"] == "Harmony Checkup Center"
    event = AuditEvent.get(AuditEvent.action == "exam_day.guide_sheet_printed")
    assert event.client_id == checked_in.client_id
    assert "Printed your guide sheet" in [str(a.purpose) for a in access_log.staff_accesses(checked_in.client_id).items]

    scheduler = factories.make_user("scheduler", email="desk@example.com")
    http = app.test_client()
    sign_in_directly(http, scheduler)
    answer = http.get(f"/desk/day/appointments/{booked.id}/guide-sheet.pdf", follow_redirects=True)
    assert answer.mimetype == "text/html" and "The guide sheet is printed once the client is checked in" in (
        answer.get_data(as_text=True)
    )
