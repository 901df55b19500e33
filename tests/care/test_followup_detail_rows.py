"""A follow-up page's sections printed in Python (blueprints/care/followup_detail_rows.py) are the markup
the old sections of templates/care/followups_detail.html printed, byte for byte: open, closed (with and
without an outcome code, a note of None), overdue, service recovery, every level (and one outside the list),
with and without a department, an assignee or one whose account is gone; a client with and without contact
details; findings with and without flags, values and items; contact attempts with and without their author,
none at all; referrals internal and external in every status, a department gone, none at all; markup in
every text; in English and Chinese."""

import datetime
from types import SimpleNamespace

import pytest
from flask import render_template_string, url_for
from flask_babel import force_locale

from checkup.blueprints.care import followup_detail_rows as rows
from checkup.services.care import followups
from checkup.services.care.followup_detail import DepartmentNames, FindingRow, Named, ShownAttempt, ShownReferral

# the sections as they were before they moved to Python
OLD_FACTS = """<dl class="facts">
  <dt>{{ _("Level") }}</dt><dd><span class="badge {{ 'danger' if f.level == 'A' else 'warning' if f.level == 'B' else 'info' }}">{{ care_label('level', f.level) }}</span>{% if f.kind == 'service' %} · {{ care_label('kind', 'service') }}{% endif %}</dd>
  <dt>{{ _("Due") }}</dt><dd>{{ f.due_at|center_time }}{% if f.is_overdue %} <span class="badge danger">{{ _("Overdue") }}</span>{% endif %}</dd>
  <dt>{{ _("Status") }}</dt><dd>{{ care_label('status', f.status) }}{% if f.outcome_code %} · {{ care_label('outcome_code', f.outcome_code) }}{% endif %}</dd>
  {% if f.status == 'closed' %}<dt>{{ _("Closing note") }}</dt><dd>{{ f.outcome }}</dd>
  <dt>{{ _("Closed") }}</dt><dd>{{ f.closed_at|center_time }}</dd>{% endif %}
  <dt>{{ _("Department") }}</dt><dd>{{ localized(f.department) if f.department_id else '—' }}</dd>
  <dt>{{ _("Assignee") }}</dt><dd>{{ f.assignee_user.name if f.assignee_id and f.assignee_user else _("Unassigned") }}</dd>
  <dt>{{ _("Contact attempts") }}</dt><dd>{{ f.attempt_count }}</dd>
</dl>"""
NEW_FACTS = """<dl class="facts">{{ facts }}</dl>"""

OLD_CLIENT = """  <dl class="facts">
    <dt>{{ _("Full name") }}</dt><dd><a href="{{ url_for('directory.client_detail', client_id=c.id) }}">{{ c.name }}</a></dd>
    <dt>{{ _("Sex") }}</dt><dd>{{ choice_label('sex', c.sex) }}</dd>
    <dt>{{ _("Date of birth") }}</dt><dd>{{ c.birth_date.isoformat() if c.birth_date else '—' }}</dd>
    <dt>{{ _("Phone") }}</dt><dd>{{ c.phone or '—' }}</dd>
    <dt>{{ _("Email") }}</dt><dd>{{ c.email or '—' }}</dd>
    <dt>{{ _("Address") }}</dt><dd>{{ c.address or '—' }}</dd>
  </dl>"""
NEW_CLIENT = """  <dl class="facts">{{ client_facts }}</dl>"""

OLD_FINDINGS = """<tbody>
    {% for row in data.findings %}
    <tr><td>{{ row.name or row.text }}</td><td>{{ row.value or '—' }}{% if row.flag and row.flag != 'N' %} <strong>[{{ row.flag }}]</strong>{% endif %}</td><td>{{ row.unit }}</td><td>{{ row.reference }}</td></tr>
    {% endfor %}
    </tbody>"""
NEW_FINDINGS = """<tbody>{{ finding_rows }}</tbody>"""

OLD_ATTEMPTS = """<tbody>
    {% for a in data.attempts %}
    <tr><td>{{ a.at|center_time }}</td><td>{{ care_label('channel', a.channel) }}</td><td>{{ care_label('contact_outcome', a.outcome) }}</td><td>{{ a.notes }}</td><td>{{ a.attempt_by.name if a.by_id and a.attempt_by else '—' }}</td></tr>
    {% else %}
    <tr><td colspan="5">{{ _("No contact attempts yet.") }}</td></tr>
    {% endfor %}
    </tbody>"""
NEW_ATTEMPTS = """<tbody>{{ attempt_rows }}</tbody>"""

OLD_REFERRALS = """<ul>
  {% for r in data.referrals %}
    <li><a href="{{ url_for('care_referrals.detail', referral_id=r.id) }}">{{ care_label('target_kind', r.target_kind) }}: {{ localized(r.department) if r.department_id else r.hospital }}</a> · {{ care_label('referral_status', r.status) }}</li>
  {% else %}
    <li>{{ _("No referrals yet.") }}</li>
  {% endfor %}
  </ul>"""
NEW_REFERRALS = """<ul>{{ referral_items }}</ul>"""

LANGUAGES = ["en", "zh"]
DUE = datetime.datetime(2026, 12, 7, 8, 30)
SURGERY = SimpleNamespace(id=3, name_en="Surgery <&>", name_zh="外科 <b>")
NO_ZH = SimpleNamespace(id=4, name_en="Cardiology & co", name_zh="")


def _follow_up(**values):
    base = {
        "id": 7,
        "level": "B",
        "kind": "finding",
        "due_at": DUE,
        "is_overdue": False,
        "status": "open",
        "outcome_code": "",
        "outcome": "",
        "closed_at": None,
        "department_id": 3,
        "department": SURGERY,
        "assignee_id": 5,
        "assignee_user": Named("Zhou <i>Xiaomei</i>"),
        "attempt_count": 2,
    }
    base.update(values)
    return SimpleNamespace(**base)


FOLLOW_UPS = [
    _follow_up(),
    _follow_up(level="A", is_overdue=True, department_id=None, department=None, assignee_id=None, assignee_user=None),
    _follow_up(level="C", kind="service", department=NO_ZH, department_id=4, attempt_count=0),
    _follow_up(level="Z", assignee_id=9, assignee_user=None),  # a level outside the list; the assignee is gone
    _follow_up(
        status="closed",
        outcome_code="referred",
        outcome='Sent to "the" <hospital> & more',
        closed_at=datetime.datetime(2026, 12, 8, 23, 59),
    ),
    _follow_up(status="closed", outcome_code="", outcome=None, closed_at=None, level="A"),
    _follow_up(status="closed", outcome_code="odd<code>", outcome="x", closed_at=DUE, is_overdue=False),
    _follow_up(status="dropped<&>", department_id=3, department=None),  # a department's row gone
]

CLIENTS = [
    SimpleNamespace(
        id=42,
        name='Wang <b>"Xinyi"</b> & co',
        sex="female",
        birth_date=datetime.date(1993, 8, 15),
        phone="139 <3948>",
        email="wang&xinyi@example.com",
        address="上海市 <闵行区>",
    ),
    SimpleNamespace(id=43, name="Li", sex="male", birth_date=None, phone="", email=None, address=""),
    SimpleNamespace(id=44, name="X", sex="other<>", birth_date=None, phone=None, email="", address=None),
]

FINDINGS = [
    FindingRow(
        text="Raised <b>glucose</b>",
        code="GLU",
        name="Glucose 血糖",
        value="6.7",
        unit="mmol/L",
        reference="3.9–6.1",
        flag="H",
        item_id=1,
    ),
    FindingRow(text="Normal & fine", code="X", name="", value="1", unit="", reference="", flag="N", item_id=2),
    FindingRow(text="No item <here>"),
    FindingRow(text="t", name="Ultrasound", value="", unit="u<>", reference="≤ 5", flag="<A>", item_id=3),
]

AT = datetime.datetime(2026, 12, 4, 15, 50)
ATTEMPTS = [
    ShownAttempt(AT, "phone", "no_answer", 'Called <twice> & "no" answer', 5, Named("Zhou <i>")),
    ShownAttempt(AT, "sms", "reached", "", None, None),
    ShownAttempt(AT, "email", "refused", None, 9, None),  # the author's account is gone
    ShownAttempt(None, "odd<channel>", "odd&outcome", "n", 5, Named("")),
]

REFERRALS = [
    ShownReferral(1, "external", None, None, "上海市第六人民医院 <&>", "proposed"),
    ShownReferral(2, "internal", 3, DepartmentNames("Surgery <&>", "外科"), "", "accepted"),
    ShownReferral(3, "internal", 4, DepartmentNames("Cardiology", ""), "", "scheduled"),
    ShownReferral(4, "external", None, None, "", "completed"),
    ShownReferral(5, "internal", 4, None, "", "declined"),  # the department's row gone
    ShownReferral(6, "odd<kind>", None, None, None, "odd&status"),
]


def _render(app, language, template, **values):
    with app.test_request_context("/care/followups/7"), force_locale(language):
        return render_template_string(template, care_label=followups.label, **values)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("index", range(len(FOLLOW_UPS)))
def test_facts_as_the_template_printed_them(app, language, index):
    f = FOLLOW_UPS[index]
    with app.test_request_context("/care/followups/7"), force_locale(language):
        old = render_template_string(OLD_FACTS, f=f, care_label=followups.label)
        new = render_template_string(NEW_FACTS, facts=rows.facts(f))
    assert new == old
    assert "<dt>" in new


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("index", range(len(CLIENTS)))
def test_client_facts_as_the_template_printed_them(app, language, index):
    c = CLIENTS[index]
    with app.test_request_context("/care/followups/7"), force_locale(language):
        old = render_template_string(OLD_CLIENT, c=c)
        new = render_template_string(NEW_CLIENT, client_facts=rows.client_facts(c))
    assert new == old
    assert f"/directory/clients/{c.id}" in new


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("template", "new_template", "name", "printer", "items"),
    [
        (OLD_FINDINGS, NEW_FINDINGS, "finding_rows", rows.finding_rows, FINDINGS),
        (OLD_FINDINGS, NEW_FINDINGS, "finding_rows", rows.finding_rows, FINDINGS[:1]),
        (OLD_ATTEMPTS, NEW_ATTEMPTS, "attempt_rows", rows.attempt_rows, ATTEMPTS),
        (OLD_ATTEMPTS, NEW_ATTEMPTS, "attempt_rows", rows.attempt_rows, ATTEMPTS[:1]),
        (OLD_ATTEMPTS, NEW_ATTEMPTS, "attempt_rows", rows.attempt_rows, []),
        (OLD_REFERRALS, NEW_REFERRALS, "referral_items", rows.referral_items, REFERRALS),
        (OLD_REFERRALS, NEW_REFERRALS, "referral_items", rows.referral_items, REFERRALS[1:2]),
        (OLD_REFERRALS, NEW_REFERRALS, "referral_items", rows.referral_items, []),
    ],
)
def test_rows_as_the_template_printed_them(app, language, template, new_template, name, printer, items):
    data = SimpleNamespace(findings=items, attempts=items, referrals=items)
    with app.test_request_context("/care/followups/7"), force_locale(language):
        old = render_template_string(template, data=data, care_label=followups.label)
        new = render_template_string(new_template, **{name: printer(items)})
    assert new == old
    assert new.count("</tr>") + new.count("</li>") == max(len(items), 1)


@pytest.mark.parametrize("base_url", ["http://localhost/", "http://example.test/some%20root/"])
def test_the_pages_addresses_are_its_own_and_a_word(app, base_url):
    # the page prints its forms' addresses as its own address and a word, and the list's as its parent
    with app.test_request_context("/care/followups/7", base_url=base_url):
        for follow_up_id in (1, 118, 987654):
            here = url_for("care_followups.detail", follow_up_id=follow_up_id)
            assert here.rpartition("/")[0] == url_for("care_followups.index")
            for endpoint, word in [
                ("take", "/take"),
                ("assign", "/assign"),
                ("log_attempt", "/attempts"),
                ("refer", "/referrals"),
                ("recheck_booking", "/recheck"),
                ("close", "/close"),
            ]:
                assert here + word == url_for(f"care_followups.{endpoint}", follow_up_id=follow_up_id)
