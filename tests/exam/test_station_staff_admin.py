"""Physicians at stations (catalog → physicians at stations): the admin puts a physician at the stations they
work at, or takes one away (their last one: every station again); the rule holds where conclusions are signed,
and a physician opening another station's board is told they do not work there."""

import json

import pytest

from checkup.core.audit import Actor
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.models import AuditEvent, StaffDepartment, StationConclusion
from checkup.services.exam import station_conclusions, station_staff
from checkup.services.exam.station_staff import NotThisStation
from tests import factories
from tests.factories import page_shape, row_counts, sign_in_directly
from tests.report_helpers import ReportWorld

pytestmark = pytest.mark.both_dbs

PAGE = "/admin/catalog/station-staff"


@pytest.fixture
def floor(app):
    class Floor:
        gen = factories.make_department("GEN", name_en="General examination", name_zh="一般检查", sort_order=1)
        us = factories.make_department("US", name_en="Ultrasound", name_zh="超声科", sort_order=2)
        lab = factories.make_department("LAB-LIVER", name_en="Liver function", name_zh="肝功能", sort_order=3)
        draw = factories.make_department("DRAW", name_en="Blood draw", name_zh="采血室", sort_order=0)
        empty = factories.make_department("OLD", name_en="Closed room", sort_order=9)  # no item: no station
        retired = factories.make_department("XRAY", name_en="Film X-ray", sort_order=8)  # inactive items only
        factories.make_item("BP", gen)
        factories.make_item("US-ABD", us, result_type="text")
        factories.make_item("ALT", lab, station=draw)  # written up at the lab, drawn in the draw room
        factories.make_item("FILM", retired, active=False)
        doctor = factories.make_user("physician", email="sun@example.com", name="孙立华")
        chief = factories.make_user("chief", "physician", email="zheng@example.com", name="郑慧敏")
        counselor = factories.make_user("counselor", email="zhou@example.com", name="周晓梅")
        admin = factories.make_user("admin", email="chen@example.com", name="陈静")

    return Floor


@pytest.fixture
def admin(client, floor):
    sign_in_directly(client, floor.admin)
    return Actor(floor.admin, "127.0.0.1")


def html(response):
    return response.get_data(as_text=True)


def stations_of(user):
    return sorted(
        d for (d,) in StaffDepartment.select(StaffDepartment.department).where(StaffDepartment.user == user.id).tuples()
    )


# --- the service ---------------------------------------------------------------------------------------


def test_the_list_holds_every_active_physician_chiefs_included_with_their_stations(floor, admin):
    factories.make_user("physician", email="gone@example.com", name="离职医生", is_active=False)
    StaffDepartment.create(user=floor.counselor, department=floor.gen)  # a counselor's department: not listed
    station_staff.assign(admin, floor.doctor.id, floor.us.id)
    station_staff.assign(admin, floor.doctor.id, floor.gen.id)
    listed = {row.physician.name: row for row in station_staff.physicians_with_stations()}
    assert sorted(listed) == ["孙立华", "郑慧敏"]
    assert [s.code for s in listed["孙立华"].stations] == ["GEN", "US"]  # the floor's order
    assert not listed["孙立华"].everywhere and not listed["孙立华"].is_chief
    assert listed["郑慧敏"].everywhere and listed["郑慧敏"].is_chief and listed["郑慧敏"].stations == []
    assert [s.code for s in station_staff.stations()] == ["DRAW", "GEN", "US", "LAB-LIVER"]


def test_assigning_is_audited_by_ids_and_doing_it_twice_changes_nothing(floor, admin):
    first = station_staff.assign(admin, floor.doctor.id, floor.us.id)
    assert (first.changed, first.was_everywhere, first.everywhere) == (True, True, False)
    event = AuditEvent.get(AuditEvent.action == "station_staff.assigned")
    assert event.user_id == floor.admin.id and json.loads(event.detail) == {
        "physician": floor.doctor.id,
        "station": floor.us.id,
    }
    assert "孙立华" not in event.detail and "超声" not in event.detail
    again = station_staff.assign(admin, floor.doctor.id, floor.us.id)
    assert again.changed is False
    second = station_staff.assign(admin, floor.doctor.id, floor.gen.id)
    assert (second.changed, second.was_everywhere) == (True, False)
    assert stations_of(floor.doctor) == sorted([floor.us.id, floor.gen.id])
    assert AuditEvent.select().where(AuditEvent.action == "station_staff.assigned").count() == 2


@pytest.mark.parametrize(
    ("who", "where", "field", "message"),
    [
        ("counselor", "us", "physician", "Choose an active physician from the list."),
        ("admin", "us", "physician", "Choose an active physician from the list."),
        ("nobody", "us", "physician", "Choose an active physician from the list."),
        ("doctor", "empty", "station", "Choose a station from the list."),
        ("doctor", "retired", "station", "Choose a station from the list."),
        ("doctor", "nowhere", "station", "Choose a station from the list."),
    ],
)
def test_a_refused_assignment_names_the_field_and_writes_nothing(floor, admin, who, where, field, message):
    user_id = getattr(floor, who).id if who != "nobody" else 999999
    station_id = getattr(floor, where).id if where != "nowhere" else 10**12
    before = row_counts(StaffDepartment, AuditEvent)
    with pytest.raises(ValidationError) as refused:
        station_staff.assign(admin, user_id, station_id)
    assert {k: str(v) for k, v in refused.value.field_errors.items()} == {field: message}
    assert row_counts(StaffDepartment, AuditEvent) == before


def test_an_inactive_physician_is_not_assigned(floor, admin):
    floor.doctor.is_active = False
    floor.doctor.save()
    with pytest.raises(ValidationError) as refused:
        station_staff.assign(admin, floor.doctor.id, floor.us.id)
    assert "physician" in refused.value.field_errors and stations_of(floor.doctor) == []


def test_removing_the_last_station_means_every_station_again(floor, admin):
    station_staff.assign(admin, floor.doctor.id, floor.us.id)
    station_staff.assign(admin, floor.doctor.id, floor.gen.id)
    assert not station_staff.works_at(floor.doctor, floor.lab.id)
    one_left = station_staff.remove(admin, floor.doctor.id, floor.us.id)
    assert (one_left.changed, one_left.everywhere) == (True, False)
    assert not station_staff.works_at(floor.doctor, floor.us.id) and station_staff.works_at(floor.doctor, floor.gen.id)
    none_left = station_staff.remove(admin, floor.doctor.id, floor.gen.id)
    assert (none_left.changed, none_left.everywhere) == (True, True)
    assert all(station_staff.works_at(floor.doctor, d.id) for d in (floor.us, floor.gen, floor.lab, floor.draw))
    events = [json.loads(e.detail) for e in AuditEvent.select().where(AuditEvent.action == "station_staff.removed")]
    assert events == [
        {"physician": floor.doctor.id, "station": floor.us.id},
        {"physician": floor.doctor.id, "station": floor.gen.id},
    ]
    again = station_staff.remove(admin, floor.doctor.id, floor.gen.id)  # nothing left to remove: no-op
    assert (again.changed, again.everywhere) == (False, True)
    assert AuditEvent.select().where(AuditEvent.action == "station_staff.removed").count() == 2


def test_removal_needs_a_real_physician_and_station(floor, admin):
    with pytest.raises(NotFound):
        station_staff.remove(admin, floor.counselor.id, floor.gen.id)
    with pytest.raises(NotFound):
        station_staff.remove(admin, floor.doctor.id, 999999)


def test_a_counselors_rows_are_never_touched(floor, admin):
    care_row = StaffDepartment.create(user=floor.counselor, department=floor.gen, is_head=True)
    both = factories.make_user("physician", "counselor", email="both@example.com", name="双岗医生")
    both_row = StaffDepartment.create(user=both, department=floor.us)
    with pytest.raises(ValidationError) as refused:
        station_staff.assign(admin, both.id, floor.gen.id)
    assert "follow-up assignment page" in str(refused.value.field_errors["physician"])
    with pytest.raises(Conflict):
        station_staff.remove(admin, both.id, floor.us.id)
    with pytest.raises(NotFound):
        station_staff.remove(admin, floor.counselor.id, floor.gen.id)
    assert StaffDepartment.get_by_id(care_row.id).is_head is True
    assert StaffDepartment.get_by_id(both_row.id).department_id == floor.us.id
    assert [(r.user_id, r.department_id) for r in StaffDepartment.select().order_by(StaffDepartment.id)] == [
        (floor.counselor.id, floor.gen.id),
        (both.id, floor.us.id),
    ]


def test_the_follow_up_assignment_page_lists_counselors_rows_only(floor, admin):
    from checkup.services.care import followup_assignment

    StaffDepartment.create(user=floor.counselor, department=floor.gen)
    station_staff.assign(admin, floor.doctor.id, floor.us.id)
    listed = [(row.user.id, row.department.id) for row in followup_assignment.staff_departments()]
    assert listed == [(floor.counselor.id, floor.gen.id)], "a physician's station is not a counselor's department"


# --- the admin's page ----------------------------------------------------------------------------------


def test_the_page_lists_physicians_and_says_every_station_when_none_is_listed(client, floor, admin):
    station_staff.assign(admin, floor.doctor.id, floor.us.id)
    page = html(client.get(PAGE))
    assert "<h1>Physicians at stations</h1>" in page
    sun = page[page.index(f'id="staff-row-{floor.doctor.id}"') :]
    sun = sun[: sun.index("</tr>")]
    assert "Ultrasound" in sun and "Every station" not in sun
    assert "Their only station: removing it means every station again." in sun
    zheng = page[page.index(f'id="staff-row-{floor.chief.id}"') :]
    zheng = zheng[: zheng.index("</tr>")]
    assert "Every station" in zheng and "Chief physician" in zheng
    form = page[page.index('<form method="post" action="/admin/catalog/station-staff"') :]
    physicians = form[form.index('id="physician-field"') : form.index('id="station-field"')]
    assert (
        "孙立华 &lt;sun@example.com&gt;" in physicians
        and "郑慧敏 &lt;zheng@example.com&gt; · Chief physician" in physicians
    )
    assert "周晓梅" not in physicians and "陈静" not in physicians
    station_choices = form[form.index('id="station-field"') :]
    assert f'<option value="{floor.draw.id}">DRAW · Blood draw</option>' in station_choices
    assert "OLD ·" not in station_choices and "XRAY ·" not in station_choices
    assert 'hx-post="/admin/catalog/station-staff"' in form and 'hx-target="#station-staff"' in form


def test_the_page_with_no_physician_says_so(client, floor, admin):
    from checkup.models import User, UserRole

    UserRole.delete().where(UserRole.role == "physician").execute()
    assert User.select().count() >= 1
    page = html(client.get(PAGE))
    assert "No active physician yet" in page


def test_admin_assigns_then_removes_and_the_page_says_where_they_work(client, floor, admin):
    data = {"physician": str(floor.doctor.id), "station": str(floor.us.id)}
    added = client.post(PAGE, data=data)
    assert added.status_code == 303 and added.headers["Location"].endswith(PAGE)
    page = html(client.get(PAGE))
    assert "孙立华 now works at Ultrasound only, no longer at every station." in page
    assert stations_of(floor.doctor) == [floor.us.id]
    client.post(PAGE, data=data)
    assert "孙立华 already works at Ultrasound." in html(client.get(PAGE))
    assert stations_of(floor.doctor) == [floor.us.id]

    removed = client.post(f"{PAGE}/{floor.doctor.id}/stations/{floor.us.id}/remove")
    assert removed.status_code == 303
    page = html(client.get(PAGE))
    assert "With no station left, they work at every station again." in page
    row = page[page.index(f'id="staff-row-{floor.doctor.id}"') :]
    assert "Every station" in row[: row.index("</tr>")]
    assert stations_of(floor.doctor) == []


def test_htmx_gets_the_list_with_the_notice_and_a_fresh_form(client, floor, admin):
    data = {"physician": str(floor.doctor.id), "station": str(floor.gen.id)}
    answer = client.post(PAGE, data=data, headers={"HX-Request": "true"})
    fragment = html(answer)
    assert answer.status_code == 200 and "<h1>" not in fragment and "<html" not in fragment
    assert 'role="status"' in fragment and "孙立华 now works at General examination only" in fragment
    assert 'selected value="' not in fragment  # the form is empty again
    removed = client.post(f"{PAGE}/{floor.doctor.id}/stations/{floor.gen.id}/remove", headers={"HX-Request": "true"})
    assert removed.status_code == 200 and "they work at every station again" in html(removed)
    # nothing flashed for later: the next full page carries no stale message
    assert "now works at" not in html(client.get(PAGE))


def test_a_refused_form_shows_each_error_beside_its_field_and_changes_nothing(client, floor, admin):
    before = row_counts(StaffDepartment, AuditEvent)
    refused = client.post(PAGE, data={"physician": str(floor.counselor.id), "station": str(floor.empty.id)})
    page = html(refused)
    assert refused.status_code == 422
    physician_field = page[page.index('id="physician-field"') : page.index('id="station-field"')]
    assert "Choose an active physician from the list." in physician_field and 'aria-invalid="true"' in physician_field
    station_field = page[page.index('id="station-field"') :]
    assert "Choose a station from the list." in station_field[: station_field.index("</div>")]
    missing = client.post(PAGE, data={"physician": "", "station": str(floor.us.id)})
    assert missing.status_code == 422 and "This field is required." in html(missing)
    nonsense = client.post(PAGE, data={"physician": "12abc", "station": "-1"})
    assert nonsense.status_code == 422 and "Choose an active physician from the list." in html(nonsense)
    htmx = client.post(PAGE, data={"physician": str(floor.doctor.id), "station": "0"}, headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and "Choose a station from the list." in html(htmx)  # htmx swaps only 2xx
    assert row_counts(StaffDepartment, AuditEvent) == before
    assert client.post(f"{PAGE}/{floor.doctor.id}/stations/999999/remove").status_code == 404
    assert client.post(f"{PAGE}/{floor.counselor.id}/stations/{floor.gen.id}/remove").status_code == 404


def test_the_catalog_pages_link_to_it(client, floor, admin):
    for path in ("/admin/catalog/station-order", "/admin/catalog/items", "/admin/catalog/modules"):
        assert f'href="{PAGE}"' in html(client.get(path)), path
    page = html(client.get(PAGE))
    assert f'href="{PAGE}" aria-current="page"' in page
    assert 'href="/admin/catalog/station-order" aria-current' not in page


@pytest.mark.parametrize("role", ["physician", "chief", "counselor", "scheduler", "hr", "client"])
def test_others_get_the_same_answer_as_on_the_other_catalog_pages(app, floor, role):
    http = app.test_client()
    sign_in_directly(http, factories.make_user(role, email=f"{role}-x@example.com"))
    for ours, theirs in (
        (http.get(PAGE), http.get("/admin/catalog/station-order")),
        (http.post(PAGE, data={"physician": str(floor.doctor.id), "station": str(floor.us.id)}), None),
        (http.post(f"{PAGE}/{floor.doctor.id}/stations/{floor.us.id}/remove"), None),
    ):
        theirs = theirs or http.post("/admin/catalog/station-order", data={"before": "1", "after": "2"})
        assert ours.status_code == theirs.status_code == 403
        assert page_shape(ours) == page_shape(theirs)
    assert (
        stations_of(floor.doctor) == []
        and not AuditEvent.select().where(AuditEvent.action.startswith("station_staff.")).exists()
    )


def test_anonymous_is_sent_to_sign_in_as_on_the_other_catalog_pages(app, floor):
    http = app.test_client()
    ours, theirs = http.get(PAGE), http.get("/admin/catalog/station-order")
    assert ours.status_code == theirs.status_code and ours.status_code in (302, 303)
    assert ours.headers["Location"].split("?")[0] == theirs.headers["Location"].split("?")[0]


def test_the_page_runs_the_same_queries_for_2_or_12_physicians(client, floor, admin, count_queries):
    station_staff.assign(admin, floor.doctor.id, floor.us.id)
    client.get(PAGE)  # warm: the session's first read
    with count_queries() as few:
        assert client.get(PAGE).status_code == 200
    for n in range(10):
        doctor = factories.make_user("physician", email=f"doc{n}@example.com", name=f"医生{n:02d}")
        for station in (floor.gen, floor.us, floor.draw)[: n % 4]:
            station_staff.assign(admin, doctor.id, station.id)
    assert len(station_staff.physicians_with_stations()) == 12
    with count_queries() as many:
        page = html(client.get(PAGE))
    assert "医生09" in page and few.count == many.count, (few.queries, many.queries)


# --- where the rule bites: station conclusions, and the board's notice ----------------------------------


def test_a_physician_put_elsewhere_cannot_sign_this_station_until_removed_from_all(app, client):
    world = ReportWorld()
    world.all_results()
    chem = world.glu.department_id
    admin = Actor(factories.make_user("admin", email="boss@example.com"), "127.0.0.1")
    station_staff.assign(admin, world.physician.id, world.liver.department_id)  # the ultrasound room only
    with pytest.raises(NotThisStation):
        station_conclusions.save(world.actor(), world.appointment.id, chem, "血糖升高。", sign=True)
    assert StationConclusion.select().count() == 0
    assert station_staff.remove(admin, world.physician.id, world.liver.department_id).everywhere
    signed = station_conclusions.save(world.actor(), world.appointment.id, chem, "血糖升高。", sign=True)
    assert signed.status == "signed"


def test_the_board_tells_a_physician_of_another_station_and_only_them(app, floor, count_queries):
    admin = Actor(floor.admin, "127.0.0.1")
    notice = "You do not work at this station"
    http = app.test_client()
    sign_in_directly(http, floor.doctor)
    assert notice not in html(http.get("/exam/floor/stations/US"))  # no station listed: every station
    station_staff.assign(admin, floor.doctor.id, floor.gen.id)
    assert notice in html(http.get("/exam/floor/stations/US"))
    assert notice not in html(http.get("/exam/floor/stations/GEN"))
    poll = http.get("/exam/floor/stations/US", headers={"HX-Request": "true"})
    assert poll.status_code == 200 and notice not in html(poll)  # the polled fragment leaves it out
    desk = app.test_client()
    sign_in_directly(desk, factories.make_user("scheduler", email="desk@example.com"))
    desk.get("/exam/floor/stations/US")
    with count_queries() as scheduler:
        assert notice not in html(desk.get("/exam/floor/stations/US"))
    with count_queries() as physician:
        http.get("/exam/floor/stations/US")
    assert physician.count == scheduler.count + 1  # the physician's stations: one query, for physicians only
