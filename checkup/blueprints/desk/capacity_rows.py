"""The capacity day page's appointments printed in Python (#16), byte for byte what the loop of
templates/capacity/day.html printed: a busy day lists hundreds of appointments, and the loop was a tenth of the
page's time. Values are escaped as the template escaped them; tests/booking/test_capacity_rows.py renders the
old loop beside them."""

from flask_babel import gettext
from markupsafe import Markup, escape

from checkup.web.row_printing import translated


def appointment_rows(appointments, slot_times):
    """The ``<tr>`` of each DayAppointment (id, exam code, slot id, client's name, phone); ``slot_times`` maps
    a slot's id to its times as printed."""
    no_phone_text = translated(gettext("no phone"))  # outside the f-string: pybabel reads no f-string
    no_phone = f'<span class="muted">{no_phone_text}</span>'
    out = []
    for _id, exam_code, slot_id, client_name, client_phone in appointments:
        if client_phone:
            phone = escape(client_phone)
            phone_cell = f'<a href="tel:{phone}">{phone}</a>'
        else:
            phone_cell = no_phone
        times = escape(slot_times[slot_id]) if slot_id in slot_times else ""
        out.append(
            f"\n    <tr>\n      <td>{escape(client_name)}</td>\n      <td>{phone_cell}</td>\n"
            f"      <td><code>{escape(exam_code)}</code></td>\n      <td>{times}</td>\n    </tr>"
        )
    return Markup("".join(out))
