"""Check-in prints: specimen labels (one 50 × 25 mm page per container, Code128 of exam code + container),
the guide sheet in the floor's order, both reprintable and audited; and a scanned label read back."""

import io
import json

import pytest
from pypdf import PdfReader
from reportlab.lib.units import mm

from checkup.core.audit import Actor
from checkup.core.errors import NotFound, ValidationError
from checkup.models import AuditEvent, StationOrderRule
from checkup.services.exam import exam_day, guide_sheets, specimens
from tests import factories
from tests.exam_day_helpers import ExamDay, booked_client, freeze_clock

pytestmark = pytest.mark.both_dbs

IDENTITY = ["name", "birth_date", "national_id"]


@pytest.fixture
def floor(app):
    """The exam-day center with a blood-draw room, sample collection, ultrasound and endoscopy."""
    day = ExamDay()
    draw = factories.make_department("DRAW", name_en="Blood draw", name_zh="采血室", sort_order=5)
    sample = factories.make_department("SAMPLE", name_en="Sample collection", name_zh="留样处", sort_order=6)
    us = factories.make_department("US", name_en="Ultrasound", name_zh="超声科", sort_order=3)
    endo = factories.make_department("ENDO", name_en="Endoscopy", name_zh="内镜中心", sort_order=4)
    liver = factories.make_department("LAB-LIVER", name_en="Liver function", name_zh="肝功能", sort_order=7)
    day.blood.container, day.blood.station, day.blood.fasting = "EDTA", draw, True
    day.blood.save()
    day.glucose.container, day.glucose.station, day.glucose.fasting = "FLU", draw, True
    day.glucose.save()
    alt = factories.make_item("ALT", liver, name_zh="丙氨酸氨基转移酶", container="SST", station=draw, fasting=True)
    urine = factories.make_item("U-PRO", liver, name_en="Urine protein", container="URINE", station=sample)
    abdomen = factories.make_item("US-ABD", us, name_en="Abdominal ultrasound", fasting=True)
    gastro = factories.make_item("GASTRO", endo, name_en="Gastroscopy", fasting=True)
    height = factories.make_item("HEIGHT", day.imaging, name_en="Height")
    StationOrderRule.create(before=us, after=endo)
    items = [day.blood, day.glucose, alt, urine, gastro, abdomen, height]
    factories.make_package("FLOOR", items, name_zh="导检套餐")
    day.stations = {"draw": draw, "sample": sample, "us": us, "endo": endo}
    return day


def checked_in(floor, monkeypatch, name="欧阳娜娜", package="FLOOR"):
    _person, appointment = booked_client(floor, monkeypatch, floor.mid, name, package=package)
    freeze_clock(monkeypatch, 9, 30)
    exam_day.check_in(Actor(), appointment.id, IDENTITY)
    return appointment


def pdf_pages(pdf):
    reader = PdfReader(io.BytesIO(pdf))
    return reader.pages, [page.extract_text() for page in reader.pages]


# --- labels ---------------------------------------------------------------------------------------------


def test_one_label_per_container_sized_for_the_label_printer(floor, monkeypatch, client, make_user):
    appointment = checked_in(floor, monkeypatch)
    desk = factories.sign_in_directly(client, make_user("scheduler"))
    response = client.get(f"/desk/day/appointments/{appointment.id}/labels.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f"labels-{appointment.exam_code}.pdf" in response.headers["Content-Disposition"]
    pages, texts = pdf_pages(response.data)
    assert len(pages) == 4  # EDTA, SST, fluoride, urine: one each, whatever the number of items in them
    for page in pages:
        assert round(float(page.mediabox.width) / mm, 2) == 50.0
        assert round(float(page.mediabox.height) / mm, 2) == 25.0
    code = appointment.exam_code
    for text, container in zip(texts, ("SST", "EDTA", "FLU", "URINE"), strict=True):  # draw order
        assert f"{code}-{container}" in text
        assert "欧阳娜娜" in text  # the Chinese name renders in the embedded font
        assert "Female" in text
    assert "Yellow" in texts[0] and "Purple" in texts[1] and "Grey" in texts[2] and "Urine cup" in texts[3]
    assert "Liver function" in texts[0]
    client.get(f"/desk/day/appointments/{appointment.id}/labels.pdf")  # a reprint
    events = list(AuditEvent.select().where(AuditEvent.action == "exam_day.specimen_labels_printed"))
    assert len(events) == 2 and {e.user_id for e in events} == {desk.id}
    assert json.loads(events[0].detail)["containers"] == ["SST", "EDTA", "FLU", "URINE"]
    assert events[0].object_id == str(appointment.id)


def test_labels_wait_for_check_in_with_a_clear_message(floor, monkeypatch, client, make_user):
    _person, appointment = booked_client(floor, monkeypatch, floor.mid, "王芳", package="FLOOR")
    factories.sign_in_directly(client, make_user("scheduler"))
    response = client.get(f"/desk/day/appointments/{appointment.id}/labels.pdf", follow_redirects=True)
    assert response.mimetype == "text/html"
    assert "printed once the client is checked in" in response.get_data(as_text=True)
    assert not AuditEvent.select().where(AuditEvent.action == "exam_day.specimen_labels_printed").exists()
    with pytest.raises(ValidationError):
        specimens.print_labels(Actor(), appointment.id)


def test_an_appointment_without_specimens_has_no_labels(floor, monkeypatch):
    appointment = checked_in(floor, monkeypatch, package="CT-PKG")  # WBC and glucose only have containers here
    assert [label["container"] for label in specimens.label_data(appointment.id)["labels"]] == ["EDTA", "FLU"]
    factories.make_package("CT-ONLY", [floor.ct_item])
    other = checked_in(floor, monkeypatch, name="张伟", package="CT-ONLY")
    with pytest.raises(ValidationError, match="no specimens to label"):
        specimens.print_labels(Actor(), other.id)


# --- scanning back --------------------------------------------------------------------------------------


def test_a_scanned_label_or_typed_exam_code_finds_the_appointment(floor, monkeypatch):
    appointment = checked_in(floor, monkeypatch)
    code = appointment.exam_code
    assert specimens.find_by_scan(code) == (appointment, None)
    assert specimens.find_by_scan(f"  {code}-EDTA\n") == (appointment, "EDTA")
    assert specimens.find_by_scan(f"{code.lower()}-urine") == (appointment, "URINE")
    for text in ("", "   ", "NOPE-EDTA", f"{code}X", f"{code}-PINK", "x" * 500):
        with pytest.raises(NotFound):
            specimens.find_by_scan(text)


# --- the guide sheet ------------------------------------------------------------------------------------


def test_the_guide_sheet_orders_stations_fasting_first_and_by_the_rules(floor, monkeypatch):
    appointment = checked_in(floor, monkeypatch)
    data = guide_sheets.guide_sheet_data(appointment.id)
    names = [s.get("name", "— breakfast —") for s in data["stops"]]
    # fasting: blood draw and ultrasound (before endoscopy, by the rule), endoscopy; then breakfast, the rest
    assert names == ["Ultrasound", "Endoscopy", "Blood draw", "— breakfast —", "Imaging", "Sample collection"]
    draw = data["stops"][2]
    assert draw["fasting"] and draw["items"] == "Laboratory, Liver function"  # panels, not 16 analytes
    assert draw["containers"] == "Yellow, Purple, Grey"
    chinese = guide_sheets.guide_sheet_data(appointment.id, chinese=True)
    assert chinese["stops"][2]["items"] == "检验科、肝功能"


def test_the_guide_sheet_is_one_page_with_a_qr_code_and_every_print_is_audited(floor, monkeypatch, client, make_user):
    appointment = checked_in(floor, monkeypatch)
    desk = factories.sign_in_directly(client, make_user("scheduler"))
    for _ in range(2):  # printed, then reprinted
        response = client.get(f"/desk/day/appointments/{appointment.id}/guide-sheet.pdf")
        assert response.status_code == 200
    pages, texts = pdf_pages(response.data)
    assert len(pages) == 1
    assert "Guide sheet" in texts[0] and appointment.exam_code in texts[0] and "Breakfast" in texts[0]
    assert pages[0].get_contents().get_data().count(b" re") > 100  # the QR code: one rectangle per dark module
    events = list(AuditEvent.select().where(AuditEvent.action == "exam_day.guide_sheet_printed"))
    assert len(events) == 2 and {e.user_id for e in events} == {desk.id}
