"""The survey dashboard's rows printed in Python (blueprints/care/surveys_rows.py) are the markup the loops of
templates/surveys/dashboard.html printed, byte for byte: areas and months with and without answers (bars of
every width), low scores with an open, a closed and no follow-up (and one whose follow-up is gone), several
low areas or one, markup in names and comments, a comment without a score; the lists empty; in English and
Chinese; and the follow-up's page missing (the client's record instead)."""

import datetime

import pytest
from flask import render_template_string
from flask_babel import force_locale

from checkup.blueprints.care import surveys_rows
from checkup.blueprints.care.surveys import FOLLOW_UP_ARG, FOLLOW_UP_ENDPOINT, follow_up_link
from checkup.services.care import surveys
from checkup.services.care.surveys import Comment, FollowUpBrief, LowScore, Named

# the loops as they were before the rows moved to Python (from each <tbody> to its </tbody>)
OLD_LOOPS = """{% from "surveys/_bar.html" import bar %}<tbody>
  {% for area in data.areas %}
    <tr><th scope="row">{{ area.label }}</th>
      <td class="num">{{ '%.2f'|format(area.average) if area.average is not none else '—' }}</td>
      <td>{{ bar(area.average) }}</td>
      <td class="num">{{ area.responses }}</td></tr>
  {% endfor %}
  </tbody>
<tbody>
  {% for month in data.months|reverse %}
    <tr><th scope="row">{{ month.month.strftime('%Y-%m') }}</th><td class="num">{{ month.responses }}</td>
      {% for name in fields %}<td class="num">{{ '%.2f'|format(month.averages[name]) if month.averages[name] is not none else '—' }}</td>{% endfor %}
      <td>{{ bar(month.averages.overall) }}</td></tr>
  {% endfor %}
  </tbody>
<tbody>
  {% for survey in data.low %}
    <tr><td>{{ survey.answered_at|center_time }}</td><td>{{ survey.client.name }}</td>
      <td>{% for name in fields if (survey|attr(name)) is not none and (survey|attr(name)) <= 2 %}{{ labels[name] }} {{ survey|attr(name) }}/5{% if not loop.last %}, {% endif %}{% endfor %}</td>
      <td>{% if survey.follow_up_id and survey.follow_up %}<a href="{{ follow_up_link(survey) }}">{{ _("Level %(level)s, due %(due)s", level=survey.follow_up.level, due=survey.follow_up.due_at|center_time) }}</a>
        <span class="badge {{ 'done' if survey.follow_up.status == 'closed' else 'warning' }}">{{ _("closed") if survey.follow_up.status == 'closed' else _("open") }}</span>
        {% else %}<a href="{{ follow_up_link(survey) }}">{{ _("Client record") }}</a>{% endif %}</td></tr>
  {% endfor %}
  </tbody>
<tbody>
  {% for survey in data.comments %}
    <tr><td>{{ survey.answered_at|center_time }}</td><td>{{ survey.client.name }}</td>
      <td class="num">{{ survey.overall }}/5</td><td class="directory-notes">{{ survey.comment }}</td></tr>
  {% endfor %}
  </tbody>"""
NEW_LOOPS = """<tbody>
  {{ area_rows }}
  </tbody>
<tbody>
  {{ month_rows }}
  </tbody>
<tbody>
  {{ low_rows }}
  </tbody>
<tbody>
  {{ comment_rows }}
  </tbody>"""


def _data():
    fields = surveys.SCORE_FIELDS
    averages = [4.57, 1.0, None, 5.0, 2.33, 3.1]
    areas = [
        {"field": name, "label": surveys.SCORE_LABELS[name], "average": average, "responses": i * 7}
        for i, (name, average) in enumerate(zip(fields, averages, strict=True))
    ]
    months = []
    for i in range(12):
        month = datetime.date(2025 + (i + 6) // 12, (i + 6) % 12 + 1, 1)
        values = {
            name: (None if (i + j) % 4 == 0 else round(1 + (i * 0.37 + j * 0.61) % 4, 2))
            for j, name in enumerate(fields)
        }
        months.append({"month": month, "responses": 0 if values["overall"] is None else i + 1, "averages": values})
    at = datetime.datetime(2026, 3, 31, 17, 45)  # 01:45 on April 1 at the center

    def low(i, follow_up, **scores):
        values = {name: scores.get(name) for name in fields}
        return LowScore(
            id=100 + i,
            answered_at=at - datetime.timedelta(hours=i),
            client_id=40 + i,
            follow_up_id=follow_up.id if follow_up else scores.get("follow_up_id"),
            **values,
            client=Named(f'Wang <b>"{i}"</b> & co'),
            follow_up=follow_up,
        )

    lows = [
        low(0, FollowUpBrief(7, "B", at + datetime.timedelta(days=3), "open"), overall=2, booking=1, stations=5),
        low(1, FollowUpBrief(8, "A<", at, "closed"), overall=4, staff_attitude=2),
        low(2, None, overall=1),  # no follow-up opened
        low(3, None, overall=2, front_desk=2, report_clarity=1, follow_up_id=9),  # its follow-up is gone
    ]
    comments = [
        Comment(200, at, 40, 5, "Lovely <script>alert('x')</script> & more", Named("王芳")),
        Comment(201, at - datetime.timedelta(days=40), 41, None, "No score?", Named('Li "Na"')),
    ]
    return {"areas": areas, "months": months, "low": lows, "comments": comments}


def _render(data, fields, labels):
    old = render_template_string(OLD_LOOPS, data=data, fields=fields, labels=labels, follow_up_link=follow_up_link)
    new = render_template_string(
        NEW_LOOPS,
        area_rows=surveys_rows.area_rows(data["areas"]),
        month_rows=surveys_rows.month_rows(data["months"], fields),
        low_rows=surveys_rows.low_rows(data["low"], fields, labels, FOLLOW_UP_ENDPOINT, FOLLOW_UP_ARG),
        comment_rows=surveys_rows.comment_rows(data["comments"]),
    )
    return old, new


@pytest.mark.parametrize("language", ["en", "zh"])
def test_rows_as_the_template_printed_them(app, language):
    data = _data()
    with app.test_request_context("/care/surveys"), force_locale(language):
        old, new = _render(data, surveys.SCORE_FIELDS, surveys.SCORE_LABELS)
    assert new == old
    assert new.count("<tr>") == 6 + 12 + 4 + 2 and "<svg" in new and "—" in new
    assert 'class="badge done"' in new and 'class="badge warning"' in new and "&lt;script&gt;" in new
    assert "/care/followups/7" in new and "/care/followups/9" in new


@pytest.mark.parametrize("language", ["en", "zh"])
def test_empty_lists_print_nothing(app, language):
    data = {"areas": [], "months": [], "low": [], "comments": []}
    with app.test_request_context("/care/surveys"), force_locale(language):
        old, new = _render(data, surveys.SCORE_FIELDS, surveys.SCORE_LABELS)
    assert new == old


def test_without_the_follow_up_page_the_client_record_is_linked(app, monkeypatch):
    data = _data()
    with app.test_request_context("/care/surveys"):
        monkeypatch.delitem(app.view_functions, FOLLOW_UP_ENDPOINT)
        old, new = _render(data, surveys.SCORE_FIELDS, surveys.SCORE_LABELS)
    assert new == old
    assert "/care/followups/" not in new


def test_bars_of_every_width(app):
    with app.test_request_context("/"):
        macro = app.jinja_env.get_template("surveys/_bar.html").module.bar
        for tenths in range(0, 51):
            value = tenths / 10 + 0.003 * (tenths % 3)
            assert surveys_rows.bar(value) == str(macro(value))
        assert surveys_rows.bar(None) == str(macro(None)) == ""
