"""The guidance screen's rows printed in Python (blueprints/exam/guidance_rows.py) are the markup
templates/exam/_guidance.html's loops printed, byte for byte: the stations' loads (busy, quiet, empty) and the
clients with a station now and none, a station suggested next (one there, several), every station done, nothing
left to suggest, and no client at all; markup in names and codes; in English and Chinese."""

import datetime

import pytest
from flask import render_template_string
from flask_babel import force_locale

from checkup.blueprints.exam.guidance_rows import guidance_rows, station_loads
from checkup.models import Appointment, Client, Department, Slot
from checkup.services.exam.guidance import FloorGuidance, Guide, GuideRow
from checkup.services.exam.station_queue import StationLoad

# the loops of templates/exam/_guidance.html as they were before the rows moved to Python
OLD_LOOPS = """<p class="station-loads">{% for load in listing.loads if load.load %}<span class="badge {{ 'warning' if load.waiting > 5 else 'info' }}">{{ localized(load.station) }} {{ load.load }}</span> {% endfor %}</p>
  <tbody id="guidance-rows">
  {#- the rows' address is a pattern (url_for costs ~10 µs a call; the screen polls every 10 s) #}
  {%- set some_id = 987654321 %}
  {%- set client_link = url_for('floor.client', appointment_id=some_id)|replace('%', '%%')|replace(some_id|string, '%d') %}
  {% for row in listing.page.items %}
  {% set a, g = row.appointment, row.guide %}
  <tr>
    <td>{{ a.slot.start_time.strftime("%H:%M") }}</td>
    <td><code>{{ a.exam_code }}</code></td>
    <td><a href="{{ client_link % a.id }}">{{ a.client.name }}</a></td>
    <td>{{ localized(g.current) if g.current else "—" }}</td>
    <td>{% if g.next %}{{ localized(g.next) }} <span class="muted">{{ ngettext("(%(num)d there)", "(%(num)d there)", g.next_load) }}</span>
        {% elif g.finished %}<span class="badge done">{{ _("All stations done") }}</span>{% else %}—{% endif %}</td>
    <td class="num">{{ g.done }} / {{ g.total }}</td>
  </tr>
  {% else %}
  <tr><td colspan="6">{{ _("No client is checked in today.") }}</td></tr>
  {% endfor %}
  </tbody>"""
NEW_LOOPS = """<p class="station-loads">{{ loads }}</p>
  <tbody id="guidance-rows">
  {{ rows }}
  </tbody>"""


def _floor():
    lab = Department(id=1, code="LAB", name_en="Lab <&>", name_zh="检验科")
    eye = Department(id=2, code="OPH", name_en="Eyes", name_zh="")
    ent = Department(id=3, code="ENT", name_en="ENT", name_zh="耳鼻喉科")
    loads = [StationLoad(lab, waiting=6, in_progress=1), StationLoad(eye, waiting=1), StationLoad(ent)]
    guides = [
        Guide(1, current=lab, next=eye, next_load=1, done=1, total=3),
        Guide(2, current=None, next=lab, next_load=7, done=0, total=2),
        Guide(3, current=None, next=None, done=2, total=2),  # every station done
        Guide(4, current=ent, next=None, done=1, total=2),  # in the last one
        Guide(5, current=None, next=None, done=0, total=0),  # nothing on the floor
    ]
    rows = []
    for guide in guides:
        appointment = Appointment(
            id=guide.appointment_id,
            exam_code=f"E<{guide.appointment_id}>",
            client=Client(id=guide.appointment_id, name=f"张<{guide.appointment_id}> & O'Brien"),
            slot=Slot(id=1, start_time=datetime.time(8, guide.appointment_id * 5)),
        )
        rows.append(GuideRow(appointment, guide))
    return FloorGuidance(page=None, loads=loads), rows


@pytest.mark.parametrize("language", ["en", "zh"])
def test_rows_as_the_template_printed_them(app, language):
    listing, rows = _floor()
    with app.test_request_context("/"), force_locale(language):
        listing.page = type("Page", (), {"items": rows})
        old = render_template_string(OLD_LOOPS, listing=listing)
        new = render_template_string(NEW_LOOPS, loads=station_loads(listing.loads), rows=guidance_rows(rows))
    assert new == old
    assert (
        "badge warning" in new and "badge done" in new and "&amp; O&#39;Brien" in new and "/exam/floor/clients/3" in new
    )


@pytest.mark.parametrize("language", ["en", "zh"])
def test_no_client_as_the_template_printed_it(app, language):
    listing, _rows = _floor()
    listing.loads = []
    with app.test_request_context("/"), force_locale(language):
        listing.page = type("Page", (), {"items": []})
        old = render_template_string(OLD_LOOPS, listing=listing)
        new = render_template_string(NEW_LOOPS, loads=station_loads([]), rows=guidance_rows([]))
    assert new == old
    assert 'colspan="6"' in new
