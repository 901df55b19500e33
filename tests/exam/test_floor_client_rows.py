"""A client's place on the floor printed in Python (blueprints/exam/floor_client_rows.py) is the markup
templates/exam/_floor_client.html printed, byte for byte: a station suggested next (with its count), all done,
nothing to do, each state of a station, fasting ones, with and without the "Open here" buttons, markup in
names and codes; in English and Chinese. And the place itself, read in one query with its stations, is what
the floor's pairs say (station_queue), on and off the floor."""

import datetime

import pytest
from flask import render_template_string
from flask_babel import force_locale

from checkup.blueprints.exam.floor_client_rows import floor_client_markup
from checkup.models import Appointment, Department
from checkup.services.catalog import station_order
from checkup.services.exam import guidance, station_queue
from checkup.services.exam.guidance import FloorPlace, Guide, PlacedAppointment, StationState
from checkup.services.exam.station_queue import Pair
from tests import factories
from tests.exam.test_station_queue import HTMX, POLL, checked_in, make_floor, visit
from tests.exam_day_helpers import booked_client, freeze_clock

# templates/exam/_floor_client.html as it was before it moved to Python; only ``current_user.has_role
# ('physician')`` reads ``is_physician`` here (a request context with nobody signed in)
OLD_FRAGMENT = """{# A client's place on the floor for the desk and the stations (refreshes itself every 10 s): where they
   are, the station suggested next and each station's state; a station opens the client there (a scan by
   the exam code). ``place`` is a guidance.FloorPlace. #}
{% set a, g = place.appointment, place.guide %}
{% set may_act = is_physician and a.status == 'checked_in' %}
{% set state_labels = {"done": _("Done"), "in_progress": _("In progress"), "waiting": _("Waiting"), "elsewhere": _("Waiting (at another station now)")} %}
{% set state_classes = {"done": "done", "in_progress": "warning", "waiting": "info", "elsewhere": ""} %}
<div id="floor-client" hx-get="{{ url_for('floor.client', appointment_id=a.id) }}" hx-trigger="every 10s" hx-swap="outerHTML">
<dl class="facts">
  <dt>{{ _("Exam code") }}</dt><dd><code>{{ a.exam_code }}</code></dd>
  <dt>{{ _("Status") }}</dt><dd>{{ appointment_status(a.status) }}</dd>
  <dt>{{ _("Now at") }}</dt><dd>{{ localized(g.current) if g.current else "—" }}</dd>
  <dt>{{ _("Next station") }}</dt>
  <dd id="next-station">{% if g.next %}<strong>{{ localized(g.next) }}</strong> <span class="muted">{{ ngettext("(%(num)d there)", "(%(num)d there)", g.next_load) }}</span>
      {% elif g.finished %}{{ _("All stations done") }}{% else %}—{% endif %}</dd>
  <dt>{{ _("Breakfast") }}</dt><dd>{{ _("Not yet: fasting stations are still to do.") if g.fasting_left else _("Allowed: no fasting station is left.") }}</dd>
</dl>
<div class="table-wrap">
<table>
  <thead><tr>
    <th scope="col">{{ _("Station") }}</th><th scope="col">{{ _("State") }}</th><th scope="col" class="num">{{ _("To do") }}</th>
    {% if may_act %}<th scope="col">{{ _("Open") }}</th>{% endif %}
  </tr></thead>
  <tbody>
  {% for entry in place.stations %}
  <tr>
    <th scope="row">{{ localized(entry.station) }}{% if entry.pair.fasting and not entry.pair.done %} <span class="badge warning">{{ _("fasting") }}</span>{% endif %}</th>
    <td><span class="badge {{ state_classes[entry.state] }}">{{ state_labels[entry.state] }}</span></td>
    <td class="num">{{ entry.pair.pending }}</td>
    {% if may_act %}<td>
      <form method="post" action="{{ url_for('floor.scan', department_code=entry.station.code) }}" class="inline-form">
        <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
        <input type="hidden" name="code" value="{{ a.exam_code }}">
        <button type="submit" class="secondary">{{ _("Open here") }}</button>
      </form>
    </td>{% endif %}
  </tr>
  {% else %}
  <tr><td colspan="{{ 4 if may_act else 3 }}">{{ _("This client has no station to visit today.") }}</td></tr>
  {% endfor %}
  </tbody>
</table>
</div>
</div>
"""

MORNING = datetime.datetime(2026, 3, 4, 1, 0)
DRAW = Department(id=1, code="DRAW", name_en="Blood <draw>", name_zh="采血室", sort_order=0)
GEN = Department(id=2, code="G&N", name_en="General", name_zh="", sort_order=3)
US = Department(id=3, code="US", name_en="Ultrasound", name_zh="超声科", sort_order=5)


def _place(kind, status="checked_in"):
    appointment = PlacedAppointment(7, "EX<7>&", datetime.date(2026, 3, 4), status, 9, "O'Brien <b>")
    done = Pair(7, 1, 2, 2, MORNING, True, False, started_at=MORNING, finished_at=MORNING)
    busy = Pair(7, 2, 3, 1, None, False, False, started_at=MORNING)
    fasting = Pair(7, 3, 1, 0, None, True, False)
    if kind == "next":  # in progress at GEN, ultrasound next (fasting, 3 there)
        guide = Guide(7, current=GEN, next=US, next_load=3, still_to_do=[US], done=1, total=3, fasting_left=True)
        stations = [StationState(DRAW, done, True), StationState(GEN, busy, True), StationState(US, fasting, True)]
    elif kind == "waiting":  # nowhere now, one there
        guide = Guide(7, next=US, next_load=1, still_to_do=[US, GEN], done=1, total=3, fasting_left=True)
        waiting = Pair(7, 2, 3, 1, None, False, False)
        stations = [
            StationState(DRAW, done, False),
            StationState(US, fasting, False),
            StationState(GEN, waiting, False),
        ]
    elif kind == "finished":
        guide = Guide(7, done=1, total=1)
        stations = [StationState(DRAW, done, False)]
    else:  # nothing to do today
        guide = Guide(7)
        stations = []
    return FloorPlace(appointment, guide, stations)


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("physician", [True, False])
@pytest.mark.parametrize("kind", ["next", "waiting", "finished", "none"])
@pytest.mark.parametrize("status", ["checked_in", "completed"])
def test_the_place_as_the_template_printed_it(app, language, physician, kind, status):
    place = _place(kind, status)
    may_act = physician and status == "checked_in"
    with app.test_request_context("/"), force_locale(language):
        old = render_template_string(OLD_FRAGMENT, place=place, is_physician=physician)
        new = floor_client_markup(place, may_act)
        again = floor_client_markup(place, may_act)  # the labels kept for the language
    assert new == old == again
    assert ("csrf_token" in new) == (may_act and kind != "none")


# --- the place read in one query ------------------------------------------------------------------------


@pytest.fixture
def floor(app):
    return make_floor()


def _pairs_as_the_floor_reads_them(appointment):
    state = station_queue.floor_state(appointment.day, [appointment.id])
    return state.pairs.get(appointment.id, {})


@pytest.mark.both_dbs
def test_a_place_reads_the_same_stations_as_the_floor_in_every_state(floor, monkeypatch):
    fresh = checked_in(floor, monkeypatch, "王芳")
    moving = checked_in(floor, monkeypatch, "李雷")
    visit(moving, floor.draw, minutes_ago=9, finished_minutes_ago=4)
    visit(moving, floor.us, minutes_ago=3)
    off_the_floor = booked_client(floor, monkeypatch, floor.late, "张伟", package="FLOOR")[1]
    completed = checked_in(floor, monkeypatch, "赵敏", package="NO-FAST")
    completed.status = "completed"
    completed.save()
    for stale in (fresh, moving, off_the_floor, completed):
        appointment = Appointment.get_by_id(stale.id)
        placed, pairs, rules = guidance._placed(appointment.id)
        assert sorted(rules) == sorted(station_order.rule_pairs()) == [(floor.us.id, floor.endo.id)]
        assert (placed.id, placed.exam_code, placed.day, placed.status) == (
            appointment.id,
            appointment.exam_code,
            appointment.day,
            appointment.status,
        )
        assert placed.client_name == appointment.client.name
        assert pairs == _pairs_as_the_floor_reads_them(appointment), appointment.client.name
    assert guidance._placed(moving.id)[1][floor.us.id].in_progress
    assert guidance._placed(off_the_floor.id)[1] == {}
    assert all(pair.done for pair in guidance._placed(completed.id)[1].values())
    assert guidance._placed(10**9) is None and guidance._placed(2**63) is None


@pytest.mark.both_dbs
def test_the_place_page_polls_in_a_fixed_number_of_queries_and_404s_like_a_missing_one(
    floor, monkeypatch, client, login, count_queries
):
    login(factories.make_user("physician", email="doc@example.com"))
    first = checked_in(floor, monkeypatch, "王芳")
    with count_queries() as one:
        fragment = client.get(f"/exam/floor/clients/{first.id}", headers=POLL).get_data(as_text=True)
    assert fragment.startswith("\n\n\n\n\n<div") and "<html" not in fragment and fragment.count("Open here") == 4
    second = checked_in(floor, monkeypatch, "李雷")
    for station in (floor.draw, floor.gen):
        visit(second, station, minutes_ago=5, finished_minutes_ago=1 if station is floor.draw else None)
    with count_queries() as busier:
        fragment = client.get(f"/exam/floor/clients/{second.id}", headers=HTMX).get_data(as_text=True)
    assert busier.count == one.count, busier.queries
    assert "In progress" in fragment and "General examination" in fragment
    page = client.get(f"/exam/floor/clients/{second.id}").get_data(as_text=True)
    assert "<title>李雷 · On the floor" in page and 'id="floor-client"' in page
    missing = client.get("/exam/floor/clients/999999")
    assert missing.status_code == 404
    assert client.get("/exam/floor/clients/99999999999999999999").status_code == 404
    freeze_clock(monkeypatch, 9, 30)
    booked = booked_client(floor, monkeypatch, floor.late, "张伟", package="FLOOR")[1]
    off = client.get(f"/exam/floor/clients/{booked.id}", headers=HTMX).get_data(as_text=True)
    assert "Open here" not in off and "This client has no station to visit today." in off
