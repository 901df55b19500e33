"""The chief physician's review (主检): a separate role; the queue of checkups with every result in and every
station signed, oldest first, with each chief physician's workload; the summary conclusion and advice pre-filled
from the advice library; signing through the report flow with the library's follow-up levels; the center's
setting on signing a checkup whose station one signed oneself."""

import datetime
from decimal import Decimal

import pytest

from checkup.core import clock
from checkup.models import (
    AdviceRule,
    Appointment,
    AppointmentItem,
    AuditEvent,
    ChiefReview,
    Finding,
    FollowUp,
    Report,
    StationConclusion,
)
from checkup.models.appointments import CHECKED_IN, COMPLETED
from checkup.services.access import care_access
from checkup.services.exam import chief_review, report_review, review_queue
from tests import factories
from tests.factories import sign_in_directly
from tests.report_helpers import ReportWorld

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def world(app):
    return ReportWorld()


def library():
    """The lines of the demo library this checkup needs: fatty liver (C), ALT mildly raised (C), the glucose
    bands (a critical value keeps the rule table's A)."""
    AdviceRule.create(
        item_code="US-LIVER",
        flag="A",
        match_text="脂肪肝|fatty liver",
        finding_en="Fatty liver",
        finding_zh="脂肪肝",
        advice_en="Stop drinking; recheck in 6 months.",
        advice_zh="戒酒，6个月后复查腹部彩超。",
        level="C",
    )
    AdviceRule.create(
        item_code="ALT",
        flag="H",
        value_max=Decimal("120"),
        finding_en="Mildly raised ALT",
        finding_zh="丙氨酸氨基转移酶轻度升高",
        advice_en="Recheck liver function in 1–3 months.",
        advice_zh="1–3个月后复查肝功能。",
        level="C",
    )
    AdviceRule.create(
        item_code="GLU",
        flag="H",
        value_min=Decimal("7.0"),
        finding_en="Fasting glucose in the diabetes range",
        finding_zh="空腹血糖达糖尿病诊断水平",
        advice_en="See endocrinology within 1–2 weeks.",
        advice_zh="请1–2周内到内分泌科就诊。",
        level="B",
    )


def test_a_physician_without_the_chief_role_cannot_review(app, world, client):
    world.all_results()
    world.sign_stations()
    sign_in_directly(client, world.physician)
    assert client.get("/exam/review").status_code == 403
    assert client.post(f"/exam/review/{world.appointment.id}/sign", data={"summary": "x"}).status_code == 403
    with pytest.raises(chief_review.PermissionDenied):
        chief_review.sign(world.actor(), world.appointment.id, "x", "")
    assert Report.select().count() == 0


def test_the_queue_waits_for_every_station_to_sign(world):
    world.all_results()
    assert review_queue.ready_for_review() == []  # results all in, stations not signed
    world.sign_stations()
    StationConclusion.update(status="draft").where(StationConclusion.department == world.glu.department_id).execute()
    assert review_queue.ready_for_review() == []  # one station's conclusion is still a draft
    StationConclusion.update(status="signed").execute()
    assert [a.id for a in review_queue.ready_for_review()] == [world.appointment.id]
    data = report_review.review_data(world.appointment.id)
    assert data.unsigned_stations == [] and data.can_sign


def test_the_review_page_prefills_a_numbered_summary_and_advice_from_the_library(app, world, client):
    library()
    world.all_results()
    world.sign_stations()
    chief = world.chief_user()
    sign_in_directly(client, chief)
    page = client.get(f"/exam/review/{world.appointment.id}", headers={"Accept-Language": "zh-CN"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "1. 空腹血糖达糖尿病诊断水平（空腹血糖 25.1 mmol/L ↑）" in html
    # most serious first: the critical value, then the clearly abnormal, then the mildly abnormal
    assert "2. 脂肪肝（肝脏超声：Fatty liver, mild）" in html
    assert "3. 丙氨酸氨基转移酶轻度升高（丙氨酸氨基转移酶 52 U/L ↑）" in html
    assert "1. 空腹血糖达糖尿病诊断水平：请1–2周内到内分泌科就诊。" in html
    assert "2. 脂肪肝：戒酒，6个月后复查腹部彩超。" in html
    assert html.count("李医生") >= 3  # each station's conclusion and who signed it


def test_signing_gives_the_findings_the_library_levels_and_the_chief_their_own(app, world):
    library()
    world.all_results()
    world.sign_stations()
    chief = world.actor(world.chief_user())
    report = chief_review.sign(
        chief,
        world.appointment.id,
        "1. 空腹血糖危急值",
        "请尽快就诊",
        observations=[("B", "右肾囊肿 2.1 cm，建议泌尿外科随诊"), ("", "左耳耵聍栓塞")],
    )
    assert report.status == "signed" and report.signed_by_id == world.chief_user().id
    assert Appointment.get_by_id(world.appointment.id).status == COMPLETED
    levels = {f.text.split(":")[0]: f.level for f in Finding.select().where(Finding.source == "auto")}
    assert levels == {
        "Fasting glucose 空腹血糖": "A",
        "Alanine aminotransferase 丙氨酸氨基转移酶": "C",
        "Liver ultrasound 肝脏超声": "C",
    }
    own = {f.text: f.level for f in Finding.select().where(Finding.source == "physician")}
    assert own == {"右肾囊肿 2.1 cm，建议泌尿外科随诊": "B", "左耳耵聍栓塞": ""}  # no level unless chosen
    follow_ups = {f.level: f for f in FollowUp.select()}
    assert sorted(follow_ups) == ["A", "B", "C"]
    assert (
        follow_ups["B"].summary == "右肾囊肿 2.1 cm，建议泌尿外科随诊"
    )  # the rule table's B for the text finding moved
    assert "Alanine" in follow_ups["C"].summary and "Liver" in follow_ups["C"].summary
    signed_at = Report.get_by_id(report.id).signed_at
    assert follow_ups["C"].due_at == signed_at + datetime.timedelta(days=30)
    assert AuditEvent.select().where(AuditEvent.action == "report.signed").count() == 1
    assert AuditEvent.select().where(AuditEvent.action == "report.levels_set").count() == 1
    assert ChiefReview.select().count() == 0


def test_the_chief_cannot_sign_before_every_station_signs(world):
    world.all_results()
    world.sign_stations()
    chief_review.save_draft(world.actor(world.chief_user()), world.appointment.id, "草稿", "")  # claimed
    StationConclusion.delete().where(StationConclusion.department == world.glu.department_id).execute()
    with pytest.raises(chief_review.ValidationError) as refused:
        chief_review.sign(world.actor(world.chief_user()), world.appointment.id, "Summary", "")
    assert "生化" in str(refused.value.message)
    # out of the queue again, it is no other chief physician's business (nor its stations' names)
    other = factories.make_user("chief", email="chief2@example.com", name="王主任")
    with pytest.raises(care_access.NoCareRelationship):
        chief_review.sign(world.actor(other), world.appointment.id, "Summary", "")
    assert (
        Report.select().where(Report.status != "draft").count() == 0
        and Appointment.get_by_id(world.appointment.id).status == CHECKED_IN
    )


def test_a_chief_who_signed_a_station_signs_the_report_only_where_the_center_allows_it(app, world, client):
    world.all_results()
    chief = factories.make_user("chief", "physician", email="both@example.com", name="钱主任")
    world.sign_stations(doctor=chief)
    http = app.test_client()
    sign_in_directly(http, chief)
    refused = http.post(f"/exam/review/{world.appointment.id}/sign", data={"summary": "总检结论", "advice": ""})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "does not let the same physician sign the report" in body
    assert Report.select().count() == 0

    app.config["CHIEF_MAY_SIGN_OWN_STATIONS"] = True
    done = http.post(f"/exam/review/{world.appointment.id}/sign", data={"summary": "总检结论", "advice": ""})
    assert done.status_code == 303 and Report.get().signed_by_id == chief.id


def test_a_draft_claims_the_checkup_and_the_workload_counts_it(app, world):
    world.all_results()
    world.sign_stations()
    first, second = world.chief_user(), factories.make_user("chief", email="chief2@example.com", name="王主任")
    factories.make_user("chief", email="gone@example.com", name="离职", is_active=False)
    chief_review.save_draft(world.actor(second), world.appointment.id, "草稿", "")
    assert review_queue.reviewers_of([world.appointment])[world.appointment.id].id == second.id
    load = {w.chief.name: (w.signed_today, w.in_progress) for w in review_queue.chief_workload()}
    assert load == {"郑主任": (0, 0), "王主任": (0, 1)}

    chief_review.sign(world.actor(first), world.appointment.id, "总检结论", "")
    load = {w.chief.name: (w.signed_today, w.in_progress) for w in review_queue.chief_workload()}
    assert load == {"郑主任": (1, 0), "王主任": (0, 0)}
    yesterday = clock.today() - datetime.timedelta(days=1)
    assert {w.chief.name: w.signed_today for w in review_queue.chief_workload(yesterday)} == {"郑主任": 0, "王主任": 0}


def test_an_amendment_keeps_the_levels(app, world):
    library()
    world.all_results()
    world.sign_stations()
    chief = world.actor(world.chief_user())
    first = chief_review.sign(chief, world.appointment.id, "总检结论", "", observations=[("B", "右肾囊肿")])
    amended = chief_review.amend(
        chief, first.id, "补充小结", "总检结论（修订）", "", observations=[("B", "右肾囊肿"), ("C", "颈椎退变")]
    )
    assert amended.version == 2
    levels = {
        f.text: f.level for f in Finding.select().where(Finding.report == amended.id, Finding.source == "physician")
    }
    assert levels == {"右肾囊肿": "B", "颈椎退变": "C"}
    open_levels = sorted(f.level for f in FollowUp.select().where(FollowUp.status == "open"))
    assert open_levels == ["A", "B", "C"]  # carried over, never doubled
    assert {f.report_id for f in FollowUp.select()} == {amended.id}


class Floor:
    """Checked-in appointments of today with every item resulted and every station signed."""

    def __init__(self, world):
        self.world = world
        self.count = 0

    def ready(self, day=None):
        self.count += 1
        client = factories.make_client(name=f"主检{self.count}", email=f"ready{self.count}@example.com")
        appointment = Appointment.create(
            exam_code=f"Q{self.count:06d}",
            client=client,
            slot=self.world.center.slot,
            day=day or self.world.center.day,
            package=self.world.package,
            status=CHECKED_IN,
            total_price=Decimal("300"),
            self_amount=Decimal("300"),
        )
        for item in (self.world.wbc, self.world.glu, self.world.alt, self.world.liver):
            AppointmentItem.create(appointment=appointment, item=item, price=Decimal("10"))
        self.world.result(self.world.wbc, 6.0, appointment=appointment)
        self.world.result(self.world.glu, 6.5, flag="H", high=6.1, appointment=appointment)
        self.world.result(self.world.alt, 30, appointment=appointment)
        self.world.result(self.world.liver, value_text="脂肪肝", flag="A", appointment=appointment)
        self.world.sign_stations(appointment=appointment)
        return appointment


def test_the_queue_page_runs_a_fixed_number_of_queries_oldest_first(app, world, client, count_queries):
    floor = Floor(world)
    sign_in_directly(client, world.chief_user())
    older = floor.ready(day=world.center.day - datetime.timedelta(days=1))
    floor.ready()
    with count_queries() as few:
        assert client.get("/exam/review").status_code == 200
    for _ in range(review_queue.REVIEW_PAGE_SIZE + 3):
        floor.ready()
    chief_review.save_draft(world.actor(world.chief_user()), older.id, "草稿", "")
    with count_queries() as many:
        page = client.get("/exam/review")
    html = page.get_data(as_text=True)
    assert many.count == few.count
    assert html.index("Q000001") < html.index("Q000002")  # oldest first
    assert "郑主任" in html and "Chief physicians today" in html
    assert html.count("/exam/review/") - html.count("/exam/review/reports/") >= review_queue.REVIEW_PAGE_SIZE


def test_the_review_page_runs_a_fixed_number_of_queries(app, world, client, count_queries):
    library()
    floor = Floor(world)
    sign_in_directly(client, world.chief_user())
    small = floor.ready()
    with count_queries() as few:
        assert client.get(f"/exam/review/{small.id}").status_code == 200
    big = floor.ready()
    department = factories.make_department("GEN", name_zh="一般检查")
    for n in range(12):
        item = factories.make_item(f"X{n}", department, unit="mmol/L")
        AppointmentItem.create(appointment=big, item=item, price=Decimal("1"))
        world.result(item, 9 + n, flag="H", high=5, appointment=big)
    world.sign_stations(appointment=big)  # the new station; the others are signed already
    with count_queries() as many:
        page = client.get(f"/exam/review/{big.id}")
    assert page.status_code == 200 and many.count == few.count
    assert "X11" in page.get_data(as_text=True)


def _library_levels(alt, liver):
    AdviceRule.create(
        item_code="ALT",
        flag="H",
        finding_en="Raised ALT",
        finding_zh="转氨酶升高",
        advice_en="",
        advice_zh="",
        level=alt,
    )
    AdviceRule.create(
        item_code="US-LIVER",
        flag="A",
        match_text="fatty liver",
        finding_en="Fatty liver",
        finding_zh="脂肪肝",
        advice_en="",
        advice_zh="",
        level=liver,
    )


def _assigned_ids():
    return sorted(int(e.object_id) for e in AuditEvent.select().where(AuditEvent.action == "followup.assigned"))


def test_each_follow_up_opens_once_at_the_library_level_and_every_audit_row_names_one_that_exists(app, world):
    """The rule table would open A (critical glucose), B (liver: significant) and C (ALT: mild); the library
    puts both the ALT and the liver at B: only A and B open — no C opened and deleted a moment later."""
    _library_levels(alt="B", liver="B")
    factories.make_user("counselor", email="care@example.com")
    world.all_results()
    world.sign_stations()
    report = chief_review.sign(world.actor(world.chief_user()), world.appointment.id, "总检结论", "")
    follow_ups = {f.level: f for f in FollowUp.select().where(FollowUp.report == report.id)}
    assert sorted(follow_ups) == ["A", "B"]
    assert "Alanine" in follow_ups["B"].summary and "Liver" in follow_ups["B"].summary
    assert "Fasting glucose" in follow_ups["A"].summary  # a critical value keeps the rule table's A
    signed_at = Report.get_by_id(report.id).signed_at
    assert follow_ups["A"].due_at == signed_at + datetime.timedelta(hours=24)
    assert follow_ups["B"].due_at == signed_at + datetime.timedelta(days=7)
    assert _assigned_ids() == sorted(f.id for f in follow_ups.values())  # one audit row each, all alive
    levels = {f.item_id: f.level for f in Finding.select().where(Finding.report == report.id)}
    assert levels == {world.glu.id: "A", world.alt.id: "B", world.liver.id: "B"}


def test_a_follow_up_moved_to_another_level_takes_the_department_of_its_findings(app, world):
    """The library swaps the rule table's levels (ALT to B, the liver to C): the B follow-up is the
    chemistry's (ALT), the C one the ultrasound's — not a follow-up opened for the liver and relabelled."""
    _library_levels(alt="B", liver="C")
    factories.make_user("counselor", email="care@example.com")
    world.all_results()
    world.sign_stations()
    report = chief_review.sign(world.actor(world.chief_user()), world.appointment.id, "总检结论", "")
    follow_ups = {f.level: f for f in FollowUp.select().where(FollowUp.report == report.id)}
    assert sorted(follow_ups) == ["A", "B", "C"]
    assert follow_ups["B"].department_id == world.alt.department_id
    assert follow_ups["C"].department_id == world.liver.department_id
    assert _assigned_ids() == sorted(f.id for f in follow_ups.values())


def test_signing_reads_the_review_data_once(app, world, count_queries):
    world.all_results()
    world.sign_stations()
    with count_queries() as signing:
        chief_review.sign(world.actor(world.chief_user()), world.appointment.id, "总检结论", "")
    conflict_reads = [q for q in signing.queries if 'FROM "result_conflict"' in q]
    assert len(conflict_reads) == 1, conflict_reads  # review_data's last query, once per sign


def test_the_form_starts_from_the_library_until_something_is_written_then_from_the_stored_text(app, world):
    library()
    world.all_results()
    world.sign_stations()
    data = report_review.review_data(world.appointment.id)
    suggested = report_review.form_text(data, chinese=True)
    assert suggested.suggested and suggested.summary.startswith("1. 空腹血糖达糖尿病诊断水平")
    assert "戒酒" in suggested.advice and suggested.observations == []
    assert report_review.form_text(data, chinese=False).summary.startswith("1. Fasting glucose in the diabetes range")

    chief = world.actor(world.chief_user())
    chief_review.save_draft(chief, world.appointment.id, "", "")  # an empty draft: still the library's text
    assert report_review.form_text(report_review.review_data(world.appointment.id), chinese=True).suggested
    chief_review.save_draft(chief, world.appointment.id, "我的结论", "")
    stored = report_review.form_text(report_review.review_data(world.appointment.id), chinese=True)
    assert (stored.suggested, stored.summary, stored.advice) == (False, "我的结论", "")

    report = chief_review.sign(chief, world.appointment.id, "总检结论", "建议", observations=[("B", "右肾囊肿")])
    signed = report_review.form_text(report_review.review_data(world.appointment.id), chinese=False)
    assert (signed.summary, signed.advice, signed.observations) == ("总检结论", "建议", [("B", "右肾囊肿")])
    assert report.status == "signed"
