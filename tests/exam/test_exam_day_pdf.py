"""The printed guide sheet (导检单): a real PDF with the client's Chinese name, the exam code, one line per
station, the preparation reminders, page numbers."""

import io
import json

import pytest
from pypdf import PdfReader

from checkup.core.audit import Actor
from checkup.models import AuditEvent
from checkup.reports.guide_sheet import GuideSheetRenderer
from checkup.services.exam import exam_day, guide_sheets
from tests import factories
from tests.exam_day_helpers import ExamDay, booked_client, freeze_clock


def pdf_text(pdf):
    reader = PdfReader(io.BytesIO(pdf))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def sheet_data(**overrides):
    labels = {key: str(value) for key, value in guide_sheets.GUIDE_LABELS.items()}
    data = {
        "center_name": "Checkup Portal Health Center",
        "exam_code": "K7MPQ4XRAB",
        "client_name": "王芳",
        "sex": "Female",
        "age": "39 years",
        "masked_national_id": "110105**********2X",
        "day": "2024-11-24",
        "slot": "10:00–11:00",
        "package": "Basic",
        "addons": "",
        "labels": labels,
        "stops": [
            {
                "number": 1,
                "code": "LAB",
                "name": "Laboratory",
                "fasting": True,
                "items": "White blood cells",
                "containers": "Purple",
            }
        ],
        "prep_notes": ["Fast 8 hours."],
    }
    data.update(overrides)
    return data


def _check_in(day, appointment, monkeypatch):
    freeze_clock(monkeypatch, 9, 30)
    return exam_day.check_in(Actor(), appointment.id, ["name", "birth_date", "national_id"])


@pytest.mark.both_dbs
def test_scheduler_prints_the_guide_sheet_of_a_checked_in_client(app, client, monkeypatch):
    day = ExamDay()
    _person, appointment = booked_client(day, monkeypatch, day.mid, "王芳", package="CT-PKG")
    _check_in(day, appointment, monkeypatch)
    desk = factories.sign_in_directly(client, factories.make_user("scheduler"))

    response = client.get(f"/desk/day/appointments/{appointment.id}/guide-sheet.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert f"guide-sheet-{appointment.exam_code}.pdf" in response.headers["Content-Disposition"]
    reader, text = pdf_text(response.data)
    assert len(reader.pages) == 1
    for expected in (
        "王芳",
        appointment.exam_code,
        "White blood cells",
        "Fasting glucose",
        "Chest CT",
        "Laboratory",
        "Imaging",
        "Fast 8 hours.",
        "Remove metal objects.",
        "Page 1 of 1",
        "10:00–11:00",
    ):
        assert expected in text, expected
    assert text.index("Laboratory") < text.index("Imaging")  # stations in their sort order
    (event,) = AuditEvent.select().where(AuditEvent.action == "exam_day.guide_sheet_printed")
    assert (event.user_id, event.object_id) == (desk.id, str(appointment.id))
    assert json.loads(event.detail)["exam_code"] == appointment.exam_code


def test_the_sheet_in_chinese_names_stations_and_items_in_chinese(app, client, monkeypatch):
    day = ExamDay()
    _person, appointment = booked_client(day, monkeypatch, day.mid, "张伟", package="CT-PKG")
    _check_in(day, appointment, monkeypatch)
    factories.sign_in_directly(client, factories.make_user("scheduler", locale="zh"))
    client.post("/language", data={"locale": "zh"})
    _reader, text = pdf_text(client.get(f"/desk/day/appointments/{appointment.id}/guide-sheet.pdf").data)
    for expected in ("张伟", "检验科", "影像科", "白细胞计数", "空腹8小时", appointment.exam_code):
        assert expected in text, expected


def test_a_long_station_list_runs_over_pages_numbered_x_of_y(app):
    stops = [
        {"number": i, "code": f"S{i}", "name": f"Station {i}", "fasting": False, "items": "An examination " * 30}
        for i in range(1, 41)
    ]
    reader, text = pdf_text(GuideSheetRenderer().build(sheet_data(stops=stops)))
    pages = len(reader.pages)
    assert pages >= 2
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    assert "Station 1" in text and "Station 40" in text


def test_markup_in_user_text_is_printed_literally(app):
    pdf = GuideSheetRenderer().build(
        sheet_data(
            client_name="<b>&amp; 王<i>芳",
            package="<font size=40>Big</font>",
            stops=[{"number": 1, "code": "L", "name": "Lab & <Co>", "fasting": False, "items": "A<br/>B"}],
            prep_notes=["Bring <urine> & stool"],
        )
    )
    _reader, text = pdf_text(pdf)
    for literal in ("<b>&amp; 王<i>芳", "<font size=40>Big</font>", "Lab & <Co>", "A<br/>B", "Bring <urine> & stool"):
        assert literal in text, literal


def test_the_chinese_font_is_embedded_in_the_pdf(app):
    pdf = GuideSheetRenderer().build(sheet_data())
    reader = PdfReader(io.BytesIO(pdf))
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts.add((str(font["/BaseFont"]), "/DescendantFonts" in font or "/FontDescriptor" in font))
    assert any("Helvetica" in name for name, _ in fonts)
    assert any(embedded and "Helvetica" not in name for name, embedded in fonts), fonts
