"""The exam floor end to end (issue 13, "Done when"), in Chromium against a whole portal on PostgreSQL with a
real rq worker on Redis (PDFs and emails come from the worker; the test waits for them).

The desk checks a client in and gets the guide sheet and the specimen labels (PDFs) → a station doctor opens
the client by scanning (typing) a label's barcode into the station's scan box, enters height and weight, and
the BMI shows computed → an instrument import with one value differing from the one entered lands in the
station's conflict list, where the doctor keeps the entered value → each station signs its conclusion → the
chief physician (on the Chinese screen) finds the checkup in the review queue, gets the summary conclusion
and advice pre-filled from the advice library, and signs → the client's Chinese PDF (pdftotext) has no Latin
word but units, codes and names → a moved appointment emails the event again with SEQUENCE:1.

The steps share the stack and run in order; clients, packages and slots are the run's own.
"""

import datetime
import re
import shutil
import subprocess

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from tests.browser.care_journey_helpers import JOB_TIMEOUT, JOB_TIMEOUT_MS, pdf_text, sign_in, unique, wait_for_mail
from tests.browser.journey_stack import _bind_live_database, browser_context_args, running_stack  # noqa: F401 (fixtures)
from tests.exam.test_report_language import LATIN_ALLOWED

SCHEDULER, PHYSICIAN, CHIEF = "scheduler@demo.test", "physician@demo.test", "chief@demo.test"
PASSWORD = "Floor-journey-2468!"
# The checkup: height, weight and the BMI computed from them (General examination), fasting glucose (lab)
ITEMS = {"GEN": ["HEIGHT", "WEIGHT", "BMI"], "LAB-GLU": ["FPG"]}
MOVE_TIME = (datetime.time(6, 10), datetime.time(6, 50))  # the run's own slots for the reschedule


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """The issue asks for PostgreSQL with a real worker: this journey runs on that stack only."""
    with running_stack("postgresql", tmp_path_factory.mktemp("floor-postgresql")) as stack:
        yield stack


def _client_with_login(stack, name, sex, birth, locale, package_code=None):
    from checkup.core import passwords
    from checkup.models import Client, User, UserRole
    from checkup.models.accounts import CLIENT

    suffix = unique()
    email = f"floor-{suffix}@example.com"
    client = Client.create(name=name, sex=sex, birth_date=birth, phone="13700137999", email=email)
    user = User.create(
        email=email, name=name, client=client, locale=locale, password_hash=passwords.hash_password(PASSWORD)
    )
    UserRole.create(user=user, role=CLIENT)
    return client, email


def _booked_today(stack):
    """A client reading Chinese, booked today (a slot of the whole day of its own) for the floor's checkup."""
    from checkup.core import clock
    from checkup.core.audit import SYSTEM
    from checkup.models import ExamItem, Package, PackageItem, Slot
    from checkup.services.booking import booking

    with stack.database():
        suffix = unique()
        package = Package.create(
            code=f"FLOOR-{suffix}", name_en="Floor journey check", name_zh="导检流程体检", price="160.00"
        )
        items = {code: ExamItem.get(ExamItem.code == code) for codes in ITEMS.values() for code in codes}
        PackageItem.insert_many([{"package": package.id, "item": item.id} for item in items.values()]).execute()
        client, email = _client_with_login(stack, "吴雅婷", "female", datetime.date(1985, 4, 12), "zh")
        slot = Slot.create(
            day=clock.today(), start_time=datetime.time(0, 0), end_time=datetime.time(23, 59), capacity=3
        )
        appointment = booking.book(SYSTEM, client.id, slot.id, package.code, source="desk", allow_started=True)
        return {
            "id": appointment.id,
            "slot": slot.id,
            "exam_code": appointment.exam_code,
            "email": email,
            "name": client.name,
            "items": {code: item.id for code, item in items.items()},
        }


def _fetch_pdf(page, href):
    response = page.request.get(href)
    assert response.ok, f"{href}: {response.status}"
    assert response.headers["content-type"].startswith("application/pdf"), response.headers
    return response.headers, response.body()


def _pdftotext(data, folder):
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: apt-get install poppler-utils")
    path = folder / "report.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()


def test_the_desk_checks_the_client_in_and_prints_the_guide_sheet_and_labels(stack, new_context):
    booked = stack.state["booked"] = _booked_today(stack)
    desk = sign_in(new_context, stack, SCHEDULER)
    desk.goto(f"{stack.url}/desk/day?slot={booked['slot']}")
    row = desk.locator(f"#appointment-{booked['id']}")
    expect(row).to_contain_text(booked["exam_code"])
    row.get_by_label("Full name", exact=True).check()
    row.get_by_label("Birth date", exact=True).check()
    row.get_by_role("button", name="Check in").click()
    expect(row.locator(".badge")).to_have_text("Checked in")

    sheet = row.get_by_role("button", name="Guide sheet (PDF)")
    headers, body = _fetch_pdf(desk, stack.url + sheet.get_attribute("href"))
    assert f"guide-sheet-{booked['exam_code']}.pdf" in headers.get("content-disposition", "")
    assert booked["exam_code"] in pdf_text(body)
    labels = row.get_by_role("button", name="Specimen labels (PDF)")
    headers, body = _fetch_pdf(desk, stack.url + labels.get_attribute("href"))
    assert f"labels-{booked['exam_code']}.pdf" in headers.get("content-disposition", "")
    barcodes = re.findall(rf"{booked['exam_code']}-[A-Z]+", pdf_text(body))
    assert barcodes, "no label barcode in the labels PDF"
    stack.state["label"] = barcodes[0]


def test_a_station_scans_the_label_and_enters_height_and_weight_and_the_bmi_is_computed(stack, new_context):
    booked, items = stack.state["booked"], stack.state["booked"]["items"]
    doctor = sign_in(new_context, stack, PHYSICIAN)
    doctor.goto(stack.url + "/exam/stations/GEN")
    doctor.locator("#scan-code").fill(stack.state["label"])
    doctor.locator("#scan-code").press("Enter")
    form_url = f"{stack.url}/exam/appointments/{booked['id']}/stations/GEN"
    expect(doctor).to_have_url(form_url)
    expect(doctor.get_by_role("heading", level=1)).to_contain_text(booked["name"])
    doctor.get_by_label("Height", exact=True).fill("165")
    doctor.get_by_label("Weight", exact=True).fill("75")
    doctor.get_by_role("button", name="Save all results of this station").click()
    expect(doctor.locator(".flash.success")).to_have_text("2 results saved.")

    doctor.goto(form_url)
    bmi = doctor.locator(f"#row-{items['BMI']}")
    expect(bmi).to_contain_text("computed")
    expect(bmi).to_contain_text("27.5")
    expect(bmi.locator("input[name^='value-']")).to_have_count(0)  # never typed


def test_an_instrument_value_that_differs_lands_in_the_conflict_list(stack, new_context):
    booked, items = stack.state["booked"], stack.state["booked"]["items"]
    doctor = sign_in(new_context, stack, PHYSICIAN)
    doctor.goto(f"{stack.url}/exam/appointments/{booked['id']}/stations/LAB-GLU")
    doctor.get_by_label("Fasting plasma glucose", exact=True).fill("5.2")
    doctor.get_by_role("button", name="Save all results of this station").click()
    expect(doctor.locator(".flash.success")).to_have_text("1 result saved.")

    doctor.goto(stack.url + "/exam/import")
    csv = f"exam_code,item_code,value,unit,time\n{booked['exam_code']},FPG,5.8,mmol/L,\n".encode()
    doctor.locator("input[type=file]").set_input_files({"name": "glu.csv", "mimeType": "text/csv", "buffer": csv})
    doctor.get_by_role("button", name="Check and import").click()
    expect(doctor.locator(".flash.warning")).to_contain_text("1 differing from the entered value")

    doctor.goto(stack.url + "/exam/stations/LAB-GLU/conflicts")
    conflict = doctor.locator("tbody tr").filter(has_text=booked["exam_code"])
    expect(conflict).to_contain_text("5.2")
    expect(conflict).to_contain_text("5.8")
    with stack.database():
        from checkup.models import Result, ResultConflict

        assert Result.get(Result.appointment == booked["id"], Result.item == items["FPG"]).value_text == "5.2"
        assert ResultConflict.get(ResultConflict.appointment == booked["id"]).choice == ""
    conflict.get_by_role("button", name=re.compile("^Keep entered")).click()
    expect(doctor.locator(".flash.success")).to_have_text("Kept the entered value.")

    for station in ITEMS:  # each station doctor signs the station's conclusion
        doctor.goto(f"{stack.url}/exam/appointments/{booked['id']}/stations/{station}")
        box = doctor.locator("#station-conclusion")
        expect(box.get_by_label("Station conclusion", exact=True)).not_to_have_value("")
        box.get_by_role("button", name="Sign the station conclusion").click()
        expect(doctor.locator(".flash.success")).to_have_text("Station conclusion signed.")


def test_the_chief_physician_finds_it_in_the_queue_gets_the_library_text_and_signs(stack, new_context, tmp_path):
    booked = stack.state["booked"]
    chief = sign_in(new_context, stack, CHIEF)
    chief.context.set_extra_http_headers({"Accept-Language": "zh-CN,zh;q=0.9"})  # the chief reads Chinese
    link = chief.locator(f'#ready-list a[href="/exam/review/{booked["id"]}"]')
    for page in range(1, 41):  # oldest first: the demo's day may fill the first pages
        chief.goto(f"{stack.url}/exam/review?page={page}")
        expect(chief.locator("#ready-heading")).to_be_visible()
        if link.count() or not chief.locator("#ready-list a[rel=next]").count():
            break
    link.click()
    expect(chief).to_have_url(f"{stack.url}/exam/review/{booked['id']}")
    summary, advice = chief.locator("textarea[name=summary]"), chief.locator("textarea[name=advice]")
    expect(summary).to_have_value(re.compile("超重"))  # BMI 27.5: the library's finding, in Chinese
    expect(advice).to_have_value(re.compile("控制总热量"))
    expect(chief.locator(".review-results tr").filter(has_text="BMI").locator(".badge.computed")).to_have_count(1)
    chief.locator(f'form[action="/exam/review/{booked["id"]}/sign"] button:not([formaction])').click()
    expect(chief).to_have_url(f"{stack.url}/exam/review/{booked['id']}")
    download = chief.locator(".pdf-status a[href$='.pdf']").first
    expect(download).to_be_visible(timeout=JOB_TIMEOUT_MS)  # rendered by the worker; the status polls

    _headers, body = _fetch_pdf(chief, stack.url + download.get_attribute("href"))
    text = _pdftotext(body, tmp_path)
    with stack.database() as app:
        from checkup.config import center_identity
        from checkup.models import Report

        report = Report.get(Report.appointment == booked["id"])
        center = center_identity(app.config, "zh")
    assert "体检报告" in text and booked["name"] in text and "超重" in text
    for name in (booked["exam_code"], report.verification_code, center.get("name", ""), center.get("address", "")):
        text = text.replace(name, " ") if name else text  # codes and names may be spelled in Latin letters
    codes = {code for codes in ITEMS.values() for code in codes}  # item codes (BMI) as Chinese reports print them
    latin = {word.strip("-/") for word in re.findall(r"[A-Za-z][A-Za-z0-9/\-]*", text)}
    assert latin - LATIN_ALLOWED - codes - {""} == set(), text


def test_a_moved_appointment_emails_the_event_again_with_sequence_one(stack, new_context):
    from checkup.core import clock
    from checkup.core.audit import SYSTEM
    from checkup.models import ExamItem, Package, PackageItem, Slot
    from checkup.services.booking import booking

    with stack.database():
        today = clock.today()
        first_day, second_day = today + datetime.timedelta(days=20), today + datetime.timedelta(days=27)
        slots = [
            Slot.create(day=day, start_time=MOVE_TIME[0], end_time=MOVE_TIME[1], capacity=2)
            for day in (first_day, second_day)
        ]
        package = Package.create(code=unique("MOVE-"), name_en="Body measures", name_zh="体格检查", price="30.00")
        for code in ("HEIGHT", "WEIGHT"):  # no limited resource: the run's own slots are all it needs
            PackageItem.create(package=package, item=ExamItem.get(ExamItem.code == code))
        client, email = _client_with_login(stack, "Mover Lin", "female", datetime.date(1990, 2, 3), "en")
        appointment = booking.book(SYSTEM, client.id, slots[0].id, package.code)
    invitation = wait_for_mail(stack, email, subject=None)
    assert "SEQUENCE:0" in _ics(invitation)

    me = sign_in(new_context, stack, email, PASSWORD)
    me.goto(f"{stack.url}/me/appointments/{appointment.id}")
    me.get_by_role("button", name="Change the time").click()
    expect(me.get_by_role("heading", level=1)).to_have_text("Change the time of your checkup")
    me.goto(
        f"{stack.url}/me/appointments/{appointment.id}/reschedule?month={second_day:%Y-%m}&day={second_day.isoformat()}"
    )
    me.get_by_role("radio", name=re.compile(r"^06:10–06:50")).check()
    me.get_by_role("button", name="Move my appointment").click()
    expect(me.get_by_text("Your appointment has been moved.")).to_be_visible()

    def moved():
        return next((m for m in stack.messages(to=email) if "SEQUENCE:1" in _ics(m)), None)

    message = stack.wait_for(moved, timeout=JOB_TIMEOUT, message="the moved appointment's email")
    calendar = Calendar.from_ical(_ics(message))
    [event] = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "REQUEST" and int(event["SEQUENCE"]) == 1
    assert str(event["UID"]) == f"{appointment.exam_code}@checkup-portal"
    with stack.database():
        starts = clock.local(second_day, MOVE_TIME[0])  # the center's time zone; the .ics says it in UTC
    assert event.decoded("DTSTART") == starts


def _ics(message):
    parts = [p for p in message.iter_attachments() if (p.get_filename() or "").endswith(".ics")]
    if not parts:
        return ""
    content = parts[0].get_content()
    return content.decode() if isinstance(content, bytes) else content
