"""Referrals: created from a follow-up, the status machine with its dates, the letter PDF, the report,
and the pages (transition forms with inline errors, audited letter download, 404 for others')."""

import datetime
import io

import pypdf
import pytest

from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.models import AuditEvent, Referral
from checkup.models.base import utcnow
from checkup.services.care import referrals
from tests import factories
from tests.followup_helpers import CareWorld


@pytest.fixture
def world(app):
    world = CareWorld()
    world.sign()
    return world


def pdf_text(data):
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def refer(world, user=None, level="A", **fields):
    values = {
        "target_kind": "internal",
        "department_id": world.chem.id,
        "hospital": "",
        "hospital_department": "",
        "reason": "Fasting glucose 25.1: endocrinology review.",
    }
    values.update(fields)
    return referrals.create(world.as_(user or world.anna), world.follow_ups()[level].id, **values)


def http_for(app, user):
    http = app.test_client()
    factories.sign_in_directly(http, user)
    return http


# --- creating ----------------------------------------------------------------------------------------


@pytest.mark.both_dbs
def test_a_referral_from_a_follow_up_to_a_department_or_a_hospital(world):
    internal = refer(world)
    assert (internal.status, internal.client_id, internal.department_id, internal.created_by_id) == (
        "proposed",
        world.client.id,
        world.chem.id,
        world.anna.id,
    )
    external = refer(
        world,
        target_kind="external",
        department_id=world.chem.id,
        hospital="Peking Union Hospital",
        hospital_department="Endocrinology",
    )
    assert (external.department_id, external.hospital, external.hospital_department) == (
        None,
        "Peking Union Hospital",
        "Endocrinology",
    )
    assert AuditEvent.select().where(AuditEvent.action == "referral.created").count() == 2


@pytest.mark.parametrize(
    "fields, errors",
    [
        ({"target_kind": "moon"}, {"target_kind"}),
        ({"department_id": 987654}, {"department"}),
        ({"target_kind": "external", "hospital": ""}, {"hospital"}),
        (
            {"target_kind": "external", "hospital": "H" * 201, "hospital_department": "D" * 101},
            {"hospital", "hospital_department"},
        ),
        ({"reason": "   "}, {"reason"}),
    ],
)
def test_bad_referrals_are_refused_and_nothing_is_written(world, fields, errors):
    with pytest.raises(ValidationError) as error:
        refer(world, **fields)
    assert set(error.value.field_errors) == errors
    assert Referral.select().count() == 0


def test_only_a_visible_open_follow_up_can_refer(world):
    with pytest.raises(NotFound):
        refer(world, user=world.bo)  # Anna's follow-up
    followups_a = world.follow_ups()["A"]
    from checkup.services.care import followup_actions

    followup_actions.close(world.as_(world.anna), followups_a.id, "advice_given", "Advised.")
    with pytest.raises(Conflict):
        refer(world)


# --- the status machine ------------------------------------------------------------------------------


@pytest.mark.both_dbs
def test_proposed_accepted_scheduled_completed_with_dates(world):
    referral = refer(world)
    anna = world.as_(world.anna)
    referrals.transition(anna, referral.id, "accept")
    when = datetime.datetime(2031, 5, 6, 9, 30)
    referrals.transition(anna, referral.id, "schedule", scheduled_for=when)
    done = referrals.transition(anna, referral.id, "complete", outcome="Diabetes confirmed; on metformin.")
    assert done.status == "completed" and done.outcome == "Diabetes confirmed; on metformin."
    assert done.accepted_at and done.scheduled_at and done.completed_at and done.declined_at is None
    # stored as UTC: 09:30 in Shanghai is 01:30 UTC
    assert done.scheduled_for == datetime.datetime(2031, 5, 6, 1, 30)
    actions = [
        e.action for e in AuditEvent.select().where(AuditEvent.action.startswith("referral.")).order_by(AuditEvent.id)
    ]
    assert actions == ["referral.created", "referral.accepted", "referral.scheduled", "referral.completed"]


@pytest.mark.both_dbs
def test_invalid_transitions_are_refused_with_a_clear_message(world):
    referral = refer(world)
    anna = world.as_(world.anna)
    with pytest.raises(Conflict) as error:
        referrals.transition(anna, referral.id, "complete", outcome="x")
    assert str(error.value.message) == "Only a scheduled referral can be marked completed; this one is Proposed."
    with pytest.raises(Conflict):
        referrals.transition(anna, referral.id, "schedule", scheduled_for=datetime.datetime(2031, 1, 1, 9))
    referrals.transition(anna, referral.id, "accept")
    with pytest.raises(ValidationError) as missing_date:
        referrals.transition(anna, referral.id, "schedule", scheduled_for=None)
    assert "scheduled_for" in missing_date.value.field_errors
    referrals.transition(anna, referral.id, "schedule", scheduled_for=datetime.datetime(2031, 1, 1, 9))
    with pytest.raises(ValidationError) as missing_outcome:
        referrals.transition(anna, referral.id, "complete", outcome=" ")
    assert "outcome" in missing_outcome.value.field_errors
    declined = referrals.transition(anna, referral.id, "decline", outcome="Client chose another hospital.")
    assert declined.status == "declined" and declined.declined_at is not None
    with pytest.raises(Conflict) as again:
        referrals.transition(anna, referral.id, "decline")
    assert "already Declined" in str(again.value.message)
    with pytest.raises(NotFound):
        referrals.transition(anna, referral.id, "teleport")


def test_decline_straight_from_proposed_and_from_accepted(world):
    anna = world.as_(world.anna)
    first, second = refer(world), refer(world)
    referrals.transition(anna, first.id, "decline")
    referrals.transition(anna, second.id, "accept")
    referrals.transition(anna, second.id, "decline")
    assert {r.status for r in Referral.select()} == {"declined"}


def test_who_sees_a_referral(world):
    from checkup.services.access.care_access import NoCareRelationship

    referral = refer(world)
    assert referrals.get(world.as_(world.chen), referral.id).id == referral.id  # heads chemistry
    stranger = factories.make_user("physician", email="stranger-doc@example.com")
    for outsider in (world.admin, world.bo, stranger):  # the admin administers, and sees no findings by default
        with pytest.raises(NoCareRelationship):
            referrals.get(world.as_(outsider), referral.id)
    with pytest.raises(NotFound):
        referrals.get(world.as_(world.chen), 987654)
    listed = referrals.referral_list(world.as_(world.bo), referrals.ListFilters())
    assert listed.total == 0


# --- the letter --------------------------------------------------------------------------------------


@pytest.mark.both_dbs
def test_the_letter_has_the_client_findings_reason_target_and_a_signature_line(world):
    referral = refer(
        world,
        target_kind="external",
        hospital="北京协和医院",
        hospital_department="内分泌科",
        reason="Fasting glucose critically high <b>today</b>.",
    )
    pdf, filename = referrals.letter_pdf(world.as_(world.anna), referral.id)
    text = pdf_text(pdf)
    for expected in (
        "王芳",
        "Female",
        "Referral letter",
        "北京协和医院",
        "内分泌科",
        "Fasting glucose",
        "空腹血糖",
        "25.1",
        "mmol/L",
        "3.9–6.1",
        "Critical high",
        "Fasting glucose critically high <b>today</b>.",
        "Anna",
        "Signature",
        "Checkup Portal Health Center",
        f"R{referral.id:06d}",
    ):
        assert expected in text, expected
    assert filename == f"referral-R{referral.id:06d}.pdf"
    [event] = AuditEvent.select().where(AuditEvent.action == "referral.letter_downloaded")
    assert event.user_id == world.anna.id and event.object_id == str(referral.id)


# --- the report --------------------------------------------------------------------------------------


@pytest.mark.both_dbs
def test_report_conversion_open_by_age_and_by_target(world):
    anna = world.as_(world.anna)
    made = [refer(world) for _ in range(5)] + [refer(world, target_kind="external", hospital="City Hospital")]
    for referral in made[:2]:
        referrals.transition(anna, referral.id, "accept")
        referrals.transition(anna, referral.id, "schedule", scheduled_for=datetime.datetime(2031, 1, 1, 9))
        referrals.transition(anna, referral.id, "complete", outcome="Seen.")
    referrals.transition(anna, made[2].id, "decline")
    now = utcnow()
    ages = {made[3].id: 3, made[4].id: 45, made[5].id: 120}
    for referral_id, days in ages.items():
        Referral.update(proposed_at=now - datetime.timedelta(days=days)).where(Referral.id == referral_id).execute()
    data = referrals.report()
    assert data["counts"] == {"proposed": 3, "accepted": 0, "scheduled": 0, "completed": 2, "declined": 1}
    assert (data["decided"], data["conversion"], data["total"]) == (3, 67, 6)
    assert [n for _label, n in data["by_age"]] == [1, 0, 1, 1]
    targets = {t["name"]: t for t in data["targets"]}
    chem = targets[f"{world.chem.name_en} 生化"]
    assert (chem["total"], chem["completed"], chem["declined"], chem["open"], chem["conversion"]) == (5, 2, 1, 2, 67)
    assert targets["City Hospital"]["open"] == 1 and targets["City Hospital"]["conversion"] is None


def test_an_empty_report(world):
    data = referrals.report()
    assert data["conversion"] is None and data["total"] == 0 and data["targets"] == []


# --- pages -------------------------------------------------------------------------------------------


@pytest.mark.both_dbs
def test_pages_list_detail_transitions_letter_and_report(app, world):
    http = http_for(app, world.anna)
    response = http.post(
        f"/care/followups/{world.follow_ups()['A'].id}/referrals",
        data={"target_kind": "internal", "department": str(world.chem.id), "reason": "Review."},
    )
    assert response.status_code == 303
    referral = Referral.get()
    assert response.headers["Location"].endswith(f"/care/referrals/{referral.id}")
    listing = http.get("/care/referrals?status=open").get_data(as_text=True)
    assert f"R{referral.id:06d}" in listing and "王芳" in listing
    fragment = http.get("/care/referrals?status=completed", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "王芳" not in fragment
    assert http.post(f"/care/referrals/{referral.id}/accept").status_code == 303
    bad = http.post(f"/care/referrals/{referral.id}/schedule", data={"scheduled_for": "tomorrow"})
    assert bad.status_code == 422 and "Enter the date and time" in bad.get_data(as_text=True)
    assert Referral.get_by_id(referral.id).status == "accepted"
    wrong = http.post(f"/care/referrals/{referral.id}/complete", data={"outcome": "Seen."})
    assert wrong.status_code == 409 and "Only a scheduled referral" in wrong.get_data(as_text=True)
    assert (
        http.post(f"/care/referrals/{referral.id}/schedule", data={"scheduled_for": "2031-03-04T10:15"}).status_code
        == 303
    )
    empty = http.post(f"/care/referrals/{referral.id}/complete", data={"outcome": ""})
    assert empty.status_code == 422 and "Record the outcome" in empty.get_data(as_text=True)
    assert http.post(f"/care/referrals/{referral.id}/complete", data={"outcome": "Seen."}).status_code == 303
    assert Referral.get_by_id(referral.id).status == "completed"
    letter = http.get(f"/care/referrals/{referral.id}/letter.pdf")
    assert letter.status_code == 200 and letter.mimetype == "application/pdf"
    assert "no-store" in letter.headers["Cache-Control"] and "王芳" in pdf_text(letter.data)
    report = http.get("/care/referrals/report").get_data(as_text=True)
    assert "100 %" in report


def test_another_counselors_referral_shows_nothing_but_the_break_the_glass_form(app, world):
    referral = refer(world)
    http = http_for(app, world.bo)

    for suffix in ("", "/letter.pdf"):
        theirs = http.get(f"/care/referrals/{referral.id}{suffix}")
        assert theirs.status_code == 403 and "No care relationship" in theirs.get_data(as_text=True)
        assert "Fasting glucose" not in theirs.get_data(as_text=True)
        assert http.get(f"/care/referrals/987654{suffix}").status_code == 404
    assert http.post(f"/care/referrals/{referral.id}/accept").status_code == 403
    assert http.get("/care/referrals/99999999999").status_code == 404
    assert Referral.get_by_id(referral.id).status == "proposed"
    assert AuditEvent.select().where(AuditEvent.action == "referral.letter_downloaded").count() == 0


def test_decline_from_the_page_keeps_the_note(app, world):
    referral = refer(world)
    anna = world.as_(world.anna)
    referrals.transition(anna, referral.id, "accept")
    referrals.transition(anna, referral.id, "schedule", scheduled_for=datetime.datetime(2031, 1, 1, 9))
    http = http_for(app, world.anna)
    html = http.get(f"/care/referrals/{referral.id}").get_data(as_text=True)
    assert 'id="outcome"' in html and 'id="decline-outcome"' in html  # completing and declining side by side
    response = http.post(f"/care/referrals/{referral.id}/decline", data={"decline-outcome": "Went elsewhere."})
    assert response.status_code == 303
    declined = Referral.get_by_id(referral.id)
    assert (declined.status, declined.outcome) == ("declined", "Went elsewhere.")
    assert "Mark declined" not in http.get(f"/care/referrals/{referral.id}").get_data(as_text=True)
