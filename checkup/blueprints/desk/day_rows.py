"""The day sheet's rows printed in Python (#16), byte for byte what the macro of templates/desk/_day_row.html
printed: a page has up to 50 rows of a few dozen template expressions each, and the macro was most of the
page's time. Values are escaped as the template escaped them; labels are translated once per page and the
rows' addresses come as patterns (``row_links``); tests/booking/test_day_rows.py renders the macro beside them.
The answer to an action on one row still prints it with the macro."""

from markupsafe import Markup, escape

from checkup.core.i18n import is_chinese
from checkup.core.labels import choice_label
from checkup.models.appointments import BOOKED, CHECKED_IN, COMPLETED
from checkup.web.html_text import escaped
from checkup.web.page_shell import csrf_token
from checkup.web.row_printing import translated
from checkup.web.template_gettext import _translations

BADGES = {
    "booked": "info",
    "checked_in": "success",
    "completed": "done",
    "no_show": "warning",
    "cancelled": "cancelled",
}


def _hh_mm(value):
    """``value.strftime("%H:%M")`` (a time, or a datetime), without strftime's cost: digits, nothing to escape."""
    return f"{value.hour:02d}:{value.minute:02d}"


def _status_label(code):
    return escape(str(choice_label("appointment_status", code)))


def _sex_label(sex, labels):
    label = labels.get(sex)
    return label if label is not None else escape(str(choice_label("sex", sex)))


def day_rows(rows, row_links, row_error=None, row_message=None):
    """The ``<tr>`` of each DaySheetRow (services/exam/day_sheets), as the macro's loop printed them."""
    if not rows:
        return Markup("")
    # the request's translations looked up once, not once per label (as ``gettext`` without variables)
    gettext = _translations().ugettext
    status_labels = {code: _status_label(code) for code in BADGES}
    sex_labels = {sex: escape(str(choice_label("sex", sex))) for sex in ("male", "female")}
    identity_labels = {
        "name": translated(gettext("Full name")),
        "birth_date": translated(gettext("Birth date")),
        "national_id": translated(gettext("ID number")),
    }
    walk_in = '<span class="badge pending">%s</span>' % translated(gettext("walk-in"))
    roster = '<span class="badge info">%s</span>' % translated(gettext("company roster"))
    born = translated(gettext("Born"))
    identity_matches = translated(gettext("Identity matches the person at the desk"))
    check_in = translated(gettext("Check in"))
    join_question = translated(gettext("Been here before? Join the records"))
    join_help = translated(
        gettext(
            "This record holds what the company typed. If the person has a record with us already, type the ID"
            " number from their ID card to join the two."
        )
    )
    known_elsewhere = '<p class="flash info">%s</p>' % translated(
        gettext("The center has another record with the ID number the company gave.")
    )
    id_on_card = translated(gettext("ID number on the card"))
    join = translated(gettext("Join the records"))
    guide_sheet = translated(gettext("Guide sheet (PDF)"))
    labels = translated(gettext("Specimen labels (PDF)"))
    no_show = translated(gettext("Mark no-show"))
    no_show_question = translated(gettext("Mark %(name)s as a no-show?"))
    csrf = escaped(csrf_token())
    chinese = is_chinese()
    error = f'<p class="field-error" role="alert">{escaped(row_error)}</p>' if row_error else ""
    message = f'<p class="flash success" role="status">{escaped(row_message)}</p>' if row_message else ""
    # the patterns escaped once: a row's id (digits) adds nothing to escape
    detail, check_in_link, join_link = (escaped(row_links[name]) for name in ("detail", "check_in", "join_record"))
    guide_link, labels_link, no_show_link = (
        escaped(row_links[name]) for name in ("guide_sheet", "specimen_labels", "no_show")
    )
    # what a row prints of its status (badge and label) and of its client's sex, escaped once per page
    badges = {
        code: f'<span class="badge {escaped(BADGES.get(code, ""))}">{label}</span>'
        for code, label in status_labels.items()
    }
    sexes = {sex: f"{label}, " for sex, label in sex_labels.items()}
    flags = {
        (False, False): "\n    \n    \n",
        (True, False): f"\n    {walk_in}\n    \n",
        (False, True): f"\n    \n    {roster}\n",
        (True, True): f"\n    {walk_in}\n    {roster}\n",
    }
    row_end = f"  <td>\n    {error}\n    {message}\n    "
    package_names = {}
    out = []
    for row in rows:
        appointment_id = row.appointment_id
        row_id = str(appointment_id)  # an int: digits, nothing to escape
        package = row.package
        if package is None:
            package_name = ""
        else:
            package_name = package_names.get(package)
            if package_name is None:
                package_name = package_names[package] = escaped(
                    package.name_zh if chinese and package.name_zh else package.name_en
                )
        status = row.status
        badge = badges.get(status)
        if badge is None:
            badge = f'<span class="badge {escaped(BADGES.get(status, ""))}">{_status_label(status)}</span>'
        sex = sexes.get(row.sex)
        if sex is None:
            sex = f"{_sex_label(row.sex, sex_labels)}, "
        masked = row.masked_national_id
        checked_in_at = row.checked_in_at
        phone = row.phone
        out.append(
            f'\n<tr id="appointment-{row_id}">\n'
            f'  <td><a href="{detail % appointment_id}">{escaped(row.name)}</a>'
            f"{flags[row.source == 'walk_in', bool(row.roster_record)]}"
            f'    <br><small class="muted">{born} {row.birth_date}</small></td>\n'  # a date: digits and dashes
            f"  <td>{sex}{row.age}</td>\n"  # an int
            f"  <td>{escaped(phone) if phone else '—'}</td>\n"
            "  <td>" + (f'<span class="directory-masked">{escaped(masked)}</span>' if masked else "—") + "</td>\n"
            f"  <td>{package_name}</td>\n"
            f"  <td><code>{escaped(row.exam_code)}</code></td>\n"
            f"  <td>{badge}\n"
            "    " + (f'<br><small class="muted">{_hh_mm(checked_in_at)}</small>' if checked_in_at else "") + "</td>\n"
            f"{row_end}"
        )
        booked = status == BOOKED
        if booked and row.is_today:  # row.can_check_in
            action = check_in_link % appointment_id
            out.append(
                f'\n    <form method="post" action="{action}"\n'
                f'          hx-post="{action}" hx-target="closest tr" hx-swap="outerHTML">\n'
                f'      <input type="hidden" name="csrf_token" value="{csrf}">\n'
                f"      <fieldset>\n        <legend><small>{identity_matches}</small></legend>\n        "
            )
            for f in row.identity_fields:
                field = escaped(f)
                out.append(
                    f'\n        <label for="verify-{row_id}-{field}"><input type="checkbox"'
                    f' id="verify-{row_id}-{field}" name="verified" value="{field}">'
                    f" {identity_labels[f]}</label>\n        "
                )
            out.append(f'\n      </fieldset>\n      <button type="submit">{check_in}</button>\n    </form>\n    ')
            if row.roster_record:
                action = join_link % appointment_id
                out.append(
                    f"\n    <details{' open' if row.known_elsewhere else ''}>\n"
                    f"      <summary>{join_question}</summary>\n"
                    f"      <p><small>{join_help}</small></p>\n"
                    f"      {known_elsewhere if row.known_elsewhere else ''}\n"
                    f'      <form method="post" action="{action}"\n'
                    f'            hx-post="{action}" hx-target="closest tr" hx-swap="outerHTML">\n'
                    f'        <input type="hidden" name="csrf_token" value="{csrf}">\n'
                    f'        <label for="join-{row_id}">{id_on_card}</label>\n'
                    f'        <input id="join-{row_id}" name="national_id" maxlength="40"'
                    ' autocomplete="off" spellcheck="false">\n'
                    f'        <button type="submit" class="secondary">{join}</button>\n'
                    "      </form>\n    </details>\n    "
                )
            out.append("\n    ")
        elif status in (CHECKED_IN, COMPLETED):
            out.append(
                '\n    <p class="actions">\n'
                f'      <a role="button" class="secondary" href="{guide_link % appointment_id}"'
                f' target="_blank" rel="noopener">{guide_sheet}</a>\n'
                f'      <a role="button" class="secondary" href="{labels_link % appointment_id}"'
                f' target="_blank" rel="noopener">{labels}</a>\n'
                "    </p>\n    "
            )
        out.append("\n    ")
        if booked and row.slot_ended:  # row.can_mark_no_show
            action = no_show_link % appointment_id
            out.append(
                f'\n    <form method="post" action="{action}"\n'
                f'          hx-post="{action}" hx-target="closest tr" hx-swap="outerHTML"\n'
                f'          hx-confirm="{no_show_question % {"name": row.name}}">\n'
                f'      <input type="hidden" name="csrf_token" value="{csrf}">\n'
                f'      <button type="submit" class="secondary">{no_show}</button>\n'
                "    </form>\n    "
            )
        out.append("\n  </td>\n</tr>")
    return Markup("".join(out))


def slot_nav(overview, shown_ids, slot_link):
    """The day sheet's slot navigation, one ``<li>`` per DaySheetSlot of ``overview`` with its counts, as the
    page's loop (and its include of templates/desk/_slot_counts.html per slot) printed it; ``slot_link`` is
    the address pattern of a slot's first page. An action's answer still prints a slot's counts with the
    include."""
    link = escaped(slot_link)
    ngettext = _translations().ungettext  # as ``ngettext`` with ``num`` only: formatted below
    status_labels = {}
    out = []
    for group in overview:
        slot = group.slot
        slot_id = escaped(slot.id)
        current = ' aria-current="true"' if slot.id in shown_ids else ""
        counts = []
        for status, n in group.counts.items():
            if n and status != "cancelled":
                label = status_labels.get(status)
                if label is None:
                    label = status_labels[status] = escaped(choice_label("appointment_status", status))
                counts.append(f" · {label} {escaped(n)}")
        n_expected = group.expected
        expected = translated(ngettext("%(num)d expected", "%(num)d expected", n_expected) % {"num": n_expected})
        out.append(
            f'\n    <li><a href="{link % slot.id}#slot-{slot_id}"{current}>'
            f"{_hh_mm(slot.start_time)}–{_hh_mm(slot.end_time)}</a>\n      "
            f'\n<span id="slot-counts-{slot_id}" class="muted">{expected}{"".join(counts)}</span></li>\n  '
        )
    return Markup("".join(out))


def day_counts(counts):
    """The day's counts by status (``counts``: a DayCounts, or the DaySheet), as templates/desk/_day_counts.html
    printed them in the page (not out of band): its include cost more than its text. An action's answer
    still prints them, out of band, with the include."""
    gettext = _translations().ugettext  # the request's translations, as ``gettext`` without variables
    expected = translated(gettext("Expected"))
    out = [
        '\n<dl id="day-counts" class="facts day-counts">\n'
        f'  <dt>{expected}</dt><dd id="count-expected">{escaped(counts.expected)}</dd>\n  '
    ]
    for status, n in counts.counts.items():
        out.append(
            f"\n  <dt>{escaped(choice_label('appointment_status', status))}</dt>"
            f'<dd id="count-{escaped(status)}">{escaped(n)}</dd>\n  '
        )
    out.append("\n</dl>")
    return Markup("".join(out))
