"""Helpers of the post-checkup care journey (tests/browser/test_care_journey.py): signing in on a journey
stack, arranging clients in its database, and the exam-day steps that lead to a signed report."""

import datetime
import io
import uuid

from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.helpers import DEMO_PASSWORD, ready_for_review_row

JOB_TIMEOUT = 90  # seconds: a job on the rq worker of a busy machine (PDF rendering, mail)
JOB_TIMEOUT_MS = JOB_TIMEOUT * 1000
# Two stations of the demo catalog: General examination (SBP, DBP) and Blood glucose (FPG).
STATION_ITEMS = {"GEN": ["SBP", "DBP"], "LAB-GLU": ["FPG"]}


def unique(prefix=""):
    return prefix + uuid.uuid4().hex[:6]


def sign_in(new_context, stack, email, password=DEMO_PASSWORD):
    """A page signed in as ``email`` on the stack: the real /login form once per account, then its cookies."""
    states = stack.__dict__.setdefault("signed_in_states", {})
    if email not in states:
        page = new_context().new_page()
        page.goto(stack.url + "/login")
        page.get_by_role("textbox", name="Email", exact=True).fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page).not_to_have_url(stack.url + "/login")
        states[email] = page.context.storage_state()
        page.context.close()
    return new_context(storage_state=states[email]).new_page()


def center_time(stack, moment):
    """A stored UTC time as the pages show it (the center's time zone)."""
    from checkup.web.templating import center_time as shown

    with stack.database():
        return shown(moment)


# --- arranging data -------------------------------------------------------------------------------------


def checked_in_client(stack):
    """A new client (with an email, no login) booked today into a slot of their own and checked in."""
    from checkup.core import clock
    from checkup.core.audit import SYSTEM
    from checkup.models import Client, ExamItem, Package, PackageItem, Slot
    from checkup.services.booking import booking
    from checkup.services.exam import exam_day

    suffix = unique()
    name, email = f"郑海涛{suffix}", f"care-{suffix}@example.com"
    with stack.database():
        package = Package.create(
            code=f"CARE-{suffix}", name_en="Care journey check", name_zh="随访流程体检", price="150.00"
        )
        items = {code: ExamItem.get(ExamItem.code == code) for codes in STATION_ITEMS.values() for code in codes}
        PackageItem.insert_many([{"package": package.id, "item": item.id} for item in items.values()]).execute()
        client = Client.create(
            name=name, sex="male", birth_date=datetime.date(1975, 3, 14), phone="13700137555", email=email
        )
        slot = Slot.create(
            day=clock.today(), start_time=datetime.time(0, 1), end_time=datetime.time(23, 59), capacity=3
        )
        appointment = booking.book(SYSTEM, client.id, slot.id, package.code, source="desk", allow_started=True)
        exam_day.check_in(SYSTEM, appointment.id, exam_day.IDENTITY_FIELDS)
        return {
            "id": appointment.id,
            "exam_code": appointment.exam_code,
            "client_id": client.id,
            "name": name,
            "email": email,
            "items": {code: item.id for code, item in items.items()},
        }


def campaign_clients(stack, tag, marketing):
    """One client per entry of ``marketing`` (True: consented to marketing email), all tagged ``tag``.
    Returns [(client id, email)] in the same order."""
    from checkup.models import Client
    from checkup.models.care import MARKETING_EMAIL
    from checkup.services.accounts import consents

    made = []
    with stack.database():
        for n, consented in enumerate(marketing):
            suffix = unique()
            client = Client.create(
                name=f"韩雪{suffix}",
                sex="female",
                birth_date=datetime.date(1984, 9, n + 1),
                email=f"campaign-{suffix}@example.com",
                tags=f"vip, {tag}",
            )
            consents.record(None, client.id, MARKETING_EMAIL, consented, "registration")
            made.append((client.id, client.email))
    return made


def lapsed_clients(stack):
    """Two clients whose only completed checkup was 11 months (and a few days) ago, both consenting to
    service reminders; the second has booked again for next week. Returns (due, booked) as dicts."""
    from checkup.core import clock
    from checkup.models import Appointment, Client, Package, Slot
    from checkup.models.appointments import BOOKED, COMPLETED
    from checkup.models.care import SERVICE_REMINDERS
    from checkup.services.accounts import consents
    from checkup.services.care import client_facts, reenrollment

    made = []
    with stack.database():
        today = clock.today()
        last_day = reenrollment.months_before(today, reenrollment.DUE_AFTER_MONTHS) - datetime.timedelta(days=3)
        package = Package.get(Package.code == "COMP")
        for n, upcoming in enumerate((None, today + datetime.timedelta(days=7))):
            suffix = unique()
            client = Client.create(
                name=f"冯建国{suffix}",
                sex="male",
                birth_date=datetime.date(1970, 4, n + 1),
                email=f"lapsed-{suffix}@example.com",
            )
            for day, status in ((last_day, COMPLETED), (upcoming, BOOKED)):
                if day is None:
                    continue
                slot = Slot.get_or_none(Slot.day == day, Slot.start_time == datetime.time(6, 45)) or Slot.create(
                    day=day, start_time=datetime.time(6, 45), end_time=datetime.time(7, 30), capacity=5
                )
                Appointment.create(
                    exam_code=f"RE{suffix}{status[0]}".upper(),
                    client=client,
                    slot=slot,
                    day=day,
                    live_day=day if status == BOOKED else None,
                    package=package,
                    status=status,
                    total_price=package.price,
                    self_amount=package.price,
                )
            client_facts.refresh([client.id])  # the checkups were written straight to the table
            consents.record(None, client.id, SERVICE_REMINDERS, True, "registration")
            made.append({"id": client.id, "name": client.name, "email": client.email, "last_day": last_day})
    return made


# --- the exam day in the browser --------------------------------------------------------------------------


def enter_station_results(page, stack, station_name, station_code, client_name, values, flags):
    """At a station: open the client from the worklist, type ``values`` ({label: value}), check the live
    flags ({result element id: text}) and save the station."""
    page.goto(stack.url + "/exam")
    page.get_by_role("link", name=station_name, exact=True).click()
    expect(page).to_have_url(f"{stack.url}/exam/stations/{station_code}")
    page.locator("#worklist-rows").get_by_role("link", name=client_name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{station_name}: {client_name}")
    for label, value in values.items():
        page.get_by_label(label, exact=True).press_sequentially(value, delay=20)
    for element_id, text in flags.items():
        expect(page.locator(f"#{element_id}")).to_contain_text(text)
    page.get_by_role("button", name="Save all results of this station").click()
    expect(page).to_have_url(f"{stack.url}/exam/stations/{station_code}")
    count = len(values)
    expect(page.locator(".flash.success")).to_have_text(f"{count} result{'s' if count > 1 else ''} saved.")


def sign_station_conclusions(page, stack, booked, station_codes):
    """The station doctor signs each station's conclusion (the box under the station form, text suggested)."""
    for station_code in station_codes:
        page.goto(f"{stack.url}/exam/appointments/{booked['id']}/stations/{station_code}")
        box = page.locator("#station-conclusion")
        box.get_by_role("button", name="Sign the station conclusion").click()
        expect(page.locator(".flash.success")).to_have_text("Station conclusion signed.")


def review_and_sign(page, stack, booked, summary):
    """The chief physician's review: find the checkup among those ready, sign it, wait for the PDF."""
    page.goto(stack.url + "/exam/review")
    ready = ready_for_review_row(page, booked["exam_code"])
    expect(ready).to_contain_text(booked["name"])
    ready.get_by_role("link", name="Review").click()
    expect(page).to_have_url(f"{stack.url}/exam/review/{booked['id']}")
    page.get_by_label("Summary", exact=True).fill(summary)
    page.get_by_role("button", name="Sign the report").click()
    expect(page.locator(".flash.success")).to_have_text("Report signed. The PDF is being prepared.")
    # on PostgreSQL the rq worker renders it; the status fragment polls until it is ready
    expect(page.locator(".pdf-status .badge")).to_have_text("PDF ready", timeout=JOB_TIMEOUT_MS)


# --- reading what came out ----------------------------------------------------------------------------------


def pdf_text(body):
    assert body.startswith(b"%PDF"), body[:40]
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)


def body_text(message):
    return message.get_body(preferencelist=("plain",)).get_content()


def subjects(stack, to):
    return [m["Subject"] for m in stack.messages(to=to)]


def wait_for_mail(stack, to, subject=None):
    """The (first) message to ``to``, with ``subject`` if given, waiting for the worker (inline: already there)."""

    def found():
        return next((m for m in stack.messages(to=to) if subject is None or m["Subject"] == subject), None)

    return stack.wait_for(found, timeout=JOB_TIMEOUT, message=f"the email {subject!r} to {to}")
