"""The exam day in Chromium, from check-in to the client's PDF.

The scheduler checks a client in and prints the exam sheet; a physician enters results at two stations
(one abnormal, one critical); the chief physician reviews and signs; the report turns ready; the client
signs in and downloads it; the counselor sees the critical-value task and acknowledges it.

The client is new (own login, own package of three demo items at two stations) and booked today into a
slot of their own, so the journey neither depends on nor disturbs the demo's day or other tests.
"""

import datetime
import io
import re
import uuid

from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.helpers import axe_check, login_as, ready_for_review_row
from tests.browser.live_data import center_today, live_app, outbox_messages, whole_day_slot

CLIENT_NAME = "钱晓东"
CLIENT_PASSWORD = "journey-password-42"
# Two stations of the demo catalog: General examination (SBP, DBP) and Blood glucose (FPG).
STATION_ITEMS = {"GEN": ["SBP", "DBP"], "LAB-GLU": ["FPG"]}


def _client_booked_today(live_server):
    """A client with a login, booked through the booking service into a slot of their own today."""
    from checkup.core import passwords
    from checkup.core.audit import SYSTEM
    from checkup.models import Client, ExamItem, Package, PackageItem, User, UserRole
    from checkup.models.accounts import CLIENT
    from checkup.services.booking import booking

    suffix = uuid.uuid4().hex[:6]
    email = f"journey-{suffix}@example.com"
    today = center_today(live_server)
    with live_app(live_server):
        package = Package.create(code=f"JRNY-{suffix}", name_en="Journey check", name_zh="流程体检", price="120.00")
        items = {code: ExamItem.get(ExamItem.code == code) for codes in STATION_ITEMS.values() for code in codes}
        PackageItem.insert_many([{"package": package.id, "item": item.id} for item in items.values()]).execute()
        client = Client.create(
            name=CLIENT_NAME, sex="male", birth_date=datetime.date(1980, 6, 1), phone="13700137123", email=email
        )
        user = User.create(
            email=email, name=CLIENT_NAME, client=client, password_hash=passwords.hash_password(CLIENT_PASSWORD)
        )
        UserRole.create(user=user, role=CLIENT)
        # A slot of its own that lasts the whole day: the desk can book (and check in) at any hour.
        slot = whole_day_slot(today)
        appointment = booking.book(SYSTEM, client.id, slot.id, package.code, source="desk", allow_started=True)
        return {
            "id": appointment.id,
            "exam_code": appointment.exam_code,
            "email": email,
            "items": {code: item.id for code, item in items.items()},
        }


def _pdf_text(body):
    assert body.startswith(b"%PDF"), body[:40]
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def _fetch_pdf(page, base_url, href):
    """GET a PDF link with the page's cookies: (headers, body)."""
    response = page.request.get(base_url + href)
    assert response.ok, f"{href}: {response.status}"
    assert response.headers["content-type"].startswith("application/pdf"), response.headers
    return response.headers, response.body()


def _open_station(page, base_url, station_name, station_code):
    page.goto(base_url + "/exam")
    page.get_by_role("link", name=station_name, exact=True).click()
    expect(page).to_have_url(f"{base_url}/exam/stations/{station_code}")
    page.locator("#worklist-rows").get_by_role("link", name=CLIENT_NAME).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{station_name}: {CLIENT_NAME}")


def test_exam_day_from_check_in_to_downloaded_report(signed_in, new_context, base_url, live_server):
    booked = _client_booked_today(live_server)
    exam_code, items = booked["exam_code"], booked["items"]

    # --- Front desk: today's day sheet, check the client in, print the exam sheet
    desk = signed_in("scheduler@demo.test")
    desk.goto(base_url + "/desk")
    desk.locator("header nav").get_by_role("link", name="Today", exact=True).click()
    expect(desk).to_have_url(base_url + "/desk/day")
    expect(desk.get_by_role("heading", level=1)).to_contain_text("Day sheet")
    row = desk.locator(f"#appointment-{booked['id']}")
    expect(row).to_contain_text(CLIENT_NAME)
    expect(row).to_contain_text(exam_code)
    expect(row).to_contain_text("Booked")
    axe_check(desk)
    desk.evaluate("window.__sameDocument = true")
    row.get_by_label("Full name", exact=True).check()
    row.get_by_label("Birth date", exact=True).check()
    row.get_by_role("button", name="Check in").click()
    expect(row.get_by_role("status")).to_have_text("Checked in.")
    expect(row.locator(".badge")).to_have_text("Checked in")
    assert desk.evaluate("window.__sameDocument === true"), "checking in reloaded the whole day sheet"
    sheet_link = row.get_by_role("button", name="Guide sheet (PDF)")
    expect(sheet_link).to_be_visible()
    axe_check(desk)
    headers, body = _fetch_pdf(desk, base_url, sheet_link.get_attribute("href"))
    assert f"guide-sheet-{exam_code}.pdf" in headers.get("content-disposition", "")
    sheet_text = _pdf_text(body)
    assert exam_code in sheet_text and "Blood glucose" in sheet_text  # lab panels, drawn at the blood-draw room
    labels_link = row.get_by_role("button", name="Specimen labels (PDF)")
    headers, body = _fetch_pdf(desk, base_url, labels_link.get_attribute("href"))
    assert f"labels-{exam_code}.pdf" in headers.get("content-disposition", "")
    labels_text = _pdf_text(body)  # the demo floor catalog draws fasting glucose into the grey fluoride tube
    assert f"{exam_code}-FLU" in labels_text and "Blood glucose" in labels_text

    # --- A physician at two stations: blood pressure high (abnormal), then glucose critical
    doctor = signed_in("physician@demo.test")
    _open_station(doctor, base_url, "General examination", "GEN")
    axe_check(doctor)
    systolic = doctor.get_by_label("Systolic blood pressure", exact=True)
    systolic.press_sequentially("152", delay=30)
    expect(doctor.locator(f"#flag-{items['SBP']}")).to_contain_text("High")
    doctor.get_by_label("Diastolic blood pressure", exact=True).fill("78")
    doctor.get_by_role("button", name="Save all results of this station").click()
    expect(doctor).to_have_url(base_url + "/exam/stations/GEN")  # the station is done for this client
    expect(doctor.locator(".flash.success")).to_have_text("2 results saved.")
    expect(doctor.locator("#worklist-rows").get_by_role("link", name=CLIENT_NAME)).to_have_count(0)

    _open_station(doctor, base_url, "Blood glucose", "LAB-GLU")
    expect(doctor.locator("#progress")).to_contain_text("2 of 3 items done")
    doctor.get_by_label("Fasting plasma glucose", exact=True).press_sequentially("27.5", delay=30)
    expect(doctor.locator(f"#flag-{items['FPG']}")).to_contain_text("Critical high")
    axe_check(doctor)
    doctor.get_by_role("button", name="Save all results of this station").click()
    expect(doctor).to_have_url(base_url + "/exam/stations/LAB-GLU")
    expect(doctor.locator(".flash.success")).to_have_text("1 result saved.")

    # The critical value is a task on the physicians' home at once, before any report
    doctor.goto(base_url + "/exam")
    alert = doctor.locator(".critical-alerts tbody tr").filter(has_text=exam_code)
    expect(alert).to_contain_text(CLIENT_NAME)
    expect(alert).to_contain_text("Critical high")
    axe_check(doctor)

    # --- Each station doctor signs the station's conclusion (the box under the station form)
    for station_code in ("GEN", "LAB-GLU"):
        doctor.goto(f"{base_url}/exam/appointments/{booked['id']}/stations/{station_code}")
        box = doctor.locator("#station-conclusion")
        expect(box.get_by_label("Station conclusion", exact=True)).not_to_have_value("")  # suggested from the results
        box.get_by_role("button", name="Sign the station conclusion").click()
        expect(doctor.locator(".flash.success")).to_have_text("Station conclusion signed.")

    # --- The chief physician reviews (abnormal results first) and signs
    doctor = signed_in("chief@demo.test")
    doctor.goto(base_url + "/exam")
    doctor.locator("header nav").get_by_role("link", name="Review", exact=True).click()
    expect(doctor).to_have_url(base_url + "/exam/review")
    ready = ready_for_review_row(doctor, exam_code)
    expect(ready).to_contain_text(CLIENT_NAME)
    axe_check(doctor)
    ready.get_by_role("link", name="Review").click()
    expect(doctor).to_have_url(f"{base_url}/exam/review/{booked['id']}")
    expect(doctor.get_by_role("heading", level=1)).to_have_text(f"Review: {CLIENT_NAME}")
    results_table = doctor.locator("section", has=doctor.locator("#results-heading")).locator("tbody tr")
    expect(results_table).to_have_count(3)
    expect(results_table.first).to_contain_text("Fasting plasma glucose")  # critical first
    expect(results_table.nth(1)).to_contain_text("Systolic blood pressure")  # then the abnormal one
    axe_check(doctor)
    doctor.get_by_label("Summary", exact=True).fill("Fasting glucose critically high; blood pressure raised.")
    doctor.get_by_role("button", name="Sign the report").click()
    expect(doctor).to_have_url(f"{base_url}/exam/review/{booked['id']}")
    expect(doctor.locator(".flash.success")).to_have_text("Report signed. The PDF is being prepared.")
    expect(doctor.get_by_role("heading", name=re.compile("Signed report, version 1"))).to_be_visible()
    # The report turns ready (the live server renders inline; the status polls while it is not)
    expect(doctor.locator(".pdf-status .badge")).to_have_text("PDF ready")
    axe_check(doctor)
    with doctor.expect_download() as staff_download:
        doctor.get_by_role("link", name="Download the PDF (version 1)").click()
    assert staff_download.value.suggested_filename == f"checkup-report-{exam_code}-v1.pdf"
    staff_copy = _pdf_text(open(staff_download.value.path(), "rb").read())
    assert exam_code in staff_copy and "27.5" in staff_copy

    # --- The client signs in, finds the report under "My reports" and downloads it
    me = new_context().new_page()
    login_as(me, base_url, booked["email"], CLIENT_PASSWORD)
    expect(me).to_have_url(base_url + "/me")
    me.locator("header nav").get_by_role("link", name="My reports").click()
    expect(me).to_have_url(base_url + "/me/reports")
    report_row = me.locator("tbody tr").filter(has_text=exam_code)
    expect(report_row).to_have_count(1)
    axe_check(me)
    link = report_row.get_by_role("link", name="Download PDF")
    with me.expect_download() as client_download:
        link.click()
    assert client_download.value.suggested_filename == f"checkup-report-{exam_code}-v1.pdf"
    client_copy = _pdf_text(open(client_download.value.path(), "rb").read())
    assert exam_code in client_copy and CLIENT_NAME in client_copy
    headers, _body = _fetch_pdf(me, base_url, link.get_attribute("href"))
    assert "attachment" in headers.get("content-disposition", "")
    subjects = [m["Subject"] for m in outbox_messages(live_server, to=booked["email"])]
    assert "Your checkup report is ready" in subjects, subjects

    # --- The counselor sees the critical-value task on their home page and acknowledges it
    care = signed_in("counselor@demo.test")
    care.goto(base_url + "/care")
    task = care.locator(".critical-alerts tbody tr").filter(has_text=exam_code)
    expect(task).to_contain_text(CLIENT_NAME)
    expect(task).to_contain_text("Fasting plasma glucose")
    expect(task).to_contain_text("27.5")
    expect(task).to_contain_text("Critical high")
    axe_check(care)
    task.get_by_label("Note (action taken)").fill("Called the client; seen by the GP today.")
    task.get_by_role("button", name="Acknowledge").click()
    expect(care).to_have_url(base_url + "/care")
    expect(care.locator(".flash.success")).to_have_text("Critical value acknowledged.")
    expect(care.locator(".critical-alerts tbody tr").filter(has_text=exam_code)).to_have_count(0)
    axe_check(care)
    with live_app(live_server):
        from checkup.models import CriticalAlert, User

        acknowledged = CriticalAlert.get(CriticalAlert.appointment == booked["id"])
        assert acknowledged.acknowledged_by_id == User.get(User.email == "counselor@demo.test").id
        assert acknowledged.note == "Called the client; seen by the GP today."
