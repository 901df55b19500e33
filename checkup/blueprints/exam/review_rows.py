"""Rows of the chief physician's pages printed in Python (#16), byte for byte the markup their templates printed:
the review page's results (templates/review/_results_table.html: a few dozen template expressions per row, and
a checkup has 50-100 items), its stations with their reopen forms and the advice library's findings, and the PDF
progress of the review home page's signed reports (an include, a macro import and a call per row). Values are
escaped as the templates escaped them; labels are translated once per page; tests/exam/test_review_rows.py
renders the old templates beside them."""

import re

from flask import current_app, url_for
from flask_babel import get_locale, gettext, ngettext
from markupsafe import Markup, escape

from checkup.blueprints.exam.exam import FLAG_CLASSES
from checkup.core.i18n import is_chinese
from checkup.forms.review import REOPEN_REASON_HINT, REOPEN_REASON_LABEL, ReportTextForm
from checkup.models.review import CONCLUSION_SIGNED
from checkup.services.exam.derived_items import is_derived
from checkup.services.exam.report_review import number_text, range_text
from checkup.services.exam.results import DERIVED_SOURCE, FLAG_LABELS
from checkup.web.form_controls import form_field
from checkup.web.html_text import escaped
from checkup.web.page_shell import csrf_token
from checkup.web.row_printing import address_pattern, localized_name, translated
from checkup.web.templating import center_time


def results_rows(rows):
    """The ``<tr>`` of each ReviewRow (services/exam/report_review), as the template's loop printed them
    (the whitespace between them included)."""
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
    abnormal, normal = '\n    <tr class="abnormal">\n      <td>', "\n    <tr>\n      <td>"
    chinese = is_chinese()
    departments = {}  # department id: its cell, escaped once (a station has several items)
    flags = {}  # flag: its badge (FLAG_LABELS are lazy: translated at each print)
    parts = []
    add = parts.append
    for row in rows:
        kind, result = row.kind, row.result
        # the item's and result's fields read from their __data__ (what peewee's descriptors return: .get), the
        # page reads a dozen of each row's
        item = row.item.__data__
        values = result.__data__ if result is not None else None
        department = row.department
        cell = departments.get(department.id)
        if cell is None:
            cell = departments[department.id] = escaped(localized_name(department, chinese))
        name = item.get("name_zh") if chinese else None
        if not name:
            name = item.get("name_en")
        code = item.get("code")
        # ReviewRow.computed
        is_computed = (values is not None and values.get("source") == DERIVED_SOURCE) or is_derived(code)
        add(
            f'{abnormal if kind is not None else normal}{cell}</td>\n      <th scope="row">'
            f'{escaped(name)} <small class="muted">{escaped(code)}</small>'
            f"{computed if is_computed else ''}</th>\n      "
        )
        if not row.done:
            add(pending)
        elif values.get("skipped"):
            add(f"{skipped}{escaped(row.skip_label)}</small></td>\n      ")
        else:
            # result_value of a result not skipped
            value_num = values.get("value_num")
            value = escaped(number_text(value_num) if value_num is not None else values.get("value_text") or "")
            flag = values.get("flag")
            badge = ""
            if flag and flag != "N":
                badge = flags.get(flag)
                if badge is None:
                    label = escaped(FLAG_LABELS.get(flag, flag))
                    badge = flags[flag] = (
                        f'<span class="badge {escaped(FLAG_CLASSES.get(flag, "info"))}">{label}</span>'
                    )
            unit = values.get("unit") or item.get("unit") or ""
            reference = range_text(values.get("ref_low"), values.get("ref_high"))
            add(
                f"\n      <td>{f'<strong>{value}</strong>' if kind is not None else value}</td>"
                f"\n      <td>{escaped(unit)}</td>\n      <td>{escaped(reference)}</td>"
                f"\n      <td>{badge}</td>\n      "
            )
        previous = row.previous_value
        if previous:
            previous = f'{escaped(previous)} <small class="muted">{row.previous_day.isoformat()}</small>'
        trend = row.trend
        if trend:
            label = trend_labels.get(trend, "")
            trend = f'<span title="{label}" aria-label="{label}">{escaped(trend)}</span>'
        add(
            f"\n      <td>{kind_labels.get(kind, '') if kind else ''}</td>\n      <td>{previous}</td>\n      <td>{trend}</td>"
            "\n    </tr>\n  "
        )
    return Markup("".join(parts))


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


def stations_rows(stations, appointment_id, signed):
    """The ``<tr>`` of each station of ``ReviewData.stations`` (department, items done, items, conclusion or
    None) as templates/review/appointment.html's loop printed them: with a reopen form for each signed
    conclusion unless the report is ``signed``."""
    not_signed = translated(gettext("Not signed"))  # outside the f-string: pybabel reads none
    not_signed = f'<span class="badge pending">{not_signed}</span>'
    if not signed:
        reopen_text = translated(gettext("Reopen"))
        reopen_button = translated(gettext("Reopen for the station doctor"))
        label, hint = escape(str(REOPEN_REASON_LABEL)), escape(str(REOPEN_REASON_HINT))
        token = escape(csrf_token())
        pattern = (
            url_for("station_conclusions.reopen", appointment_id=appointment_id, department_code=_SOME_CODE)
            .replace("%", "%%")
            .replace(_SOME_CODE, "%s")
        )
    chinese = is_chinese()
    # signed at, to the minute: as the center's clock reads it (a station doctor signs several at a time, seconds
    # apart; the minute is all it shows, and no time zone's offset has had seconds since 1972)
    times = {}
    parts = []
    add = parts.append
    for department, done, total, conclusion in stations:
        add(f'\n      <tr>\n        <th scope="row">{escaped(localized_name(department, chinese))}</th>\n')
        add(f'        <td class="num">{done}/{total}</td>\n        <td class="prewrap">')
        if conclusion is not None:
            add(escaped(conclusion.text))
        add("</td>\n        <td>")
        closed = conclusion is not None and conclusion.status == CONCLUSION_SIGNED
        if closed:
            signer = escaped(conclusion.signed_by.name) if conclusion.signed_by_id else "—"
            signed_at = conclusion.signed_at
            minute = signed_at.replace(second=0, microsecond=0) if signed_at and signed_at.year > 1972 else signed_at
            time = times.get(minute)
            if time is None:
                time = times[minute] = escape(center_time(signed_at))
            add(f'{signer} <small class="muted">{time}</small>\n            ')
        else:
            add(not_signed)
        add("</td>\n        ")
        if not signed:
            add("\n        <td>")
            if closed:
                code = department.code
                if _PLAIN_CODE.fullmatch(code):
                    action = pattern % code
                else:
                    action = url_for("station_conclusions.reopen", appointment_id=appointment_id, department_code=code)
                code = escaped(code)
                add(
                    f"\n          <details><summary>{reopen_text}</summary>\n"
                    f'          <form method="post" action="{escaped(action)}" novalidate>\n'
                    f'            <input type="hidden" name="csrf_token" value="{token}">\n'
                    f'            <label for="reason-{code}">{label} <span aria-hidden="true">*</span></label>\n'
                    f'            <input id="reason-{code}" name="reason" maxlength="500" required'
                    f' aria-describedby="reason-{code}-hint">\n'
                    f'            <small id="reason-{code}-hint" class="muted">{hint}</small>\n'
                    f'            <button type="submit" class="secondary">{reopen_button}</button>\n'
                    "          </form></details>\n        "
                )
            add("</td>\n        ")
        add("\n      </tr>\n    ")
    return Markup("".join(parts))


_LEVEL_CLASSES = {"A": "error", "B": "warning"}


def suggestions_rows(suggestions):
    """The ``<tr>`` of each advice.SuggestedFinding (the advice library's findings the abnormal results call
    for) as templates/review/appointment.html's loop printed them."""
    no_entry = translated(gettext("(no entry in the library)"))  # outside the f-strings: pybabel reads none
    by_rules = translated(gettext("by the rule table"))
    no_entry = f' <small class="muted">{no_entry}</small>'
    by_rules = f'<small class="muted">{by_rules}</small>'
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
