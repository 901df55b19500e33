"""Why a derived item is not computed is stored as a reason key ("derived:unmeasured:HEIGHT"), not as a
sentence in the language of whoever typed the input: a change of the station doctor's language rewrites and
re-audits nothing, and the station form, the review page and the report word it in their reader's language —
a Chinese report in Chinese, with no "(original in English)"."""

import pytest
from flask_babel import force_locale

from checkup.models import AuditEvent
from checkup.services.exam import report_review, results
from tests.exam.test_glue_review import BodyWorld, report_rows
from tests.factories import sign_in_directly

pytestmark = pytest.mark.both_dbs

ZH = "未计算：身高未检查。"
EN = "Not computed: Height was not measured."


@pytest.fixture
def world(app):
    world = BodyWorld()
    world.all_results()
    with force_locale("en"):
        results.record_result(world.actor(), world.appointment.id, "WEIGHT", "81.5")
        results.record_result(world.actor(), world.appointment.id, "HEIGHT", None, skipped=True, skip_reason="declined")
    return world


def derived_audits():
    return AuditEvent.select().where(AuditEvent.action == "results.derived").count()


def test_the_reason_is_a_key_and_another_language_rewrites_nothing(world):
    bmi = world.stored(world.bmi)
    assert bmi.skipped and bmi.skip_reason == "derived:unmeasured:HEIGHT"
    audited = derived_audits()
    with force_locale("zh"):  # a Chinese-speaking doctor corrects the weight: BMI is still not computed
        results.record_result(world.actor(), world.appointment.id, "WEIGHT", "82")
    again = world.stored(world.bmi)
    assert (again.skip_reason, again.entered_at) == (bmi.skip_reason, bmi.entered_at)
    assert derived_audits() == audited


@pytest.mark.parametrize(("language", "expected"), [("zh-CN", ZH), ("en", EN)])
def test_the_station_form_words_the_reason_in_the_doctor_s_language(app, world, language, expected):
    http = app.test_client()
    sign_in_directly(http, world.physician)
    page = http.get(f"/exam/appointments/{world.appointment.id}/stations/GEN", headers={"Accept-Language": language})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and expected in html and "derived:" not in html


@pytest.mark.parametrize(("chinese", "expected"), [(True, ZH), (False, EN)])
def test_the_review_page_and_the_report_word_it_in_their_language(app, world, chinese, expected):
    world.sign_stations()
    http = app.test_client()
    sign_in_directly(http, world.chief_user())
    page = http.get(
        f"/exam/review/{world.appointment.id}", headers={"Accept-Language": "zh-CN" if chinese else "en"}
    ).get_data(as_text=True)
    assert expected in page and "derived:" not in page
    with force_locale("zh" if chinese else "en"):
        (row,) = [r for r in report_review.review_data(world.appointment.id).rows if r.item.code == "BMI"]
        assert row.skip_label == expected

    report = world.sign()
    rows, _data = report_rows(report, world, chinese=chinese)
    (bmi,) = [r for r in rows.values() if r["skipped"] and r["computed"]]
    assert bmi["skip_reason"] == expected  # no "(original in English)" in a Chinese report
