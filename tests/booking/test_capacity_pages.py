"""The scheduler's capacity screens: calendar, day page with inline edits, close/reopen, weekly template."""

import datetime
import re

import pytest

from checkup.core import clock
from checkup.core.audit import Actor
from checkup.models import AuditEvent, ResourceDay, Slot
from checkup.services.booking import booking
from tests import factories
from tests.booking_helpers import Center, assert_counters_consistent

pytestmark = pytest.mark.both_dbs

T = datetime.time
HX = {"HX-Request": "true"}


@pytest.fixture
def http(client, make_user):
    factories.sign_in_directly(client, make_user("scheduler"))
    return client


def person(name, phone=""):
    return factories.make_client(name=name, phone=phone, birth_date=datetime.date(1980, 1, 1))


def text(response):
    return response.get_data(as_text=True)


# --- who may come in -----------------------------------------------------------------------------


def _paths():
    day = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    return [
        ("get", "/desk/capacity"),
        ("get", f"/desk/capacity/{day}"),
        ("get", "/desk/capacity/template"),
        ("post", "/desk/capacity/template"),
        ("get", "/desk/capacity/import"),
        ("post", "/desk/capacity/import"),
        ("get", "/desk/capacity/import/template.csv"),
        ("get", "/desk/capacity/import/template.xlsx"),
        ("post", "/desk/capacity/slots/1"),
        ("post", "/desk/capacity/resources/1"),
        ("post", f"/desk/capacity/{day}/close"),
        ("post", f"/desk/capacity/{day}/reopen"),
    ]


@pytest.mark.parametrize("role", ["client", "hr", "physician", "counselor"])
def test_other_roles_are_refused_everywhere(app, client, make_user, role):
    Center()
    factories.sign_in_directly(client, make_user(role))
    for method, path in _paths():
        response = getattr(client, method)(path, data={"capacity": "1"} if method == "post" else None)
        assert response.status_code == 403, (method, path)
    assert not AuditEvent.select().where(AuditEvent.action.startswith("capacity.")).exists()


def test_signed_out_visitors_are_sent_to_sign_in(app, client):
    response = client.get("/desk/capacity")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["scheduler", "admin"])
def test_scheduler_and_admin_may_use_every_page(app, client, make_user, role):
    center = Center()
    factories.sign_in_directly(client, make_user(role))
    for path in (
        "/desk/capacity",
        f"/desk/capacity/{center.day}",
        "/desk/capacity/template",
        "/desk/capacity/import",
        "/desk/capacity/import/template.csv",
    ):
        assert client.get(path).status_code == 200, path


def test_navigation_links_to_the_calendar_for_schedulers(app, http):
    page = text(http.get("/desk"))
    assert 'href="/desk/capacity"' in page and ">Capacity<" in page


# --- the month calendar --------------------------------------------------------------------------


def test_calendar_shows_booked_over_capacity_per_day_and_resource(app, http):
    center = Center(slot_capacity=4, ct_capacity=2)
    booking.book(Actor(), person("王芳").id, center.slot.id, "CT-PKG")
    closed_day = center.day + datetime.timedelta(days=1)
    Slot.create(day=closed_day, start_time=T(8), end_time=T(9), capacity=3, closed=True)
    response = http.get(f"/desk/capacity?month={center.day:%Y-%m}")
    page = text(response)
    assert response.status_code == 200 and "<html" in page
    cell = re.search(
        rf'<li class="cal-day[^"]*">\s*<a class="cal-date" href="/desk/capacity/{center.day}">'
        r'(.*?)</li>\s*(?=<li class="cal-day|</ol>)',
        page,
        re.S,
    ).group(1)
    assert re.search(r"1<span aria-hidden=\"true\">/</span><span class=\"visually-hidden\">of</span>8", cell)
    assert "Plenty of room" in cell and "CT</abbr> 1/2" in cell
    assert "fill-closed" in page and "Closed" in page
    if closed_day.month == center.day.month:
        assert f'href="/desk/capacity/{closed_day}"' in page


def test_calendar_fill_bands_have_words_as_well_as_colours(app, http):
    day = clock.today() + datetime.timedelta(days=2)
    Slot.create(day=day, start_time=T(8), end_time=T(9), capacity=10, booked=9)
    page = text(http.get(f"/desk/capacity?month={day:%Y-%m}"))
    assert "cal-day fill-nearly" in page and ">Nearly full<" in page
    Slot.update(booked=10).execute()
    page = text(http.get(f"/desk/capacity?month={day:%Y-%m}"))
    assert "cal-day fill-full" in page and ">Full<" in page
    Slot.update(booked=4).execute()
    page = text(http.get(f"/desk/capacity?month={day:%Y-%m}"))
    assert "cal-day fill-low" in page and ">Plenty of room<" in page
    Slot.update(booked=5).execute()
    page = text(http.get(f"/desk/capacity?month={day:%Y-%m}"))
    assert "cal-day fill-busy" in page and ">Filling up<" in page


def test_calendar_fragment_for_htmx_and_full_page_otherwise(app, http):
    full = http.get("/desk/capacity?month=2030-05")
    fragment = http.get("/desk/capacity?month=2030-05", headers=HX)
    assert "<html" in text(full) and "May 2030" in text(full)
    assert "<html" not in text(fragment) and "May 2030" in text(fragment)
    assert 'class="capacity-month"' in text(fragment)
    assert "HX-Request" in fragment.headers.get("Vary", "")
    assert "month=2030-04" in text(fragment) and "month=2030-06" in text(fragment)


@pytest.mark.parametrize(
    "month", ["2026-13", "abc", "", "2026-00", "99999-01", "1999-12", "2026-1", "../..", "2026-05-01", "２０２６-０５"]
)
def test_malformed_months_show_this_month(app, http, month):
    response = http.get("/desk/capacity", query_string={"month": month})
    today = clock.today()
    assert response.status_code == 200
    assert f'href="/desk/capacity/{today.replace(day=1)}"' in text(response)


def test_calendar_query_count_does_not_grow_with_slots(app, http, count_queries):
    factories.make_resource("CT", capacity=3)
    factories.make_resource("US", capacity=5)
    first = datetime.date(2031, 3, 1)
    Slot.create(day=first, start_time=T(8), end_time=T(9), capacity=3)
    with count_queries() as few:
        assert http.get("/desk/capacity?month=2031-03").status_code == 200
    resources = list(factories.Resource.select())
    for offset in range(1, 31):
        day = first + datetime.timedelta(days=offset)
        for hour in range(7, 15):
            Slot.create(day=day, start_time=T(hour), end_time=T(hour + 1), capacity=5, booked=offset % 5)
        for resource in resources:
            ResourceDay.create(resource=resource, day=day, capacity=3)
    with count_queries() as many:
        page = text(http.get("/desk/capacity?month=2031-03"))
    assert "US</abbr> 0/3" in page
    assert many.count == few.count
    calendar_queries = [
        q
        for q in many.queries
        if '"slot"' in q or '"resourceday"' in q or "resource_day" in q or "checkup_capacity_month_" in q
    ]
    assert len(calendar_queries) == 2


# --- a day ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad", ["2026-02-30", "2026-13-01", "tomorrow", "20260301", "2026-3-1", "0001-01-01", "9999-12-31", "2026-03-01x"]
)
def test_malformed_or_unreasonable_days_are_not_found(app, http, bad):
    assert http.get(f"/desk/capacity/{bad}").status_code == 404
    assert http.post(f"/desk/capacity/{bad}/close", data={"note": "x"}).status_code == 404


def test_day_page_lists_slots_resources_and_appointments(app, http):
    center = Center(slot_capacity=5, ct_capacity=3)
    appointment = booking.book(Actor(), person("王芳", "13800000001").id, center.slot.id, "CT-PKG")
    page = text(http.get(f"/desk/capacity/{center.day}"))
    assert "08:00–09:00" in page and "09:00–10:00" in page
    assert 'name="slot-%d-capacity"' % center.slot.id in page and 'value="5"' in page
    assert 'name="resource-%d-capacity"' % center.ct_day.id in page
    assert "王芳" in page and "13800000001" in page and appointment.exam_code in page
    assert "Close this day" in page


def test_inline_slot_edit_swaps_the_row_with_htmx(app, http):
    center = Center()
    response = http.post(
        f"/desk/capacity/slots/{center.slot.id}", data={f"slot-{center.slot.id}-capacity": "12"}, headers=HX
    )
    assert response.status_code == 200
    row = text(response)
    assert "<html" not in row
    assert f'id="slot-{center.slot.id}"' in row and "Saved." in row and 'value="12"' in row
    assert Slot.get_by_id(center.slot.id).capacity == 12
    assert AuditEvent.select().where(AuditEvent.action == "capacity.slot_changed").count() == 1


def test_slot_edit_without_javascript_redirects_back_to_the_day(app, http):
    center = Center()
    response = http.post(f"/desk/capacity/slots/{center.slot.id}", data={f"slot-{center.slot.id}-capacity": "7"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/desk/capacity/{center.day}")
    assert "Capacity of 08:00 saved: 7 places." in text(http.get(response.headers["Location"]))


def test_capacity_below_bookings_is_refused_beside_the_field_listing_names(app, http):
    center = Center(slot_capacity=5)
    a = booking.book(Actor(), person("王芳").id, center.slot.id, "BASIC")
    b = booking.book(Actor(), person("Li Lei").id, center.slot.id, "BASIC")
    name = f"slot-{center.slot.id}-capacity"
    row = text(http.post(f"/desk/capacity/slots/{center.slot.id}", data={name: "1"}, headers=HX))
    assert "2 places are already booked" in row and "王芳" in row and "Li Lei" in row and a.exam_code in row
    assert "Move them first." in row and f'id="{name}-error"' in row and 'aria-invalid="true"' in row
    page = http.post(f"/desk/capacity/slots/{center.slot.id}", data={name: "1"})
    assert page.status_code == 422 and b.exam_code in text(page) and "<html" in text(page)
    assert Slot.get_by_id(center.slot.id).capacity == 5
    assert not AuditEvent.select().where(AuditEvent.action == "capacity.slot_changed").exists()
    assert_counters_consistent()


@pytest.mark.parametrize(
    "value, message",
    [
        ("abc", "whole number"),
        ("", "required"),
        ("-3", "0 or more"),
        ("10001", "10000 or less"),
        ("99999999999999999999", "whole number"),
        ("1e3", "whole number"),
        ("2.5", "whole number"),
    ],
)
def test_bad_capacities_are_refused_with_a_message(app, http, value, message):
    center = Center()
    for url, name in (
        (f"/desk/capacity/slots/{center.slot.id}", f"slot-{center.slot.id}-capacity"),
        (f"/desk/capacity/resources/{center.ct_day.id}", f"resource-{center.ct_day.id}-capacity"),
    ):
        response = http.post(url, data={name: value})
        assert response.status_code == 422 and message in text(response)
        assert http.post(url, data={name: value}, headers=HX).status_code == 200
    assert Slot.get_by_id(center.slot.id).capacity == 5 and ResourceDay.get_by_id(center.ct_day.id).capacity == 3


@pytest.mark.parametrize(
    "path",
    [
        "/desk/capacity/slots/999999",
        "/desk/capacity/resources/999999",
        "/desk/capacity/slots/99999999999999999999999",
        "/desk/capacity/resources/18446744073709551617",
    ],
)
def test_unknown_ids_are_not_found(app, http, path):
    assert http.post(path, data={"capacity": "3"}).status_code == 404


def test_resource_capacity_inline_edit_and_refusal(app, http):
    center = Center(ct_capacity=3)
    booking.book(Actor(), person("王芳").id, center.slot.id, "CT-PKG")
    name = f"resource-{center.ct_day.id}-capacity"
    ok = http.post(f"/desk/capacity/resources/{center.ct_day.id}", data={name: "6"}, headers=HX)
    assert ok.status_code == 200 and "Saved." in text(ok) and ResourceDay.get_by_id(center.ct_day.id).capacity == 6
    refused = http.post(f"/desk/capacity/resources/{center.ct_day.id}", data={name: "0"})
    assert refused.status_code == 422 and "1 places are already booked" in text(refused) and "王芳" in text(refused)
    assert ResourceDay.get_by_id(center.ct_day.id).capacity == 6


def test_closing_a_day_lists_who_to_reschedule_then_reopening(app, http):
    center = Center()
    a = booking.book(Actor(), person("王芳", "13800000001").id, center.slot.id, "BASIC")
    b = booking.book(Actor(), person("Li Lei", "13900000002").id, center.slot2.id, "BASIC")
    response = http.post(f"/desk/capacity/{center.day}/close", data={"note": "Public holiday"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/desk/capacity/{center.day}#appointments")
    page = text(http.get(f"/desk/capacity/{center.day}"))
    assert "2 appointments need rescheduling" in page and "Appointments to reschedule" in page
    for appointment, name, phone, slot in (
        (a, "王芳", "13800000001", "08:00–09:00"),
        (b, "Li Lei", "13900000002", "09:00–10:00"),
    ):
        row = re.search(rf"<tr>\s*<td>{name}</td>(.*?)</tr>", page, re.S).group(1)
        assert phone in row and appointment.exam_code in row and slot in row
    assert "Reopen for booking" in page
    calendar = text(http.get(f"/desk/capacity?month={center.day:%Y-%m}"))
    assert "cal-day fill-closed" in calendar
    assert AuditEvent.select().where(AuditEvent.action == "capacity.day_closed").count() == 1
    reopened = http.post(f"/desk/capacity/{center.day}/reopen")
    assert reopened.status_code == 303
    assert Slot.select().where(Slot.closed == True).count() == 0
    assert "Close this day" in text(http.get(f"/desk/capacity/{center.day}"))


def test_closing_a_day_without_slots_is_refused(app, http):
    day = clock.today() + datetime.timedelta(days=5)
    response = http.post(f"/desk/capacity/{day}/close", data={"note": "x"})
    assert response.status_code == 422 and "There are no slots" in text(response)
    center = Center()
    too_long = http.post(f"/desk/capacity/{center.day}/close", data={"note": "x" * 201})
    assert too_long.status_code == 422 and "at most 200" in text(too_long)
    assert Slot.select().where(Slot.closed == True).count() == 0


# --- the weekly template -------------------------------------------------------------------------


def template_data(start, end, rows, weekdays=("0", "1", "2", "3", "4"), **extra):
    data = {
        "start": start.isoformat() if hasattr(start, "isoformat") else start,
        "end": end.isoformat() if hasattr(end, "isoformat") else end,
        "weekdays": list(weekdays),
    }
    for index, row in enumerate(rows):
        for key, value in zip(("start", "end", "capacity"), row):
            data[f"slots-{index}-{key}"] = value
    data.update(extra)
    return data


def test_template_form_is_prefilled_with_defaults(app, http):
    ct = factories.make_resource("CT", capacity=7)
    page = text(http.get("/desk/capacity/template"))
    assert len(re.findall(r'name="slots-\d+-start"', page)) >= 6
    assert 'value="07:30"' in page and 'value="15:30"' in page
    assert re.search(rf'name="resource_{ct.id}"[^>]*value="7"|value="7"[^>]*name="resource_{ct.id}"', page)
    checked = re.findall(r'<input[^>]*name="weekdays"[^>]*>', page)
    assert len(checked) == 7 and sum("checked" in box for box in checked) == 5


def test_template_post_opens_slots_and_reports_counts(app, http):
    ct = factories.make_resource("CT", capacity=7)
    today = clock.today()
    monday = today + datetime.timedelta(days=(7 - today.weekday()) % 7 + 7)
    rows = [("08:00", "09:00", "10"), ("", "", ""), ("09:00", "10:00", "4"), ("", "", "")]
    response = http.post(
        "/desk/capacity/template",
        data=template_data(
            monday, monday + datetime.timedelta(days=6), rows, weekdays=("0", "2"), **{f"resource_{ct.id}": "2"}
        ),
    )
    assert response.status_code == 303 and f"month={monday:%Y-%m}" in response.headers["Location"]
    assert "4 slots opened, 0 updated." in text(http.get(response.headers["Location"]))
    assert Slot.select().count() == 4
    assert sorted({s.day.weekday() for s in Slot.select()}) == [0, 2]
    assert [r.capacity for r in ResourceDay.select()] == [2, 2]
    again = http.post(
        "/desk/capacity/template",
        data=template_data(
            monday,
            monday + datetime.timedelta(days=6),
            [("08:00", "09:00", "12")],
            weekdays=("0", "2"),
            **{f"resource_{ct.id}": "2"},
        ),
    )
    assert again.status_code == 303
    assert "0 slots opened, 2 updated." in text(http.get(again.headers["Location"]))


def _field_error(page, field_id):
    match = re.search(rf'<small id="{field_id}-error" class="field-error">(.*?)</small>', page, re.S)
    return match.group(1) if match else None


def test_template_errors_appear_next_to_their_fields(app, http):
    tomorrow = clock.today() + datetime.timedelta(days=1)
    rows = [
        ("08:00", "09:00", "10"),
        ("10:00", "09:30", "5"),
        ("", "", ""),
        ("08:30", "09:30", "5"),
        ("11:00", "12:00", "10001"),
        ("13:00", "", ""),
    ]
    response = http.post("/desk/capacity/template", data=template_data(tomorrow, tomorrow, rows))
    page = text(response)
    assert response.status_code == 422
    assert "10000 or less" in _field_error(page, "slots-4-capacity")
    assert "leave the whole row empty" in _field_error(page, "slots-5-end")
    assert Slot.select().count() == 0
    # the cross-row rules come from the service once every row parses
    rows = [("08:00", "09:00", "10"), ("10:00", "09:30", "5"), ("", "", ""), ("08:30", "09:30", "5")]
    page = text(http.post("/desk/capacity/template", data=template_data(tomorrow, tomorrow, rows)))
    assert "ends before it starts" in _field_error(page, "slots-1-end")
    assert "overlap" in _field_error(page, "slots-3-start")
    assert Slot.select().count() == 0


@pytest.mark.parametrize(
    "start, end, weekdays, field, message",
    [
        (5, 1, ("0",), "end", "before the start date"),
        (1, 500, ("0",), "end", "at most one year"),
        (-3, 1, ("0",), "start", "today or later"),
        (1, 5, (), "weekdays", "at least one weekday"),
        (1, 5, ("9",), "weekdays", "valid choice"),
        (1, 5, ("abc",), "weekdays", "Invalid choice"),
        ("2026-02-30", 5, ("0",), "start", "Not a valid date"),
        ("99999-01-01", 5, ("0",), "start", "Not a valid date"),
        ("", 5, ("0",), "start", "required"),
    ],
)
def test_template_rejects_bad_dates_and_weekdays(app, http, start, end, weekdays, field, message):
    today = clock.today()
    as_date = lambda v: today + datetime.timedelta(days=v) if isinstance(v, int) else v
    response = http.post(
        "/desk/capacity/template",
        data=template_data(as_date(start), as_date(end), [("08:00", "09:00", "10")], weekdays=weekdays),
    )
    page = text(response)
    assert response.status_code == 422
    error = _field_error(page, field)
    assert error and message in error, page[:3000]
    assert Slot.select().count() == 0


def test_template_with_only_empty_rows_asks_for_a_slot(app, http):
    tomorrow = clock.today() + datetime.timedelta(days=1)
    response = http.post(
        "/desk/capacity/template",
        data=template_data(tomorrow, tomorrow, [("", "", "")] * 8, weekdays=[str(tomorrow.weekday())]),
    )
    assert response.status_code == 422 and "Add at least one slot" in text(response)


def test_template_bad_resource_capacity_is_shown_beside_it(app, http):
    ct = factories.make_resource("CT", capacity=7)
    tomorrow = clock.today() + datetime.timedelta(days=1)
    response = http.post(
        "/desk/capacity/template",
        data=template_data(tomorrow, tomorrow, [("08:00", "09:00", "10")], **{f"resource_{ct.id}": "many"}),
    )
    assert response.status_code == 422 and "whole number" in _field_error(text(response), f"resource_{ct.id}")


def test_day_page_query_count_does_not_grow_with_appointments(app, http, count_queries):
    center = Center(slot_capacity=40, ct_capacity=40)
    booking.book(Actor(), person("First").id, center.slot.id, "CT-PKG")
    with count_queries() as few:
        assert http.get(f"/desk/capacity/{center.day}").status_code == 200
    for n in range(12):
        booking.book(
            Actor(), person(f"Client {n}", f"1380000{n:04d}").id, (center.slot if n % 2 else center.slot2).id, "CT-PKG"
        )
    with count_queries() as many:
        page = text(http.get(f"/desk/capacity/{center.day}"))
    assert "Client 11" in page and "13800000011" in page
    assert many.count == few.count
