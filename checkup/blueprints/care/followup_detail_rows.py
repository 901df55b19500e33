"""A follow-up's page (templates/care/followups_detail.html) printed in part in Python (#16), byte for byte
what the template printed: its facts, the client's facts, the findings' rows, the contact log's rows and the
referrals' items. Those were about sixty small template calls a request (labels, url_for, gettext); here the
request's translations are looked up once, the referrals' address is a pattern and values are escaped as
the template escaped them. tests/care/test_followup_detail_rows.py renders the old sections beside these."""

from flask import url_for
from markupsafe import Markup

from checkup.core.i18n import is_chinese, localized
from checkup.core.labels import choice_label
from checkup.services.care import followups
from checkup.web.html_text import escaped
from checkup.web.row_printing import address_pattern, translated
from checkup.web.template_gettext import _translations
from checkup.web.templating import center_time

_LEVEL_BADGES = {"A": "danger", "B": "warning"}  # any other level: "info"


def _label(kind, code):
    return escaped(followups.label(kind, code))


def facts(f):
    """What the page's first ``<dl class="facts">`` held: the follow-up's level, due time, status, closing,
    department, assignee and number of contact attempts."""
    gettext = _translations().ugettext  # the request's translations, looked up once
    service = f" · {_label('kind', 'service')}" if f.kind == "service" else ""
    overdue = ' <span class="badge danger">%s</span>' % translated(gettext("Overdue")) if f.is_overdue else ""
    outcome = f" · {_label('outcome_code', f.outcome_code)}" if f.outcome_code else ""
    closed = ""
    if f.status == "closed":
        closed = "<dt>%s</dt><dd>%s</dd>\n  <dt>%s</dt><dd>%s</dd>" % (
            translated(gettext("Closing note")),
            escaped(f.outcome),
            translated(gettext("Closed")),
            escaped(center_time(f.closed_at)),
        )
    department = escaped(localized(f.department)) if f.department_id else "—"
    assignee = f.assignee_user.name if f.assignee_id and f.assignee_user else None
    assignee = escaped(assignee) if assignee is not None else translated(gettext("Unassigned"))
    return Markup(
        '\n  <dt>%s</dt><dd><span class="badge %s">%s</span>%s</dd>'
        "\n  <dt>%s</dt><dd>%s%s</dd>"
        "\n  <dt>%s</dt><dd>%s%s</dd>"
        "\n  %s"
        "\n  <dt>%s</dt><dd>%s</dd>"
        "\n  <dt>%s</dt><dd>%s</dd>"
        "\n  <dt>%s</dt><dd>%s</dd>\n"
        % (
            translated(gettext("Level")),
            _LEVEL_BADGES.get(f.level, "info"),
            _label("level", f.level),
            service,
            translated(gettext("Due")),
            escaped(center_time(f.due_at)),
            overdue,
            translated(gettext("Status")),
            _label("status", f.status),
            outcome,
            closed,
            translated(gettext("Department")),
            department,
            translated(gettext("Assignee")),
            assignee,
            translated(gettext("Contact attempts")),
            escaped(f.attempt_count),
        )
    )


def client_facts(c):
    """What the client section's ``<dl class="facts">`` held."""
    gettext = _translations().ugettext
    link = escaped(url_for("directory.client_detail", client_id=c.id))
    return Markup(
        '\n    <dt>%s</dt><dd><a href="%s">%s</a></dd>'
        "\n    <dt>%s</dt><dd>%s</dd>"
        "\n    <dt>%s</dt><dd>%s</dd>"
        "\n    <dt>%s</dt><dd>%s</dd>"
        "\n    <dt>%s</dt><dd>%s</dd>"
        "\n    <dt>%s</dt><dd>%s</dd>\n  "
        % (
            translated(gettext("Full name")),
            link,
            escaped(c.name),
            translated(gettext("Sex")),
            escaped(choice_label("sex", c.sex)),
            translated(gettext("Date of birth")),
            escaped(c.birth_date.isoformat()) if c.birth_date else "—",
            translated(gettext("Phone")),
            escaped(c.phone or "—"),
            translated(gettext("Email")),
            escaped(c.email or "—"),
            translated(gettext("Address")),
            escaped(c.address or "—"),
        )
    )


def finding_rows(findings):
    """The findings table's ``<tbody>`` content (FindingRows of services/care/followup_detail)."""
    parts = ["\n    "]
    add = parts.append
    for row in findings:
        flag = f" <strong>[{escaped(row.flag)}]</strong>" if row.flag and row.flag != "N" else ""
        add(
            f"\n    <tr><td>{escaped(row.name or row.text)}</td><td>{escaped(row.value or '—')}{flag}</td>"
            f"<td>{escaped(row.unit)}</td><td>{escaped(row.reference)}</td></tr>\n    "
        )
    add("\n    ")
    return Markup("".join(parts))


def attempt_rows(attempts):
    """The contact log's ``<tbody>`` content (ShownAttempts), or its empty row."""
    if not attempts:
        empty = translated(_translations().ugettext("No contact attempts yet."))
        return Markup(f'\n    \n    <tr><td colspan="5">{empty}</td></tr>\n    \n    ')
    parts = ["\n    "]
    add = parts.append
    for a in attempts:
        by = escaped(a.attempt_by.name) if a.by_id and a.attempt_by else "—"
        add(
            f"\n    <tr><td>{escaped(center_time(a.at))}</td><td>{_label('channel', a.channel)}</td>"
            f"<td>{_label('contact_outcome', a.outcome)}</td><td>{escaped(a.notes)}</td><td>{by}</td></tr>\n    "
        )
    add("\n    ")
    return Markup("".join(parts))


def referral_items(referrals):
    """The referrals' ``<ul>`` content (ShownReferrals), or its empty item."""
    if not referrals:
        empty = translated(_translations().ugettext("No referrals yet."))
        return Markup(f"\n  \n    <li>{empty}</li>\n  \n  ")
    link = escaped(address_pattern("care_referrals.detail", "referral_id"))
    chinese = is_chinese()
    parts = ["\n  "]
    add = parts.append
    for r in referrals:
        if r.department_id:
            target = ""
            if r.department is not None:
                target = (chinese and r.department.name_zh) or r.department.name_en
            target = escaped(target)
        else:
            target = escaped(r.hospital)
        add(
            f'\n    <li><a href="{link % r.id}">{_label("target_kind", r.target_kind)}: {target}</a>'
            f" · {_label('referral_status', r.status)}</li>\n  "
        )
    add("\n  ")
    return Markup("".join(parts))
