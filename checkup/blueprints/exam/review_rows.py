"""Rows of the chief physician's pages printed in Python (#16), byte for byte the markup their templates printed:
the review page's results (templates/review/_results_table.html: a few dozen template expressions per row, and
a checkup has 50-100 items), its stations with their reopen forms and the advice library's findings, and the PDF
progress of the review home page's signed reports (an include, a macro import and a call per row). Values are
escaped as the templates escaped them; labels are translated once per page; tests/exam/test_review_rows.py
renders the old templates beside them."""

import re

from flask import current_app, request, url_for
from flask_babel import get_locale, ngettext
from markupsafe import Markup, escape

from checkup.blueprints.exam.exam import FLAG_CLASSES
from checkup.core.i18n import is_chinese
from checkup.forms.review import REOPEN_REASON_HINT, REOPEN_REASON_LABEL, ReportTextForm
from checkup.models.review import CONCLUSION_SIGNED
from checkup.services.exam.derived_items import FORMULAS
from checkup.services.exam.report_review import number_text, range_text
from checkup.services.exam.results import DERIVED_SOURCE, FLAG_LABELS
from checkup.web.form_controls import form_field
from checkup.web.html_text import escaped
from checkup.web.page_shell import csrf_token
from checkup.web.row_printing import address_pattern, localized_name, translated
from checkup.web.template_gettext import _translations
from checkup.web.templating import center_time

# Each printer's labels, translated and put in their markup once per language and process (a lookup in the
# catalog costs tens of thousands of instructions, and the review page prints some twenty labels): kept by the
# translations object itself, they hold nothing but the app's own texts.
_KEPT_LABELS_LIMIT = 16


def _kept_labels(kept, make):
    """``make(gettext)``'s labels for the request's translations, made once per translations."""
    translations = _translations()
    labels = kept.get(translations)
    if labels is None:
        if len(kept) >= _KEPT_LABELS_LIMIT:
            kept.clear()
        labels = kept[translations] = make(translations.ugettext)
    return labels


_results_labels: dict = {}  # translations: (computed, pending, skipped, kinds, trends, flags) of results_rows


def _make_results_labels(gettext):
    computed_text = translated(gettext("computed"))
    pending_text = translated(gettext("Pending"))
    skipped_text = translated(gettext("Skipped"))
    computed = f' <span class="badge info computed">{computed_text}</span>'
    pending = f'\n      <td colspan="4"><span class="badge pending">{pending_text}</span></td>\n      '
    skipped = f'\n      <td colspan="4"><span class="badge info">{skipped_text}</span> <small class="muted">'
    kind_labels = {
        "critical": translated(gettext("Critical")),
        "significant": translated(gettext("Significant")),
        "mild": translated(gettext("Mild")),
    }
    trend_labels = {
        "↑": translated(gettext("higher than last time")),
        "↓": translated(gettext("lower than last time")),
        "→": translated(gettext("same as last time")),
    }
    # a trend's cell by its arrow (report_review.trend_arrow gives one of three)
    trends = {
        arrow: f'<span title="{label}" aria-label="{label}">{escaped(arrow)}</span>'
        for arrow, label in trend_labels.items()
    }
    kinds = {kind: f"\n      <td>{label}</td>" for kind, label in kind_labels.items()}
    # each flag's badge (FLAG_LABELS are lazy: translated here, as each print did)
    flags = {
        flag: f'<span class="badge {escaped(FLAG_CLASSES.get(flag, "info"))}">{escaped(label)}</span>'
        for flag, label in FLAG_LABELS.items()
    }
    return computed, pending, skipped, kinds, trends, flags


def results_rows(rows):
    """The ``<tr>`` of each ReviewRow (services/exam/report_review), as the template's loop printed them
    (the whitespace between them included)."""
    computed, pending, skipped, kinds, trends, flags = _kept_labels(_results_labels, _make_results_labels)
    empty_cell = "\n      <td></td>"
    abnormal, normal = '\n    <tr class="abnormal">\n      <td>', "\n    <tr>\n      <td>"
    chinese = is_chinese()
    departments = {}  # department id: its cell, escaped once (a station has several items)
    units = {}  # unit: escaped (a page shows a dozen distinct units)
    parts = []
    add = parts.append
    for row in rows:
        kind, result, item = row.kind, row.result, row.item
        department = row.department
        cell = departments.get(department.id)
        if cell is None:
            cell = departments[department.id] = escaped(localized_name(department, chinese))
        name = item.name_zh if chinese else None
        if not name:
            name = item.name_en
        code = item.code
        # ReviewRow.computed (derived_items.is_derived: a code among the formulas')
        is_computed = (result is not None and result.source == DERIVED_SOURCE) or code in FORMULAS
        head = (
            f'{abnormal if kind is not None else normal}{cell}</td>\n      <th scope="row">'
            f'{escaped(name)} <small class="muted">{escaped(code)}</small>'
            f"{computed if is_computed else ''}</th>\n      "
        )
        if not row.done:
            body = pending
        elif result.skipped:
            body = f"{skipped}{escaped(row.skip_label)}</small></td>\n      "
        else:
            # result_value of a result not skipped (a number's digits need no escaping)
            value_num = result.value_num
            value = number_text(value_num) if value_num is not None else escaped(result.value_text or "")
            flag = result.flag
            badge = ""
            if flag and flag != "N":
                badge = flags.get(flag)
                if badge is None:  # a flag FLAG_LABELS does not name: shown as it is
                    badge = f'<span class="badge {escaped(FLAG_CLASSES.get(flag, "info"))}">{escaped(flag)}</span>'
            unit = result.unit or item.unit or ""
            shown_unit = units.get(unit)
            if shown_unit is None:
                shown_unit = units[unit] = escaped(unit)
            # a range is digits, dashes and signs: nothing to escape
            ref_low, ref_high = result.ref_low, result.ref_high
            reference = "" if ref_low is None and ref_high is None else range_text(ref_low, ref_high)
            body = (
                f"\n      <td>{f'<strong>{value}</strong>' if kind is not None else value}</td>"
                f"\n      <td>{shown_unit}</td>\n      <td>{reference}</td>"
                f"\n      <td>{badge}</td>\n      "
            )
        previous = row.previous_value
        if previous:
            previous = f'{escaped(previous)} <small class="muted">{row.previous_day.isoformat()}</small>'
        trend = row.trend
        add(
            f"{head}{body}{kinds.get(kind, empty_cell) if kind else empty_cell}\n      <td>{previous}</td>"
            f"\n      <td>{(trends.get(trend) or _trend_cell(trend)) if trend else ''}</td>\n    </tr>\n  "
        )
    return Markup("".join(parts))


def _trend_cell(trend):
    """An arrow other than trend_arrow's three, as the template printed it (no label)."""
    return f'<span title="" aria-label="">{escaped(trend)}</span>'


_ROWS_MARKER = "\x00rows\x00"
_results_tables: dict = {}  # locale: (what templates/review/_results_table.html prints before its rows, after)


def results_table(rows):
    """What ``{% include "review/_results_table.html" %}`` printed with ``results_rows(rows)``: the table around
    the rows (headings only: each language's printed once per process, from the template itself) and the rows."""
    locale = str(get_locale())
    parts = _results_tables.get(locale)
    if parts is None:
        template = current_app.jinja_env.get_template("review/_results_table.html")
        before, after = template.render(results_rows=Markup(_ROWS_MARKER)).split(_ROWS_MARKER)
        parts = _results_tables[locale] = (before, after)
    return Markup(f"{parts[0]}{results_rows(rows)}{parts[1]}")


def pdf_statuses(reports):
    """Each report's PDF progress as templates/review/_pdf_status.html printed it when included in a list
    (the polling block of components/job_status.html around it, whitespace included), without an include,
    a macro import and a call per row: the review home page lists twenty."""
    gettext = _translations().ugettext  # the request's translations, looked up once
    status_link, download_link = (
        address_pattern("review.pdf_status", "report_id"),
        address_pattern("report_files.download", "report_id"),
    )
    ready_text = translated(gettext("PDF ready"))
    download_text = translated(gettext("Download the PDF (version %(version)s)"))
    failed_text = translated(gettext("PDF failed"))
    again_text = translated(gettext("Try again"))
    rendering_text = translated(gettext("Preparing the PDF…"))
    queued_text = translated(gettext("PDF queued…"))
    check_text = translated(gettext("Check again"))
    printed = []
    for report in reports:
        state = report.pdf_state
        if state == "ready":
            download = escape(download_link % report.id)
            body = (
                f'\n    <span class="badge success">{ready_text}</span>\n    <a href="{download}" download>'
                f"{download_text % {'version': report.version}}</a>\n  "
            )
        elif state == "failed":
            retry = escape(url_for("review.retry_pdf", report_id=report.id))
            body = (
                f'\n    <span class="badge error">{failed_text}</span>\n'
                f'    <form method="post" action="{retry}" class="inline-form"\n'
                f'          hx-post="{retry}" hx-target="#pdf-status-{escape(report.id)}" hx-swap="outerHTML">\n'
                f'      <input type="hidden" name="csrf_token" value="{escape(csrf_token())}">\n'
                f'      <button type="submit" class="link-button">{again_text}</button>\n    </form>\n  '
            )
        elif state == "rendering":
            body = f'\n    <span class="badge pending">{rendering_text}</span>\n  '
        else:
            body = f'\n    <span class="badge pending">{queued_text}</span>\n  '
        status = escape(status_link % report.id)
        busy = state in ("pending", "rendering", "none")
        poll = f'hx-get="{status}" hx-trigger="every 2s" hx-swap="outerHTML"' if busy else ""
        check = f'\n  <noscript><a href="{status}">{check_text}</a></noscript>' if busy else ""
        printed.append(
            Markup(
                f'\n\n\n<div id="{escape(f"pdf-status-{report.id}")}" class="pdf-status" role="status" '
                f'aria-live="polite"\n     {poll}>\n  \n  {body}\n{check}\n</div>'
            )
        )
    return printed


# a department code that url_for prints as it is (no character to quote): its place in an address made once per
# page takes it as it stands; any other code gets its own url_for
_PLAIN_CODE = re.compile(r"[A-Za-z0-9_.~-]+")
_SOME_CODE = "zz-some-station-zz"
_SOME_APPOINTMENT = 987654321  # an id no address holds: where the appointment's goes
_reopen_addresses: dict = {}  # application root: the reopen address of _SOME_APPOINTMENT and _SOME_CODE


def _reopen_pattern(appointment_id):
    """The reopen form's address of ``appointment_id`` with ``%s`` where a station's code goes (and any ``%`` of
    its own escaped): ``url_for`` once per application root and process, not per page."""
    root = request.script_root
    address = _reopen_addresses.get(root)
    if address is None:
        address = _reopen_addresses[root] = url_for(
            "station_conclusions.reopen", appointment_id=_SOME_APPOINTMENT, department_code=_SOME_CODE
        )
    return (
        address.replace(str(_SOME_APPOINTMENT), str(int(appointment_id)), 1)
        .replace("%", "%%")
        .replace(_SOME_CODE, "%s")
    )


_stations_labels: dict = {}  # translations: (not signed badge, reopen, reopen button, reason label, hint)


def _make_stations_labels(gettext):
    not_signed = translated(gettext("Not signed"))  # outside the f-string: pybabel reads none
    return (
        f'<span class="badge pending">{not_signed}</span>',
        translated(gettext("Reopen")),
        translated(gettext("Reopen for the station doctor")),
        escape(str(REOPEN_REASON_LABEL)),
        escape(str(REOPEN_REASON_HINT)),
    )


def stations_rows(stations, appointment_id, signed):
    """The ``<tr>`` of each station of ``ReviewData.stations`` (department, items done, items, conclusion or
    None) as templates/review/appointment.html's loop printed them: with a reopen form for each signed
    conclusion unless the report is ``signed``."""
    not_signed, reopen_text, reopen_button, label, hint = _kept_labels(_stations_labels, _make_stations_labels)
    if not signed:
        token = escape(csrf_token())
        pattern = _reopen_pattern(appointment_id)
    chinese = is_chinese()
    # signed at, to the minute: as the center's clock reads it (a station doctor signs several at a time, seconds
    # apart; the minute is all it shows, and no time zone's offset has had seconds since 1972)
    times = {}
    parts = []
    add = parts.append
    for department, done, total, conclusion in stations:
        text = ""
        closed = False
        if conclusion is not None:
            text = escaped(conclusion.text)
            closed = conclusion.status == CONCLUSION_SIGNED
        if closed:
            signer = escaped(conclusion.signed_by.name) if conclusion.signed_by_id else "—"
            signed_at = conclusion.signed_at
            minute = signed_at.replace(second=0, microsecond=0) if signed_at and signed_at.year > 1972 else signed_at
            time = times.get(minute)
            if time is None:
                time = times[minute] = escape(center_time(signed_at))
            by = f'{signer} <small class="muted">{time}</small>\n            '
        else:
            by = not_signed
        action = ""
        if not signed:
            form = ""
            if closed:
                code = department.code
                if _PLAIN_CODE.fullmatch(code):
                    address = pattern % code
                else:
                    address = url_for("station_conclusions.reopen", appointment_id=appointment_id, department_code=code)
                code = escaped(code)
                form = (
                    f"\n          <details><summary>{reopen_text}</summary>\n"
                    f'          <form method="post" action="{escaped(address)}" novalidate>\n'
                    f'            <input type="hidden" name="csrf_token" value="{token}">\n'
                    f'            <label for="reason-{code}">{label} <span aria-hidden="true">*</span></label>\n'
                    f'            <input id="reason-{code}" name="reason" maxlength="500" required'
                    f' aria-describedby="reason-{code}-hint">\n'
                    f'            <small id="reason-{code}-hint" class="muted">{hint}</small>\n'
                    f'            <button type="submit" class="secondary">{reopen_button}</button>\n'
                    "          </form></details>\n        "
                )
            action = f"\n        <td>{form}</td>\n        "
        add(
            f'\n      <tr>\n        <th scope="row">{escaped(localized_name(department, chinese))}</th>\n'
            f'        <td class="num">{done}/{total}</td>\n        <td class="prewrap">{text}</td>\n'
            f"        <td>{by}</td>\n        {action}\n      </tr>\n    "
        )
    return Markup("".join(parts))


_LEVEL_CLASSES = {"A": "error", "B": "warning"}


_suggestions_labels: dict = {}  # translations: (no entry in the library, by the rule table)


def _make_suggestions_labels(gettext):
    no_entry = translated(gettext("(no entry in the library)"))  # outside the f-strings: pybabel reads none
    by_rules = translated(gettext("by the rule table"))
    return f' <small class="muted">{no_entry}</small>', f'<small class="muted">{by_rules}</small>'


def suggestions_rows(suggestions):
    """The ``<tr>`` of each advice.SuggestedFinding (the advice library's findings the abnormal results call
    for) as templates/review/appointment.html's loop printed them."""
    no_entry, by_rules = _kept_labels(_suggestions_labels, _make_suggestions_labels)
    chinese = is_chinese()
    parts = []
    add = parts.append
    for suggestion in suggestions:
        shown = "; ".join(f"{escape(localized_name(row.item, chinese))} {escape(row.value)}" for row in suggestion.rows)
        level = suggestion.level
        if level:
            level = f'<span class="badge {_LEVEL_CLASSES.get(level, "info")}">{escape(level)}</span>'
        else:
            level = by_rules
        add(
            f'\n      <tr>\n        <th scope="row">{escape(suggestion.name(chinese))}'
            f"{'' if suggestion.from_library else no_entry}</th>\n        <td>{shown}</td>\n"
            f"        <td>{level}</td>\n      </tr>\n    "
        )
    return Markup("".join(parts))


def ready_rows(rows):
    """The ``<tr>`` of each review_queue.QueueRow of a page of the review queue, as templates/review/_ready.html's
    loop printed them."""
    gettext = _translations().ugettext  # the request's translations, looked up once
    review_link = address_pattern("review.appointment", "appointment_id")
    review_text = translated(gettext("Review"))
    parts = []
    add = parts.append
    for row in rows:
        conflicts = ""
        if row.conflicts:
            settle = ngettext(
                "%(num)d instrument value to settle", "%(num)d instrument values to settle", row.conflicts
            )
            conflicts = f' <span class="badge warning">{translated(settle)}</span>'
        package = "—" if row.package_name is None else escape(row.package_name)
        reviewer = "—" if row.reviewer_name is None else escape(row.reviewer_name)
        add(
            f"\n    <tr>\n      <td>{escape(row.day)}</td>\n      <td>{escape(row.exam_code)}</td>\n"
            f"      <td>{escape(row.client.name)}{conflicts}</td>\n      <td>{package}</td>\n      <td>{reviewer}</td>\n"
            f'      <td><a href="{escape(review_link % row.id)}">{review_text}</a></td>\n    </tr>\n  '
        )
    return Markup("".join(parts))


def signed_rows(reports):
    """The ``<tr>`` of each recently signed report (review_queue.recently_signed) with its PDF's progress, as
    templates/review/index.html's loop printed them."""
    review_link = address_pattern("review.appointment", "appointment_id")
    parts = []
    add = parts.append
    for report, pdf_status in zip(reports, pdf_statuses(reports), strict=True):
        appointment = report.appointment
        add(
            f"\n      <tr>\n        <td>{escape(center_time(report.signed_at))}</td>\n"
            f'        <td><a href="{escape(review_link % report.appointment_id)}">{escape(appointment.exam_code)}</a></td>\n'
            f"        <td>{escape(appointment.client.name)}</td>\n        <td>{escape(report.version)}</td>\n"
            f"        <td>{pdf_status}</td>\n      </tr>\n    "
        )
    return Markup("".join(parts))


# The review page's form (ReportTextForm) as GET prints it: its fields carry nothing of the request but their
# text, so each language's markup around the text is printed once per process from a form holding a marker
# (the CSRF token, the request's own, is printed each time).
_FIELD_NAMES = ("summary", "advice", "observations")
_MARKER = "\x00text\x00"
_report_text_fields: dict = {}  # locale: ((markup before the text, after it) of each of _FIELD_NAMES)


def _field_parts(locale):
    parts = _report_text_fields.get(locale)
    if parts is None:
        form = ReportTextForm(meta={"csrf": False}, data=dict.fromkeys(_FIELD_NAMES, _MARKER))
        parts = []
        for name in _FIELD_NAMES:
            before, after = str(form_field(form[name])).split(_MARKER)  # a marker has nothing to escape
            parts.append((before, after))
        parts = _report_text_fields[locale] = tuple(parts)
    return parts


def report_text_fields(summary, advice, observations):
    """``{{ form.csrf_token }}`` and ``{{ field(form.summary) }}``, ``{{ field(form.advice) }}``,
    ``{{ field(form.observations) }}`` of templates/review/appointment.html (the whitespace between them
    included) for a ReportTextForm made on GET with these texts (no errors to show)."""
    # a FlaskForm has no csrf_token field where the app turns CSRF off (the template printed nothing)
    token = ""
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        token = f'<input id="csrf_token" name="csrf_token" type="hidden" value="{escape(csrf_token())}">'
    printed = [token]
    for (before, after), text in zip(_field_parts(str(get_locale())), (summary, advice, observations), strict=True):
        printed.append(f"{before}{escaped('' if text is None else str(text))}{after}")
    return Markup("\n    ".join(printed))
