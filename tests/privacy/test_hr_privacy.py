"""HR never sees an individual's results, findings, report, referral or follow-up.

The company's employees have completed checkups with results, findings, signed and published reports,
follow-ups, a referral, a consultation and a self-paid add-on. Signed in as HR, the test walks every
page reachable from the HR pages (links, htmx targets and GET forms, page and fragment), calls every
``/hr`` URL with guessed ids of every kind of object, asks for the group documents, and finds none of
those details in any answer — pages, fragments, XLSX and PDF alike. The report and result URLs answer
403 or 404.
"""

import io
import itertools
import re
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from flask import url_for
from werkzeug.routing import BuildError

from checkup.models import (
    AppointmentItem,
    Consultation,
    CriticalAlert,
    Enrollment,
    Finding,
    FollowUp,
    GroupContract,
    Referral,
    Report,
    Result,
    User,
)
from checkup.models.base import utcnow
from tests import factories
from tests.enrollment_helpers import Roster
from tests.factories import sign_in_directly

pytestmark = pytest.mark.both_dbs

SECRETS = [
    "7731.5",
    "XQ-VALUE-HEPATIC",
    "FINDING-ZEBRA",
    "SUMMARY-ZEBRA",
    "ADVICE-ZEBRA",
    "FOLLOWUP-ZEBRA",
    "OUTCOME-ZEBRA",
    "REFERRAL-ZEBRA",
    "CONSULT-ZEBRA",
    "ALERT-ZEBRA",
    "ADDON-ZEBRA",
    "4321.99",
    "4,321.99",
    "VERIFY7731",
]
HEALTH_AREAS = (
    "reports.",
    "report_files.",
    "review.",
    "exam.",
    "exam_consultations.",
    "alerts.",
    "care",
    "consultations.",
    "surveys.",
    "desk_booking.",
    "directory.",
    "daysheet.",
    "booking.",
    "group_booking.",
)
MAX_PAGES = 400


class World:
    """Acme's contract with three employees who completed their checkup (full health record each),
    one booked and one invited; another company with the same."""

    def __init__(self):
        self.roster = Roster()
        self.addon = factories.make_item(
            "ADDON", self.roster.center.blood.department, price="4321.99", name_en="ADDON-ZEBRA screening"
        )
        self.done = [self.roster.employee(f"Done {n}", "completed", department="Plant") for n in range(3)]
        self.roster.employee("Booked One", "booked")
        self.roster.employee("Invited One", "invited")
        for n, enrollment in enumerate(self.done):
            self.health_record(enrollment, n)
        self.other = Roster(center=self.roster.center, name="Other Co")
        self.health_record(self.other.employee("Other Done", "completed"), 9)
        self.hr = factories.make_user("hr", organization=self.roster.org, email="hr@acme.example.com")
        self.doctor = factories.make_user("physician")

    def health_record(self, enrollment, n):
        appointment, client = enrollment.appointment, enrollment.client
        blood = self.roster.center.blood
        AppointmentItem.create(appointment=appointment, item=blood, price=Decimal("20.00"), payer="company")
        AppointmentItem.create(
            appointment=appointment, item=self.addon, price=Decimal("4321.99"), payer="self", is_addon=True
        )
        numeric = Result.create(
            appointment=appointment,
            item=blood,
            value_num=Decimal("7731.5"),
            value_text="7731.5",
            flag="HH",
            unit="x10^9/L",
        )
        Result.create(appointment=appointment, item=self.addon, value_text="XQ-VALUE-HEPATIC steatosis", flag="A")
        CriticalAlert.create(result=numeric, appointment=appointment, note="ALERT-ZEBRA called the client")
        for version, status in ((1, "superseded"), (2, "published")):
            report = Report.create(
                appointment=appointment,
                version=version,
                status=status,
                summary=f"SUMMARY-ZEBRA {n}",
                advice=f"ADVICE-ZEBRA {n}",
                signed_at=utcnow(),
                verification_code=f"VERIFY7731{n}{version}",
                results_snapshot='{"WBC": "7731.5"}',
            )
        Finding.create(report=report, result=numeric, item=blood, text=f"FINDING-ZEBRA {n}", level="A")
        follow_up = FollowUp.create(
            client=client,
            report=report,
            level="A",
            due_at=utcnow(),
            summary=f"FOLLOWUP-ZEBRA {n}",
            outcome="OUTCOME-ZEBRA",
            department=blood.department,
        )
        Referral.create(
            follow_up=follow_up,
            client=client,
            target_kind="external",
            hospital="City Hospital",
            reason=f"REFERRAL-ZEBRA {n}",
        )
        Consultation.create(client=client, report=report, mode="phone", question="CONSULT-ZEBRA question")
        self.last_appointment = appointment


@pytest.fixture
def world(app):
    return World()


class Links(HTMLParser):
    """Every URL a page leads to by GET: links, htmx gets, GET forms (with their fields' values)."""

    def __init__(self, base):
        super().__init__()
        self.base, self.urls, self._form, self._select = base, set(), None, None

    def _add(self, url):
        if url:
            self.urls.add(urljoin(self.base, url))

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self._add(attrs.get("href") if tag == "a" else None)
        self._add(attrs.get("hx-get"))
        if tag == "form" and (attrs.get("method") or "get").lower() == "get":
            self._form = {"action": attrs.get("action") or self.base, "fields": [], "choices": []}
        elif self._form is not None and tag == "input" and attrs.get("name"):
            if attrs.get("type") in ("checkbox", "radio"):
                self._form["choices"].append((attrs["name"], attrs.get("value", "on")))
            else:
                self._form["fields"].append((attrs["name"], attrs.get("value", "")))
        elif self._form is not None and tag == "select" and attrs.get("name"):
            self._select = attrs["name"]
        elif self._form is not None and tag == "option" and self._select:
            self._form["choices"].append((self._select, attrs.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "form" and self._form is not None:
            action, fields = self._form["action"], self._form["fields"]
            self._add(f"{action}?{urlencode(fields)}")
            for choice in self._form["choices"]:  # each option / checkbox on its own
                self._add(f"{action}?{urlencode(fields + [choice])}")
            self._form = None


def on_site(url):
    parts = urlsplit(url)
    return (not parts.netloc or parts.netloc == "localhost") and not parts.path.startswith("/static/")


def readable(response):
    """The answer as text: HTML/text as is, XLSX cell by cell, PDF text, anything else raw."""
    body, kind = response.data, response.headers.get("Content-Type", "")
    if "spreadsheetml" in kind:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(body))
        return "\n".join(str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row)
    if "pdf" in kind:
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)
    return body.decode("utf-8", "replace")


def leaks(text):
    return [secret for secret in SECRETS if secret in text]


def crawl(http, start):
    """GET every reachable on-site URL (as a page and as an htmx fragment); {url: response}."""
    seen, queue, answers = set(), list(start), {}
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        path = urlsplit(url)
        key = path.path + ("?" + path.query if path.query else "")
        if key in seen or not on_site(url):
            continue
        seen.add(key)
        for headers in ({}, {"HX-Request": "true"}):
            response = http.get(key, headers=headers)
            answers[(key, bool(headers))] = response
            if not headers and response.mimetype == "text/html":
                parser = Links(key)
                parser.feed(response.get_data(as_text=True))
                queue += sorted(parser.urls)
    return answers


def guessed_urls(app, world):
    """Every /hr GET URL with every id of every kind of object the database holds (and a missing one)."""
    ids = set()
    for model in (
        Report,
        Result,
        Finding,
        FollowUp,
        Referral,
        Consultation,
        CriticalAlert,
        AppointmentItem,
        Enrollment,
        GroupContract,
        User,
    ):
        ids |= {row.id for row in model.select(model.id)}
    ids |= {world.last_appointment.id, 0, 999999}
    contracts = sorted({world.roster.contract.id, world.other.contract.id, 999999})
    words = ["csv", "xlsx", "pdf", "summary", "billing", "no-such-token"]
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or not rule.rule.startswith("/hr"):
                continue
            pools = []
            for name in sorted(rule.arguments):
                if name == "contract_id":
                    pools.append(contracts)
                elif name.endswith("_id"):
                    pools.append(sorted(ids))
                else:
                    pools.append(words)
            for values in itertools.product(*pools):
                try:
                    urls.append(url_for(rule.endpoint, **dict(zip(sorted(rule.arguments), values))))
                except (BuildError, ValueError):  # a value the converter refuses (any(csv, xlsx))
                    continue
    return urls


def test_hr_never_sees_an_employees_health_data(app, client, world):
    sign_in_directly(client, world.hr)
    answers = crawl(client, ["/hr"])
    pages = {key for key, fragment in answers if not fragment}
    assert {"/hr", "/hr/employees", "/hr/invitations"} <= pages, "the crawl reached the HR pages"
    assert any(key.startswith("/hr/employees.xlsx") for key in pages), "the crawl reached the export"
    assert any(world.done[0].client.name in readable(r) for r in answers.values()), "the roster is shown"
    problems = [
        (key, response.status_code, leaks(readable(response)))
        for key, response in answers.items()
        if response.status_code >= 500 or leaks(readable(response))
    ]
    assert problems == []


def test_guessed_ids_on_every_hr_url_reveal_nothing(app, client, world):
    sign_in_directly(client, world.hr)
    problems = []
    for url in guessed_urls(app, world):
        response = client.get(url)
        if response.status_code >= 500 or leaks(readable(response)):
            problems.append((url, response.status_code, leaks(readable(response))))
    assert problems == []


def test_group_documents_hr_asks_for_hold_no_individual_detail(app, client, world):
    """The released summary and the billing statement, in every format and language, as HR gets them."""
    from checkup.services.groups import summary_releases

    sign_in_directly(client, world.hr)
    contract = world.roster.contract.id
    summary_releases.release_final(contract)
    if "hr_group_documents.request" in app.view_functions:
        for kind, fmt in itertools.product(("summary", "billing"), ("pdf", "xlsx")):
            response = client.post(f"/hr/contracts/{contract}/documents", data={"kind": kind, "fmt": fmt})
            assert response.status_code < 500
    answers = crawl(client, [f"/hr/contracts/{contract}/documents", f"/hr/contracts/{contract}"])
    assert sum(1 for (key, _f) in answers if key.endswith("/download")) >= 4, "the crawl read the released files"
    problems = [(key, leaks(readable(r))) for key, r in answers.items() if r.status_code >= 500 or leaks(readable(r))]
    assert problems == []


def test_empty_posts_to_every_hr_url_reveal_nothing(app, client, world):
    sign_in_directly(client, world.hr)
    ids = {"contract_id": world.roster.contract.id, "enrollment_id": world.done[0].id}
    problems = []
    with app.test_request_context():
        targets = []
        for rule in app.url_map.iter_rules():
            if "POST" in rule.methods and rule.rule.startswith("/hr"):
                values = {name: ids.get(name, 1) for name in rule.arguments}
                targets.append(url_for(rule.endpoint, **values))
    for url in targets:
        response = client.post(url, data={})
        if response.status_code >= 500 or leaks(readable(response)):
            problems.append((url, response.status_code))
    assert problems == []


def test_report_and_result_urls_are_closed_to_hr(app, client, world):
    sign_in_directly(client, world.hr)
    appointment = world.done[0].appointment
    report = Report.get(Report.appointment == appointment.id, Report.status == "published")
    result = Result.get(Result.appointment == appointment.id)
    values = {
        "report_id": report.id,
        "appointment_id": appointment.id,
        "result_id": result.id,
        "client_id": world.done[0].client_id,
        "enrollment_id": world.done[0].id,
        "follow_up_id": FollowUp.select().first().id,
        "referral_id": Referral.select().first().id,
        "consultation_id": Consultation.select().first().id,
        "alert_id": CriticalAlert.select().first().id,
        "item_id": world.roster.center.blood.id,
        "department_code": "LAB",
        "code": appointment.exam_code,
        "day": appointment.day.isoformat(),
        "token": "no-such-token",
        "station": "LAB",
    }
    checked, problems = 0, []
    with app.test_request_context():
        targets = []
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or not rule.endpoint.startswith(HEALTH_AREAS):
                continue
            if not rule.arguments or not set(rule.arguments) <= set(values):
                continue  # a URL naming no object (a thank-you page) or objects we have no id for
            targets.append(url_for(rule.endpoint, **{name: values[name] for name in rule.arguments}))
    for url in targets:
        response = client.get(url)
        checked += 1
        if response.status_code not in (403, 404) or leaks(readable(response)):
            problems.append((url, response.status_code))
    assert checked >= 10 and problems == []


def test_the_crawler_would_notice_a_leak(app, client, world):
    """The check is live: the same crawl finds a secret planted where HR can see it."""
    sign_in_directly(client, world.hr)
    world.roster.org.health_contact = "FINDING-ZEBRA planted"
    world.roster.org.save()
    answers = crawl(client, ["/hr"])
    assert any("FINDING-ZEBRA" in leaks(readable(r)) for r in answers.values())
    assert re.search(r"FINDING-ZEBRA planted", readable(answers[("/hr", False)]))
