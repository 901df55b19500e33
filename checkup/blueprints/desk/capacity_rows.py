"""The capacity day page's rows printed in Python (#16), byte for byte what templates/capacity/day.html printed:
its appointments (a busy day lists hundreds, and the loop was a tenth of the page's time), and its slots and
resource days with their capacity forms (a dozen rows, each a macro call and a WTForms form built only to be
shown: a fifth of the page). Values are escaped as the template escaped them; tests/booking/test_capacity_rows.py
renders the old loop and macros beside them."""

from flask import url_for
from flask_babel import gettext
from markupsafe import Markup

from checkup.core.i18n import localized
from checkup.web.form_controls import form_field
from checkup.web.html_text import escaped
from checkup.web.page_shell import csrf_token
from checkup.web.row_printing import address_pattern, translated
from checkup.web.template_gettext import _translations


def appointment_rows(appointments, slot_times):
    """The ``<tr>`` of each DayAppointment (id, exam code, slot id, client's name, phone); ``slot_times`` maps
    a slot's id to its times as printed."""
    no_phone_text = translated(gettext("no phone"))  # outside the f-string: pybabel reads no f-string
    no_phone = f'<span class="muted">{no_phone_text}</span>'
    out = []
    times_of = {slot_id: escaped(times) for slot_id, times in slot_times.items()}
    for _id, exam_code, slot_id, client_name, client_phone in appointments:
        if client_phone:
            phone = escaped(client_phone)
            phone_cell = f'<a href="tel:{phone}">{phone}</a>'
        else:
            phone_cell = no_phone
        out.append(
            f"\n    <tr>\n      <td>{escaped(client_name)}</td>\n      <td>{phone_cell}</td>\n"
            f"      <td><code>{escaped(exam_code)}</code></td>\n      <td>{times_of.get(slot_id, '')}</td>\n    </tr>"
        )
    return Markup("".join(out))


def slot_times(slots):
    """{slot id: its times as the day page printed them, ``strftime('%H:%M') ~ '–' ~ strftime('%H:%M')``}."""
    return {slot.id: f"{_hh_mm(slot.start_time)}–{_hh_mm(slot.end_time)}" for slot in slots}


def _hh_mm(value):
    """``value.strftime("%H:%M")`` without strftime's cost."""
    return f"{value.hour:02d}:{value.minute:02d}"


def day_pager(result, day):
    """What ``pager(result, 'capacity.day', none, day=day)`` (templates/components/pager.html) printed on the
    day page, without a macro call: a page of the day's appointments, ``day`` its ISO date."""
    if not (result.has_prev or result.has_next):
        return Markup("\n\n")
    gettext = _translations().ugettext  # as the template's ``_`` (translation marked safe, then formatted)
    out = [f'\n\n\n\n<nav aria-label="{translated(gettext("Pages"))}" class="pager">\n  ']
    if result.has_prev:
        url = escaped(url_for("capacity.day", page=result.number - 1, day=day))
        previous = translated(gettext("Previous page"))
        out.append(f'\n  \n  <a href="{url}" rel="prev"><span aria-hidden="true">←</span> {previous}</a>\n  ')
    if result.pages:
        count = Markup(gettext("Page %(page)s of %(pages)s")) % {"page": result.number, "pages": result.pages}
    else:
        count = Markup(gettext("Page %(page)s")) % {"page": result.number}
    out.append(f"\n  <span>{count}</span>\n  ")
    if result.has_next:
        url = escaped(url_for("capacity.day", page=result.number + 1, day=day))
        following = translated(gettext("Next page"))
        out.append(f'\n  \n  <a href="{url}" rel="next">{following} <span aria-hidden="true">→</span></a>\n  ')
    out.append("\n</nav>\n\n")
    return Markup("".join(out))


def _capacity_cell(field_id, form_id, label, capacity):
    """What ``form_field(form.capacity, none, {'form': …, 'size': 6})`` printed for a capacity form only shown
    (not posted: no errors, the stored capacity as its value), without a form built for it."""
    value = "" if capacity is None else escaped(capacity)
    return (
        f'<div class="field" id="{field_id}-field">\n'
        f'  <label for="{field_id}">{escaped(label)} <span aria-hidden="true">*</span></label>\n'
        f'  <input autocomplete="off" form="{form_id}" id="{field_id}" inputmode="numeric" name="{field_id}"'
        f' required size="6" type="text" value="{value}">\n'
        "</div>"
    )


def _row_words():
    return {
        "booked": translated(gettext("Booked")),
        "held": translated(gettext("Held")),
        "save": translated(gettext("Save")),
    }


def slot_rows(slots, posted, fill_state, fill_labels):
    """The ``<tr>`` of each slot as the macro of templates/capacity/_slot_row.html printed it in the day page's
    loop; ``posted`` maps a slot's id to its form sent back with errors (printed by ``form_field``), every
    other slot's capacity is printed as a fresh CapacityForm printed it. An htmx save still answers with the
    macro."""
    words = _row_words()
    link = escaped(address_pattern("capacity.slot_save", "slot_id"))  # digits add nothing to escape
    token = escaped(csrf_token())
    label_pattern = gettext("Capacity %(start)s–%(end)s")
    out = []
    for slot in slots:
        slot_id = escaped(slot.id)
        form_id = f"slot-{slot_id}-form"
        state = escaped(fill_state(slot.booked + slot.held, slot.capacity, slot.closed))
        start, end = slot.start_time.strftime("%H:%M"), slot.end_time.strftime("%H:%M")
        action = link % slot.id
        form = posted.get(slot.id)
        if form is not None:
            field = form_field(form.capacity, None, {"form": form_id, "size": 6})
        else:
            label = label_pattern % {"start": start, "end": end}
            field = _capacity_cell(f"slot-{slot_id}-capacity", form_id, label, slot.capacity)
        out.append(
            f'\n\n\n<tr id="slot-{slot_id}" class="row-edit fill-{state}">\n'
            f'  <th scope="row" class="slot-time">{escaped(start)}–{escaped(end)}\n'
            f'    <form id="{form_id}" method="post" action="{action}" novalidate\n'
            f'          hx-post="{action}" hx-target="#slot-{slot_id}" hx-swap="outerHTML">\n'
            f'      <input id="slot-{slot_id}-csrf_token" name="slot-{slot_id}-csrf_token" type="hidden"'
            f' value="{token}">\n'
            "    </form>\n  </th>\n"
            f'  <td class="num" data-label="{words["booked"]}">{escaped(slot.booked)}</td>\n'
            f'  <td class="num" data-label="{words["held"]}">{escaped(slot.held)}</td>\n'
            '  <td class="capacity-td"><div class="capacity-cell">\n'
            f"    {field}\n"
            f'    <button type="submit" form="{form_id}" class="small">{words["save"]}'
            f'<span class="visually-hidden"> {escaped(start)}</span></button>\n'
            "    \n  </div></td>\n"
            f'  <td><span class="badge fill fill-{state}">{escaped(fill_labels[state])}</span></td>\n'
            "</tr>"
        )
    return Markup("".join(out))


def resource_rows(resources, posted, fill_state, fill_labels):
    """The ``<tr>`` of each resource day (with its resource) as the macro of templates/capacity/_resource_row.html
    printed it in the day page's loop; ``posted`` as for ``slot_rows``."""
    words = _row_words()
    link = escaped(address_pattern("capacity.resource_save", "resource_day_id"))
    token = escaped(csrf_token())
    label_pattern = gettext("Capacity of %(resource)s")
    out = []
    for row in resources:
        row_id = escaped(row.id)
        form_id = f"resource-{row_id}-form"
        state = escaped(fill_state(row.booked + row.held, row.capacity))
        code = row.resource.code
        action = link % row.id
        form = posted.get(row.id)
        if form is not None:
            field = form_field(form.capacity, None, {"form": form_id, "size": 6})
        else:
            label = label_pattern % {"resource": code}
            field = _capacity_cell(f"resource-{row_id}-capacity", form_id, label, row.capacity)
        out.append(
            f'\n\n\n<tr id="resource-{row_id}" class="row-edit fill-{state}">\n'
            f'  <th scope="row">{escaped(code)} · {escaped(localized(row.resource))}\n'
            f'    <form id="{form_id}" method="post" action="{action}" novalidate\n'
            f'          hx-post="{action}" hx-target="#resource-{row_id}" hx-swap="outerHTML">\n'
            f'      <input id="resource-{row_id}-csrf_token" name="resource-{row_id}-csrf_token" type="hidden"'
            f' value="{token}">\n'
            "    </form>\n  </th>\n"
            f'  <td class="num" data-label="{words["booked"]}">{escaped(row.booked)}</td>\n'
            f'  <td class="num" data-label="{words["held"]}">{escaped(row.held)}</td>\n'
            '  <td class="capacity-td"><div class="capacity-cell">\n'
            f"    {field}\n"
            f'    <button type="submit" form="{form_id}" class="small">{words["save"]}'
            f'<span class="visually-hidden"> {escaped(code)}</span></button>\n'
            "    \n  </div></td>\n"
            f'  <td><span class="badge fill fill-{state}">{escaped(fill_labels[state])}</span></td>\n'
            "</tr>"
        )
    return Markup("".join(out))


def month_days(days, today):
    """The month calendar's days (desk/capacity.CalendarCell) as the ``month_days`` macro of
    templates/capacity/_month.html printed them: some two hundred cells and resource lines a month, each a
    few template expressions."""
    total_title = translated(gettext("Booked / capacity"))
    booked_text, of_text = translated(gettext("Booked")), translated(gettext("of"))
    no_slots_text, today_text = translated(gettext("No slots")), translated(gettext("Today"))  # no f-string: pybabel
    no_slots = f'\n    <span class="muted cal-none">{no_slots_text}</span>\n    '
    today_badge = f'<span class="badge info">{today_text}</span>'
    heads: dict[tuple, tuple[str, str]] = {}
    out = ["\n  "]
    for d in days:
        state = escaped(d.state)
        day = d.day
        marks = (" today" if day == today else "") + (" past" if day < today else "")
        out.append(
            f'\n  \n  <li class="cal-day fill-{state}{marks}">\n'
            f'    <a class="cal-date" href="{escaped(d.href)}">\n'
            f'      <span class="cal-weekday">{escaped(d.weekday)}</span>\n'
            f"      <strong>{day.day}</strong>\n"
            f'      <span class="visually-hidden">{escaped(d.long_date)}</span>\n'
            f"      {today_badge if day == today else ''}\n"
            "    </a>\n    "
        )
        if d.has_slots:
            out.append(
                f'\n    <span class="cal-total" title="{total_title}"><span class="visually-hidden">{booked_text}</span>'
                f' {escaped(d.booked)}<span aria-hidden="true">/</span><span class="visually-hidden">{of_text}</span>'
                f"{escaped(d.capacity)}</span>\n"
                f'    <span class="badge fill fill-{state}">{escaped(d.label)}</span>\n    '
            )
            if d.resources:
                out.append('\n    <ul class="cal-resources">\n      ')
                for r in d.resources:
                    # a resource's line up to its counts: the same few states and resources all month long
                    head = heads.get((r.state, r.name, r.code, r.note))
                    if head is None:
                        head = heads[r.state, r.name, r.code, r.note] = (
                            f'\n      \n      <li class="fill-{escaped(r.state)}"><abbr title="{escaped(r.name)}">'
                            f"{escaped(r.code)}</abbr> ",
                            f' <span class="res-full">{escaped(r.note)}</span>' if r.note else "",
                        )
                    out.append(f"{head[0]}{escaped(r.used)}/{escaped(r.capacity)}{head[1]}</li>\n      ")
                out.append("\n    </ul>\n    ")
            out.append("\n    ")
        else:
            out.append(no_slots)
        out.append("\n  </li>\n  ")
    return Markup("".join(out))
