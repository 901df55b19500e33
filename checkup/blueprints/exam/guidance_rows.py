"""The guidance screen's rows printed in Python (#16), byte for byte the markup templates/exam/_guidance.html's loops
printed: the stations' loads and a page of thirty checked-in clients with where each is and the station suggested
next (the screens poll it every 10 s). Values are escaped as the template escaped them; labels are translated once
per page; tests/exam/test_guidance_rows.py renders the old template loops beside them."""

from flask_babel import gettext, ngettext
from markupsafe import Markup, escape

from checkup.core.i18n import is_chinese
from checkup.web.row_printing import address_pattern, localized_name, translated


def station_loads(loads):
    """The badge of each station some client waits for or is in (guidance.FloorGuidance.loads)."""
    chinese = is_chinese()
    return Markup(
        "".join(
            f'<span class="badge {"warning" if load.waiting > 5 else "info"}">'
            f"{escape(localized_name(load.station, chinese))} {load.load}</span> "
            for load in loads
            if load.load
        )
    )


def guidance_rows(rows):
    """The ``<tr>`` of each guidance.GuideRow of a page (or the row saying nobody is checked in), as the
    template's loop printed them (the whitespace between them included)."""
    if not rows:
        nobody = translated(gettext("No client is checked in today."))  # outside the f-string: pybabel reads none
        return Markup(f'\n  <tr><td colspan="6">{nobody}</td></tr>\n  ')
    client_link = address_pattern("floor.client", "appointment_id")
    all_done = translated(gettext("All stations done"))  # outside the f-string: pybabel reads none
    all_done = f'<span class="badge done">{all_done}</span>'
    there = {}  # "(3 there)" by count: a page's loads take a few values
    chinese = is_chinese()
    parts = []
    add = parts.append
    for row in rows:
        appointment, guide = row.appointment, row.guide
        current = guide.current
        add(
            f"\n  \n  <tr>\n    <td>{appointment.slot.start_time.strftime('%H:%M')}</td>\n"
            f"    <td><code>{escape(appointment.exam_code)}</code></td>\n"
            f'    <td><a href="{escape(client_link % appointment.id)}">{escape(appointment.client.name)}</a></td>\n'
            f"    <td>{'—' if current is None else escape(localized_name(current, chinese))}</td>\n    <td>"
        )
        if guide.next is not None:
            load = guide.next_load
            label = there.get(load)
            if label is None:
                label = there[load] = translated(ngettext("(%(num)d there)", "(%(num)d there)", load))
            add(f'{escape(localized_name(guide.next, chinese))} <span class="muted">{label}</span>\n        ')
        elif guide.finished:
            add(all_done)
        else:
            add("—")
        add(f'</td>\n    <td class="num">{guide.done} / {guide.total}</td>\n  </tr>\n  ')  # numbers: nothing to escape
    return Markup("".join(parts))
