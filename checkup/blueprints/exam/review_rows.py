"""Rows of the chief physician's pages printed in Python (#16), byte for byte the markup their templates printed:
the review page's results (templates/review/_results_table.html: a few dozen template expressions per row, and
a checkup has 50-100 items) and the PDF progress of the review home page's signed reports (an include, a macro
import and a call per row). Values are escaped as the templates escaped them; labels are translated once per
page; tests/exam/test_review_rows.py renders the old templates beside them."""

from flask import url_for
from flask_babel import gettext
from markupsafe import Markup, escape

from checkup.blueprints.exam.exam import FLAG_CLASSES
from checkup.core.i18n import is_chinese
from checkup.services.exam.results import FLAG_LABELS
from checkup.web.page_shell import csrf_token
from checkup.web.row_printing import address_pattern, translated


def _name(obj, chinese):
    """``core.i18n.localized(obj)`` with the language asked once per table."""
    if chinese:
        value = obj.name_zh
        if value:
            return value
    return obj.name_en


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
    chinese = is_chinese()
    parts = []
    add = parts.append
    for row in rows:
        item = row.item
        add('\n    <tr class="abnormal">\n      <td>' if row.kind is not None else "\n    <tr>\n      <td>")
        add(f'{escape(_name(row.department, chinese))}</td>\n      <th scope="row">{escape(_name(item, chinese))} ')
        add(f'<small class="muted">{escape(item.code)}</small>{computed if row.computed else ""}</th>\n      ')
        if not row.done:
            add(pending)
        elif row.result.skipped:
            add(f"{skipped}{escape(row.skip_label)}</small></td>\n      ")
        else:
            value = escape(row.value)
            add(f"\n      <td><strong>{value}</strong></td>" if row.kind is not None else f"\n      <td>{value}</td>")
            add(f"\n      <td>{escape(row.unit)}</td>\n      <td>{escape(row.reference)}</td>\n      <td>")
            flag = row.flag
            if flag and flag != "N":
                label = escape(FLAG_LABELS.get(flag, flag))
                add(f'<span class="badge {escape(FLAG_CLASSES.get(flag, "info"))}">{label}</span>')
            add("</td>\n      ")
        add(f"\n      <td>{kind_labels.get(row.kind, '') if row.kind else ''}</td>\n      <td>")
        if row.previous_value:
            add(f'{escape(row.previous_value)} <small class="muted">{escape(row.previous_day.isoformat())}</small>')
        add("</td>\n      <td>")
        if row.trend:
            label = trend_labels.get(row.trend, "")
            add(f'<span title="{label}" aria-label="{label}">{escape(row.trend)}</span>')
        add("</td>\n    </tr>\n  ")
    return Markup("".join(parts))


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
