"""The survey dashboard's table rows printed in Python (#16), byte for byte what the loops of
templates/surveys/dashboard.html printed (with the score bar of templates/surveys/_bar.html): the areas, the
twelve months (a dozen cells each), the recent low scores and comments. Values are escaped as the template
escaped them; labels are translated once per page and the links are patterns; tests/care/test_surveys_rows.py
renders the old loops beside them."""

import datetime

from flask import current_app
from flask_babel import gettext
from markupsafe import Markup
from werkzeug.routing import BuildError

from checkup.core import clock
from checkup.web.html_text import escaped
from checkup.web.row_printing import address_pattern, translated

BAR_TOP, BAR_WIDTH = 5, 120  # _bar.html's defaults, as the dashboard called it
_BAR = (
    f'<svg width="{BAR_WIDTH}" height="12" viewBox="0 0 {BAR_WIDTH} 12" aria-hidden="true" focusable="false">'
    f'<rect x="0" y="0" width="{BAR_WIDTH}" height="12" rx="2" fill="#dfe5ea"/>'
    '<rect x="0" y="0" width="%s" height="12" rx="2" fill="#0b4a63"/></svg>'
)
DASH = "—"


def bar(value):
    """``bar(value)`` of templates/surveys/_bar.html: nothing for None."""
    return "" if value is None else _BAR % round(value / BAR_TOP * BAR_WIDTH, 1)


def _average(value):
    return DASH if value is None else "%.2f" % value


def area_rows(areas):
    """The "scores by area" rows (``areas`` as services/care/surveys.dashboard gives them)."""
    parts = []
    add = parts.append
    for area in areas:
        average = area["average"]
        add(
            f'\n    <tr><th scope="row">{escaped(area["label"])}</th>\n      <td class="num">{_average(average)}</td>'
            f'\n      <td>{bar(average)}</td>\n      <td class="num">{escaped(area["responses"])}</td></tr>\n  '
        )
    return Markup("".join(parts))


def month_rows(months, fields):
    """The "scores by month" rows, newest first, a cell per score field of ``fields``."""
    parts = []
    add = parts.append
    for month in reversed(months):
        averages = month["averages"]
        cells = "".join(f'<td class="num">{_average(averages[name])}</td>' for name in fields)
        add(
            f'\n    <tr><th scope="row">{month["month"].strftime("%Y-%m")}</th>'
            f'<td class="num">{escaped(month["responses"])}</td>\n      {cells}'
            f"\n      <td>{bar(averages['overall'])}</td></tr>\n  "
        )
    return Markup("".join(parts))


def _center_time(zone):
    """``center_time`` (web/templating) with the center's zone looked up once per page."""

    def moment_text(moment):
        return moment.replace(tzinfo=datetime.UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""

    return moment_text


def _follow_up_pattern(endpoint, arg):
    """The address pattern of a low score's follow-up page, when that area provides it (else None)."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return address_pattern(endpoint, arg)
    except BuildError:  # as follow_up_link: no such address, the client's record instead
        return None


def low_rows(rows, fields, labels, follow_up_endpoint, follow_up_arg):
    """The "low scores" rows (``LowScore`` of services/care/surveys): each low score with its label, and a
    link to its follow-up (or to the client's record, as blueprints/care/surveys.follow_up_link)."""
    moment_text = _center_time(clock.zone())
    follow_up_link = _follow_up_pattern(follow_up_endpoint, follow_up_arg)
    client_link = escaped(address_pattern("directory.client_detail", "client_id"))
    follow_up_link = escaped(follow_up_link) if follow_up_link is not None else None
    names = [(name, escaped(labels[name])) for name in fields]
    level_due = str(translated(gettext("Level %(level)s, due %(due)s")))
    closed, still_open = translated(gettext("closed")), translated(gettext("open"))
    record = translated(gettext("Client record"))
    parts = []
    add = parts.append
    for survey in rows:
        low = [(label, value) for name, label in names if (value := getattr(survey, name)) is not None and value <= 2]
        scores = ", ".join(f"{label} {escaped(value)}/5" for label, value in low)
        link = (
            follow_up_link % survey.follow_up_id
            if survey.follow_up_id and follow_up_link is not None
            else client_link % survey.client_id
        )
        follow_up = survey.follow_up if survey.follow_up_id else None
        if follow_up:
            text = level_due % {"level": escaped(follow_up.level), "due": escaped(moment_text(follow_up.due_at))}
            is_closed = follow_up.status == "closed"
            badge = "done" if is_closed else "warning"
            cell = (
                f'<a href="{link}">{text}</a>\n        <span class="badge {badge}">'
                f"{closed if is_closed else still_open}</span>\n        "
            )
        else:
            cell = f'<a href="{link}">{record}</a>'
        add(
            f"\n    <tr><td>{moment_text(survey.answered_at)}</td><td>{escaped(survey.client.name)}</td>"
            f"\n      <td>{scores}</td>\n      <td>{cell}</td></tr>\n  "
        )
    return Markup("".join(parts))


def comment_rows(rows):
    """The "recent comments" rows (``Comment`` of services/care/surveys)."""
    moment_text = _center_time(clock.zone())
    parts = []
    add = parts.append
    for survey in rows:
        add(
            f"\n    <tr><td>{moment_text(survey.answered_at)}</td><td>{escaped(survey.client.name)}</td>"
            f'\n      <td class="num">{escaped(survey.overall)}/5</td>'
            f'<td class="directory-notes">{escaped(survey.comment)}</td></tr>\n  '
        )
    return Markup("".join(parts))
