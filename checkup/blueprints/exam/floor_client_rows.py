"""A client's place on the floor (templates/exam/_floor_client.html) printed in Python (#16), byte for byte
what the template printed: the desk's and the stations' screens poll it every 10 s. Values are escaped as
the template escaped them; the labels are translated once per language and process, the stations' scan
addresses built once per station (tests/exam/test_floor_client_rows.py renders the old template beside it).
Nothing of one viewer is kept: the CSRF token and the client's values are put in on every call."""

from flask import request, url_for
from flask_babel import gettext, ngettext
from markupsafe import Markup, escape

from checkup.core.i18n import is_chinese
from checkup.core.labels import choice_label
from checkup.models.accounts import PHYSICIAN
from checkup.models.appointments import CHECKED_IN
from checkup.web.page_shell import csrf_token
from checkup.web.row_printing import address_pattern, localized_name, translated
from checkup.web.template_gettext import _translations

_KEPT_LIMIT = 64  # languages x appointment statuses, counts and stations: few; all dropped when full

# {translations: {name: label}}: a language's labels, translated once
_labels: dict = {}
# {(translations, status)} / {(translations, count)}: the status label and "(3 there)", per language
_status_labels: dict = {}
_there_labels: dict = {}
# {(application root, station code): its scan address}; {application root: the client address pattern}
_scan_addresses: dict = {}
_client_addresses: dict = {}


def _kept(kept, key, make):
    value = kept.get(key)
    if value is None:
        if len(kept) >= _KEPT_LIMIT:
            kept.clear()
        value = kept[key] = make()
    return value


def _language_labels():
    # each text written out in its own gettext call, so pybabel finds it
    return {
        "exam_code": translated(gettext("Exam code")),
        "status": translated(gettext("Status")),
        "now_at": translated(gettext("Now at")),
        "next_station": translated(gettext("Next station")),
        "all_done": translated(gettext("All stations done")),
        "breakfast": translated(gettext("Breakfast")),
        "fasting_left": translated(gettext("Not yet: fasting stations are still to do.")),
        "no_fasting_left": translated(gettext("Allowed: no fasting station is left.")),
        "station": translated(gettext("Station")),
        "state": translated(gettext("State")),
        "to_do": translated(gettext("To do")),
        "open": translated(gettext("Open")),
        "fasting": translated(gettext("fasting")),
        "open_here": translated(gettext("Open here")),
        "no_station": translated(gettext("This client has no station to visit today.")),
        "done": translated(gettext("Done")),
        "in_progress": translated(gettext("In progress")),
        "waiting": translated(gettext("Waiting")),
        "elsewhere": translated(gettext("Waiting (at another station now)")),
    }


_STATE_CLASSES = {"done": "done", "in_progress": "warning", "waiting": "info", "elsewhere": ""}


def may_act_on(place, user):
    """Whether the page offers "Open here" at each station: a physician, the client checked in."""
    return user.has_role(PHYSICIAN) and place.appointment.status == CHECKED_IN


def floor_client_markup(place, may_act):
    """What templates/exam/_floor_client.html printed for ``place`` (a guidance.FloorPlace); ``may_act``: the
    "Open here" buttons (``may_act_on``)."""
    translations = _translations()
    labels = _kept(_labels, translations, _language_labels)
    chinese = is_chinese()
    appointment, guide = place.appointment, place.guide
    root = request.script_root
    code = escape(appointment.exam_code)
    client_link = _kept(_client_addresses, root, lambda: address_pattern("floor.client", "appointment_id"))
    status = _kept(
        _status_labels,
        (translations, appointment.status),
        lambda: escape(str(choice_label("appointment_status", appointment.status))),
    )
    current = escape(localized_name(guide.current, chinese)) if guide.current else "—"
    if guide.next:
        there = _kept(
            _there_labels,
            (translations, guide.next_load),
            lambda: translated(ngettext("(%(num)d there)", "(%(num)d there)", guide.next_load)),
        )
        next_station = (
            f'<strong>{escape(localized_name(guide.next, chinese))}</strong> <span class="muted">{there}</span>\n      '
        )
    elif guide.finished:
        next_station = labels["all_done"]
    else:
        next_station = "—"
    breakfast = labels["fasting_left"] if guide.fasting_left else labels["no_fasting_left"]
    parts = [
        f'\n\n\n\n\n<div id="floor-client" hx-get="{escape(client_link % appointment.id)}" hx-trigger="every 10s"'
        ' hx-swap="outerHTML">\n<dl class="facts">\n'
        f"  <dt>{labels['exam_code']}</dt><dd><code>{code}</code></dd>\n"
        f"  <dt>{labels['status']}</dt><dd>{status}</dd>\n"
        f"  <dt>{labels['now_at']}</dt><dd>{current}</dd>\n"
        f"  <dt>{labels['next_station']}</dt>\n"
        f'  <dd id="next-station">{next_station}</dd>\n'
        f"  <dt>{labels['breakfast']}</dt><dd>{breakfast}</dd>\n"
        '</dl>\n<div class="table-wrap">\n<table>\n  <thead><tr>\n'
        f'    <th scope="col">{labels["station"]}</th><th scope="col">{labels["state"]}</th>'
        f'<th scope="col" class="num">{labels["to_do"]}</th>\n    '
        + (f'<th scope="col">{labels["open"]}</th>' if may_act else "")
        + "\n  </tr></thead>\n  <tbody>\n  "
    ]
    add = parts.append
    if may_act:
        token = escape(csrf_token())
        open_here = labels["open_here"]
    for entry in place.stations:
        station, pair, state = entry.station, entry.pair, entry.state
        fasting = f' <span class="badge warning">{labels["fasting"]}</span>' if pair.fasting and not pair.done else ""
        add(
            f'\n  <tr>\n    <th scope="row">{escape(localized_name(station, chinese))}{fasting}</th>\n'
            f'    <td><span class="badge {_STATE_CLASSES[state]}">{labels[state]}</span></td>\n'
            f'    <td class="num">{pair.pending}</td>\n    '
        )
        if may_act:
            scan = _kept(
                _scan_addresses,
                (root, station.code),
                lambda station=station: escape(url_for("floor.scan", department_code=station.code)),
            )
            add(
                f'<td>\n      <form method="post" action="{scan}" class="inline-form">\n'
                f'        <input type="hidden" name="csrf_token" value="{token}">\n'
                f'        <input type="hidden" name="code" value="{code}">\n'
                f'        <button type="submit" class="secondary">{open_here}</button>\n'
                "      </form>\n    </td>"
            )
        add("\n  </tr>\n  ")
    if not place.stations:
        add(f'\n  <tr><td colspan="{4 if may_act else 3}">{labels["no_station"]}</td></tr>\n  ')
    add("\n  </tbody>\n</table>\n</div>\n</div>")
    return Markup("".join(parts))
