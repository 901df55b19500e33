"""A station board's rows printed in Python (blueprints/exam/board_rows.py) are the markup
templates/exam/_board.html's loops printed, byte for byte: clients in progress with and without the done button,
waiting (numbered) and done (with and without an end or a duration), either sex, an unknown one and none, no
age, markup in names and codes; in English and Chinese."""

import datetime

import pytest
from flask import render_template_string
from flask_babel import force_locale

from checkup.blueprints.exam.board_rows import board_rows
from checkup.models import Department
from checkup.services.exam.station_board import Board, BoardRow
from checkup.services.exam.station_queue import Pair

# the loops of templates/exam/_board.html as they were before the rows moved to Python (and what they read)
OLD_LOOPS = """{%- set some_id = 987654321 %}
{%- set client_link = url_for('floor.client', appointment_id=some_id)|replace('%', '%%')|replace(some_id|string, '%d') %}
{%- set done_link = url_for('floor.done', department_code=station.code, appointment_id=some_id)|replace('%', '%%')|replace(some_id|string, '%d') if may_act else '' %}
{%- set sex_labels = {'male': choice_label('sex', 'male')|string, 'female': choice_label('sex', 'female')|string} %}
<tbody>
  {% for row in board.in_progress %}
  <tr>
    <td><code>{{ row.exam_code }}</code></td>
    <td><a href="{{ client_link % row.appointment_id }}">{{ row.name }}</a></td>
    <td>{{ sex_labels[row.sex] if row.sex in sex_labels else choice_label('sex', row.sex) }} / {{ row.age }}</td>
    <td>{{ row.pair.started_at|center_time("%H:%M") }}</td>
    <td class="num">{{ board.minutes_since(row.pair.started_at) }}</td>
    <td class="num">{{ row.pending }}</td>
    {% if may_act %}<td>
      <form method="post" action="{{ done_link % row.appointment_id }}"
            hx-post="{{ done_link % row.appointment_id }}" hx-target="#board" hx-swap="innerHTML" class="inline-form">
        <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
        <button type="submit" class="secondary">{{ _("Done here") }}</button>
      </form>
    </td>{% endif %}
  </tr>
  {% else %}
  <tr><td>none</td></tr>
  {% endfor %}
</tbody>
<tbody>
  {% for row in board.waiting %}
  <tr>
    <td class="num">{{ loop.index }}</td>
    <td><code>{{ row.exam_code }}</code></td>
    <td><a href="{{ client_link % row.appointment_id }}">{{ row.name }}</a></td>
    <td>{{ sex_labels[row.sex] if row.sex in sex_labels else choice_label('sex', row.sex) }} / {{ row.age }}</td>
    <td>{{ row.slot_start.strftime("%H:%M") }}</td>
    <td class="num">{{ row.pending }}</td>
  </tr>
  {% else %}
  <tr><td>none</td></tr>
  {% endfor %}
</tbody>
<tbody>
  {% for row in board.done %}
  <tr>
    <td><code>{{ row.exam_code }}</code></td>
    <td>{{ row.name }}</td>
    <td>{{ row.pair.done_at|center_time("%H:%M") if row.pair.done_at else "—" }}</td>
    <td class="num">{{ "%.0f"|format(row.pair.minutes) if row.pair.minutes is not none else "—" }}</td>
  </tr>
  {% else %}
  <tr><td>none</td></tr>
  {% endfor %}
</tbody>"""
NEW_LOOPS = """
<tbody>
  {% if board.in_progress %}{{ board_rows.in_progress }}{% else %}
  <tr><td>none</td></tr>
  {% endif %}
</tbody>
<tbody>
  {% if board.waiting %}{{ board_rows.waiting }}{% else %}
  <tr><td>none</td></tr>
  {% endif %}
</tbody>
<tbody>
  {% if board.done %}{{ board_rows.done }}{% else %}
  <tr><td>none</td></tr>
  {% endif %}
</tbody>"""

MORNING = datetime.datetime(2026, 3, 4, 1, 0)


def _board(filled=True):
    station = Department(id=3, code="LAB&<1>", name_en="Lab", name_zh="检验")
    board = Board(station=station, day=MORNING.date(), as_of=MORNING + datetime.timedelta(minutes=47))
    if not filled:
        return board
    people = [("male", 41), ("female", None), ("other<x>", 7), ("", 30)]
    for n, (sex, age) in enumerate(people):
        started = MORNING + datetime.timedelta(minutes=5 * n)
        busy = Pair(100 + n, 3, 4, n % 3, None, False, False, started_at=started)
        board.in_progress.append(BoardRow(100 + n, f"EX{n}&", f"Name <{n}>", sex, age, datetime.time(8, 30), busy))
        waiting = Pair(200 + n, 3, 2, 0, None, False, False)
        board.waiting.append(BoardRow(200 + n, f"W{n}", f"Wait '{n}'", sex, age, datetime.time(9, 15 + n), waiting))
    finished = [
        Pair(300, 3, 2, 2, MORNING + datetime.timedelta(minutes=20), False, False, started_at=MORNING),
        Pair(301, 3, 2, 1, None, False, True),  # completed, never scanned in: no end, no duration
        Pair(302, 3, 1, 1, MORNING, False, False, started_at=MORNING + datetime.timedelta(minutes=3)),
        Pair(303, 3, 2, 0, None, False, False, MORNING, MORNING + datetime.timedelta(seconds=150)),
    ]
    for n, pair in enumerate(finished):
        board.done.append(BoardRow(pair.appointment_id, f"D{n}", f'Done "{n}"', "female", 50, datetime.time(8), pair))
    return board


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("may_act", [True, False])
@pytest.mark.parametrize("filled", [True, False])
def test_rows_as_the_template_printed_them(app, language, may_act, filled):
    board = _board(filled)
    with app.test_request_context("/"), force_locale(language):
        context = dict(board=board, station=board.station, may_act=may_act)
        old = render_template_string(OLD_LOOPS, **context)
        new = render_template_string(NEW_LOOPS, board_rows=board_rows(board, may_act), **context)
    assert new == old
    assert ("csrf_token" in new) == (filled and may_act)
