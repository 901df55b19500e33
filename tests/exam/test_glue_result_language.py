"""A free-text result keeps the language the station doctor wrote it in, so the client's report says
"(original in …)" only after a text that exists in the other language."""

import pytest
from flask_babel import force_locale

from checkup.models import ExamItem, Report, Result
from checkup.services.exam import chief_review, report_pdf, results
from tests.factories import sign_in_directly
from tests.report_helpers import ReportWorld


@pytest.fixture
def world(app):
    return ReportWorld()


def liver(world):
    return Result.get(Result.appointment == world.appointment.id, Result.item == world.liver.id)


@pytest.mark.both_dbs
@pytest.mark.parametrize(
    "typed, language",
    [
        ("肝脏脂肪浸润（轻度）", "zh"),
        ("Mild fatty liver", "en"),
        ("左乳结节（BI-RADS 3类）", "zh"),  # Chinese carries it; the grading system keeps its name
        ("1+", ""),  # no words: no language to mark
        ("轻度脂肪肝\nMild fatty liver", ""),  # a line in each: the report keeps the lines in its own
    ],
)
def test_station_entry_records_the_language_of_the_text_typed(app, world, typed, language):
    results.record_result(world.actor(), world.appointment.id, "US-LIVER", typed, abnormal=True)
    stored = liver(world)
    assert (stored.value_text, stored.language, stored.flag) == (typed, language, "A")


def test_numbers_carry_no_language_and_the_station_form_records_it_from_the_text(app, world):
    results.record_result(world.actor(), world.appointment.id, "GLU", "5.4")
    glu = Result.get(Result.item == world.glu.id)
    assert glu.language == ""
    http = app.test_client()
    sign_in_directly(http, world.physician)
    saved = http.post(
        f"/exam/appointments/{world.appointment.id}/stations/US",
        data={f"value-{world.liver.id}": "Gallbladder polyp 4 mm", f"abnormal-{world.liver.id}": "1"},
    )
    assert saved.status_code == 303
    assert (liver(world).value_text, liver(world).language) == ("Gallbladder polyp 4 mm", "en")


def sign_and_render(world, typed):
    results.record_result(world.actor(), world.appointment.id, "US-LIVER", typed, abnormal=True)
    for item in (world.wbc, world.glu, world.alt):
        world.result(item, 5, low=1, high=60)
    world.sign_stations()
    chief = world.chief_user()
    report = chief_review.sign(world.actor(chief), world.appointment.id, "Summary", "Advice")
    report = Report.get_by_id(report.id)
    rows = {}
    for language in ("en", "zh"):
        with force_locale(language):
            data = report_pdf.document_data(
                report, world.appointment, world.client, world.package, chief, [], chinese=language == "zh"
            )
        rows[language] = {row["name"]: row["value"] for department in data["departments"] for row in department["rows"]}
    return rows


@pytest.mark.both_dbs
def test_the_report_marks_a_chinese_finding_in_an_english_report_and_not_in_a_chinese_one(app, world):
    rows = sign_and_render(world, "肝脏脂肪浸润（轻度）")
    assert rows["en"]["Liver ultrasound"] == "肝脏脂肪浸润（轻度） (original in Chinese)"
    assert rows["zh"]["肝脏超声"] == "肝脏脂肪浸润（轻度）"


def test_the_report_marks_an_english_finding_in_a_chinese_report(app, world):
    rows = sign_and_render(world, "Gallbladder polyp 4 mm")
    assert rows["en"]["Liver ultrasound"] == "Gallbladder polyp 4 mm"
    assert rows["zh"]["肝脏超声"].startswith("Gallbladder polyp 4 mm ")  # then "(original in English)", translated


def test_an_amended_text_result_takes_the_language_of_its_new_text(app, world):
    results.record_result(world.actor(), world.appointment.id, "US-LIVER", "Mild fatty liver", abnormal=True)
    for item in (world.wbc, world.glu, world.alt):
        world.result(item, 5, low=1, high=60)
    world.sign_stations()
    chief = world.actor(world.chief_user())
    report = chief_review.sign(chief, world.appointment.id, "Summary", "Advice")
    chief_review.amend(
        chief,
        report.id,
        "Rewritten in Chinese",
        "Summary",
        "",
        changes=[{"result_id": liver(world).id, "value": "轻度脂肪肝", "abnormal": True}],
        client_note="超声描述已更正。",
    )
    assert (liver(world).value_text, liver(world).language) == ("轻度脂肪肝", "zh")
    assert ExamItem.get_by_id(world.liver.id).result_type == "text"
