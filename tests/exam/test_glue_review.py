"""The chief physician's review where the floor's parts meet: computed items shown as computed (review page,
snapshot, report data) and computed again by an amendment; an instrument value waiting in a conflict list
holds the signature; the amendment's note to the client, apart from its internal reason."""

import io
import json
from decimal import Decimal

import pytest
from flask_babel import force_locale
from pypdf import PdfReader

from checkup.core.errors import ValidationError
from checkup.models import AppointmentItem, AuditEvent, Report, Result, ResultConflict
from checkup.services.exam import chief_review, report_pdf, report_review, reports, result_conflicts
from checkup.services.exam.report_pdf import document_data
from tests import factories
from tests.factories import sign_in_directly
from tests.report_helpers import ReportWorld


class BodyWorld(ReportWorld):
    """ReportWorld's checkup plus height, weight and the BMI computed from them at a general station."""

    def __init__(self):
        super().__init__()
        self.gen = factories.make_department("GEN", name_zh="一般检查")
        make = factories.make_item
        self.height = make("HEIGHT", self.gen, unit="cm", name_en="Height", name_zh="身高")
        self.weight = make("WEIGHT", self.gen, unit="kg", name_en="Weight", name_zh="体重")
        self.bmi = make("BMI", self.gen, unit="kg/m²", name_en="Body mass index", name_zh="体重指数")
        factories.make_range(self.bmi, low="18.5", high="23.9")
        for item in (self.height, self.weight, self.bmi):
            AppointmentItem.create(appointment=self.appointment, item=item, price=Decimal("5"))

    def ready(self, weight="81.5"):
        """Every result in (height and weight at the station: BMI computed), every station signed."""
        from checkup.services.exam import results

        self.all_results()
        results.record_result(self.actor(), self.appointment.id, "HEIGHT", "172")
        results.record_result(self.actor(), self.appointment.id, "WEIGHT", weight)
        self.sign_stations()

    def chief(self):
        return self.actor(self.chief_user())

    def sign(self):
        return chief_review.sign(self.chief(), self.appointment.id, "总检结论：超重。", "控制体重。")

    def stored(self, item):
        return Result.get(Result.appointment == self.appointment.id, Result.item == item.id)


@pytest.fixture
def world(app):
    return BodyWorld()


def signed_in(app, user):
    http = app.test_client()
    sign_in_directly(http, user)
    return http


def snapshot_row(report, code):
    return next(row for row in reports.snapshot_rows(report) if row["code"] == code)


def report_rows(report, world, chinese=False):
    report = Report.get_by_id(report.id)
    with force_locale("zh" if chinese else "en"):
        data = document_data(
            report, world.appointment, world.client, world.package, world.chief_user(), [], chinese=chinese
        )
    return {row["name"]: row for department in data["departments"] for row in department["rows"]}, data


# --- computed items ------------------------------------------------------------------------------------


@pytest.mark.both_dbs
def test_bmi_shows_as_computed_on_the_review_page_in_the_snapshot_and_in_the_report_data(app, world):
    world.ready()
    bmi = world.stored(world.bmi)
    assert (bmi.source, bmi.value_text, bmi.flag) == ("derived", "27.5", "H")
    page = signed_in(app, world.chief_user()).get(f"/exam/review/{world.appointment.id}").get_data(as_text=True)
    bmi_row = page[page.index("Body mass index") : page.index("</tr>", page.index("Body mass index"))]
    weight_row = page[page.index(">Weight") : page.index("</tr>", page.index(">Weight"))]
    assert "computed" in bmi_row and "computed" not in weight_row

    report = world.sign()
    assert snapshot_row(report, "BMI")["computed"] is True
    assert snapshot_row(report, "WEIGHT")["computed"] is False
    rows, _data = report_rows(report, world)
    assert rows["Body mass index (computed)"]["computed"] and rows["Body mass index (computed)"]["value"] == "27.5"
    assert not rows["Weight"]["computed"]
    chinese, _data = report_rows(report, world, chinese=True)
    assert any(name.startswith("体重指数（") for name in chinese) and "体重" in chinese  # the mark in full-width


@pytest.mark.both_dbs
def test_amending_the_weight_computes_the_bmi_again_and_the_audit_lists_both(app, world):
    world.ready()
    first = world.sign()
    weight = world.stored(world.weight)
    amended = chief_review.amend(
        world.chief(),
        first.id,
        "Scale not zeroed",
        "总检结论：体重正常。",
        "",
        changes=[{"result_id": weight.id, "value": "65"}],
        client_note="体重复测，数值已更正。",
    )
    bmi = world.stored(world.bmi)
    assert (bmi.value_text, bmi.flag, bmi.source) == ("22.0", "N", "derived")
    assert snapshot_row(amended, "BMI")["value"] == "22" and snapshot_row(amended, "BMI")["computed"]
    assert snapshot_row(first, "BMI")["value"] == "27.5"  # the signed version keeps what it said
    detail = json.loads(AuditEvent.get(AuditEvent.action == "report.amended").detail)
    assert detail["changes"] == [
        {"item": "WEIGHT", "before": "81.5", "before_flag": "", "after": "65", "after_flag": ""},
        {"item": "BMI", "before": "27.5", "before_flag": "H", "after": "22.0", "after_flag": "N", "derived": True},
    ]
    assert AuditEvent.select().where(AuditEvent.action == "results.derived").count() == 2  # entry, amendment


def test_an_amendment_never_types_a_computed_value_and_its_page_offers_no_box_for_one(app, world):
    world.ready()
    first = world.sign()
    bmi = world.stored(world.bmi)
    with pytest.raises(ValidationError) as refused:
        chief_review.amend(
            world.chief(), first.id, "Typo", "总检结论", "", changes=[{"result_id": bmi.id, "value": "20"}]
        )
    assert "BMI" in str(refused.value.message) and "computed from other results" in str(refused.value.message)
    assert Report.select().count() == 1 and Report.get_by_id(first.id).status in ("signed", "published")
    assert world.stored(world.bmi).value_text == "27.5"

    http = signed_in(app, world.chief_user())
    page = http.get(f"/exam/review/reports/{first.id}/amend").get_data(as_text=True)
    weight = world.stored(world.weight)
    assert f'name="value-{weight.id}"' in page and f'name="value-{bmi.id}"' not in page
    # a forged box for it changes nothing either
    posted = http.post(
        f"/exam/review/reports/{first.id}/amend",
        data={"reason": "r", "client_note": "n", "summary": "总检结论", f"value-{bmi.id}": "20"},
    )
    assert posted.status_code == 303 and world.stored(world.bmi).value_text == "27.5"


# --- open conflicts hold the signature -------------------------------------------------------------------


@pytest.mark.both_dbs
def test_an_open_instrument_conflict_refuses_the_signature_with_its_item_and_values(app, world):
    world.ready()
    received = result_conflicts.receive_instrument_result(world.actor(), world.appointment.id, "ALT", "61")
    assert received.kind == result_conflicts.CONFLICT
    with pytest.raises(ValidationError) as refused:
        world.sign()
    message = str(refused.value.message)
    assert "waits for the station doctor" in message and "ALT (entered 52, instrument 61)" in message
    assert Report.select().count() == 0 and AuditEvent.select().where(AuditEvent.action == "report.signed").count() == 0

    data = report_review.review_data(world.appointment.id)
    assert not data.can_sign and [c.item.code for c in data.open_conflicts] == ["ALT"]

    result_conflicts.resolve_conflict(world.actor(), received.conflict.id, "keep")
    report = world.sign()
    assert report.status == "signed" and world.stored(world.alt).value_text == "52"


def test_the_review_page_and_queue_show_the_conflict_and_the_sign_action_refuses(app, world):
    world.ready()
    result_conflicts.receive_instrument_result(world.actor(), world.appointment.id, "ALT", "61")
    http = signed_in(app, world.chief_user())
    queue = http.get("/exam/review").get_data(as_text=True)
    assert "1 instrument value to settle" in queue
    page = http.get(f"/exam/review/{world.appointment.id}").get_data(as_text=True)
    assert "Instrument values to settle" in page and "entered 52, instrument 61" in page
    assert '<button type="submit" disabled aria-disabled="true">Sign the report</button>' in page
    refused = http.post(f"/exam/review/{world.appointment.id}/sign", data={"summary": "总检结论", "advice": ""})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "ALT (entered 52, instrument 61)" in body  # the report as a whole
    assert Report.select().count() == 0

    ResultConflict.update(choice="keep", open_result=None).execute()
    assert "instrument value to settle" not in http.get("/exam/review").get_data(as_text=True)
    signed = http.post(f"/exam/review/{world.appointment.id}/sign", data={"summary": "总检结论", "advice": ""})
    assert signed.status_code == 303 and Report.get().status in ("signed", "published")


# --- the amendment's note to the client --------------------------------------------------------------------


def pdf_text(report):
    body = report_pdf.file_for(Report.get_by_id(report.id)).read_bytes()
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


@pytest.mark.both_dbs
def test_the_amend_page_asks_for_a_note_to_the_client_and_prints_it_but_never_the_reason(app, world):
    world.ready()
    first = world.sign()
    http = signed_in(app, world.chief_user())
    form = http.get(f"/exam/review/reports/{first.id}/amend").get_data(as_text=True)
    assert 'name="client_note"' in form and "Note to the client" in form and "never shown to the client" in form
    data = {"reason": "Sample mix-up at the lab bench 3", "summary": "Summary corrected", "advice": ""}

    missing = http.post(f"/exam/review/reports/{first.id}/amend", data=dict(data, client_note="  "))
    assert missing.status_code == 422 and "This field is required" in missing.get_data(as_text=True)
    assert Report.select().count() == 1

    done = http.post(
        f"/exam/review/reports/{first.id}/amend", data=dict(data, client_note="Liver values re-tested and corrected.")
    )
    assert done.status_code == 303
    second = Report.get(Report.version == 2)
    assert second.amendment_reason == "Sample mix-up at the lab bench 3"
    assert second.amendment_note == "Liver values re-tested and corrected."
    _rows, document = report_rows(second, world)
    assert document["amendment"]["note"] == "Liver values re-tested and corrected."
    text = " ".join(pdf_text(second).split())
    assert "Liver values re-tested and corrected." in text and "bench 3" not in text and "mix-up" not in text
