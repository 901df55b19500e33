"""Post-checkup care end to end, in Chromium against a whole portal in separate processes (issue 6, "Done when").

A physician enters a critical and a mildly raised result and signs the report → A and C follow-ups appear
for the counselor with the rule table's due times → the counselor logs two contact attempts, refers the
client to cardiology and records the referral completed → the client answers the satisfaction survey from
the email with a low score → a service-recovery follow-up appears → a campaign reaches only the consented
clients, and an unsubscribe through its link keeps the next one away → the re-enrollment job invites the
client whose last checkup was 11 months ago and not the one who booked already.

Runs on SQLite (jobs inline in the web process) and on PostgreSQL with a real rq worker on Redis, where the
report PDF, the survey, the campaign and the invitations are sent by the worker (the test waits for them).
The steps share the stack and run in order; each arranges clients of its own with unique names.
"""

import datetime
import re

from playwright.sync_api import expect

from tests.browser.care_journey_helpers import (
    JOB_TIMEOUT,
    JOB_TIMEOUT_MS,
    body_text,
    campaign_clients,
    center_time,
    checked_in_client,
    enter_station_results,
    lapsed_clients,
    pdf_text,
    review_and_sign,
    sign_in,
    sign_station_conclusions,
    subjects,
    unique,
    wait_for_mail,
)
from tests.browser.journey_stack import _bind_live_database, browser_context_args, stack  # noqa: F401 (fixtures)
from tests.browser.live_data import link_path

COUNSELOR, PHYSICIAN, CHIEF = "counselor@demo.test", "physician@demo.test", "chief@demo.test"
SURVEY_SUBJECT = "How was your checkup?"
OUTCOME = re.compile(r"^Outcome\b")  # a required field's label ends with an aria-hidden "*"


def _worklist_row(page, stack, level, department, name):
    """The counselor's worklist filtered (htmx) by level and department: the row of the client ``name``."""
    page.goto(stack.url + "/care/followups")
    expect(page.get_by_role("heading", level=1)).to_have_text("Follow-ups")
    page.get_by_label("Level").select_option(label=level)
    expect(page).to_have_url(re.compile(r"level="))
    if department:
        page.get_by_label("Department").select_option(label=department)
        expect(page).to_have_url(re.compile(r"department=\d+"))
    row = page.locator("#followup-results tbody tr").filter(has_text=name)
    expect(row).to_have_count(1)
    return row


def test_signed_report_opens_a_and_c_follow_ups_with_due_times(stack, new_context):
    booked = checked_in_client(stack)
    items = booked["items"]
    doctor = sign_in(new_context, stack, PHYSICIAN)
    enter_station_results(
        doctor,
        stack,
        "General examination",
        "GEN",
        booked["name"],
        {"Systolic blood pressure": "142", "Diastolic blood pressure": "78"},
        {f"flag-{items['SBP']}": "High"},
    )  # 142 against 90–139: mildly raised
    enter_station_results(
        doctor,
        stack,
        "Blood glucose",
        "LAB-GLU",
        booked["name"],
        {"Fasting plasma glucose": "27.5"},
        {f"flag-{items['FPG']}": "Critical high"},
    )
    sign_station_conclusions(doctor, stack, booked, ("GEN", "LAB-GLU"))
    chief = sign_in(new_context, stack, CHIEF)
    review_and_sign(chief, stack, booked, "Fasting glucose critically high; systolic pressure slightly raised.")

    with stack.database():
        from checkup.models import Finding, FollowUp, Report
        from checkup.services.catalog.care_rules import follow_up_rules

        report = Report.get(Report.appointment == booked["id"])
        assert report.status in ("signed", "published")
        rules = follow_up_rules()  # the admin's rule table (/admin/care)
        assert rules["critical"] == ("A", 24) and rules["mild"] == ("C", 30 * 24)
        levels = {f.item_id: f.level for f in Finding.select().where(Finding.report == report.id)}
        assert levels == {items["FPG"]: "A", items["SBP"]: "C"}
        follow_ups = {f.level: f for f in FollowUp.select().where(FollowUp.report == report.id)}
    assert sorted(follow_ups) == ["A", "C"]
    a, c = follow_ups["A"], follow_ups["C"]
    assert a.due_at == report.signed_at + datetime.timedelta(hours=24)
    assert c.due_at == report.signed_at + datetime.timedelta(days=30)
    assert a.kind == c.kind == "finding" and a.status == c.status == "open"
    stack.state.update(booked=booked, report_id=report.id, a_id=a.id)

    care = sign_in(new_context, stack, COUNSELOR)
    row = _worklist_row(care, stack, "A · urgent", "Blood glucose", booked["name"])
    expect(row).to_contain_text(center_time(stack, a.due_at))
    expect(row).to_contain_text("Open")
    expect(row.locator(".badge.danger")).to_have_text("A · urgent")  # not overdue: the only red badge
    row = _worklist_row(care, stack, "C · routine", "General examination", booked["name"])
    expect(row).to_contain_text(center_time(stack, c.due_at))


def test_counselor_logs_attempts_refers_to_cardiology_and_records_the_outcome(stack, new_context):
    booked, a_id = stack.state["booked"], stack.state["a_id"]
    care = sign_in(new_context, stack, COUNSELOR)
    _worklist_row(care, stack, "A · urgent", "Blood glucose", booked["name"]).get_by_role(
        "link", name=booked["name"]
    ).click()
    expect(care).to_have_url(f"{stack.url}/care/followups/{a_id}")
    expect(care.get_by_role("heading", level=1)).to_have_text(f"Follow-up of {booked['name']}")
    findings = care.locator("section", has=care.locator("#findings-heading"))
    expect(findings.locator("tbody tr")).to_have_count(1)  # the A level's findings only
    expect(findings.locator("tbody tr")).to_contain_text("Fasting plasma glucose")
    expect(findings.locator("tbody tr")).to_contain_text("27.5")
    expect(care.locator("section", has=care.locator("#client-heading"))).to_contain_text(booked["email"])

    log = care.locator("section", has=care.locator("#attempts-heading"))
    for outcome, note in (("No answer", "Rang twice, voicemail."), ("Reached", "Explained the glucose result.")):
        care.get_by_label("Channel").select_option(label="Phone")
        care.get_by_label(OUTCOME).first.select_option(label=outcome)
        care.get_by_label("Notes").fill(note)
        care.get_by_role("button", name="Record the attempt").click()
        expect(care.locator(".flash.success")).to_have_text("Contact attempt recorded.")
        expect(log.locator("tbody tr").filter(has_text=note)).to_contain_text(outcome)
    expect(log.locator("tbody tr")).to_have_count(2)

    care.get_by_label("External hospital").check()
    care.get_by_label("Hospital", exact=True).fill("市第一人民医院")
    care.get_by_label("Hospital department").fill("心内科")
    care.get_by_label("Reason").fill("Critical fasting glucose with raised blood pressure: cardiology assessment.")
    care.get_by_role("button", name="Propose the referral").click()
    expect(care).to_have_url(re.compile(re.escape(stack.url) + r"/care/referrals/\d+$"))
    referral_id = int(care.url.rsplit("/", 1)[1])
    expect(care.locator(".flash.success")).to_have_text("Referral proposed.")
    facts = care.locator("dl.facts")
    expect(facts).to_contain_text("External hospital: 市第一人民医院 · 心内科")
    status = facts.locator(".badge")
    expect(status).to_have_text("Proposed")

    care.get_by_role("button", name="Mark accepted").click()
    expect(status).to_have_text("Accepted")
    appointment_at = (datetime.date.today() + datetime.timedelta(days=5)).isoformat() + "T09:30"
    care.get_by_label("Specialist appointment").fill(appointment_at)
    care.get_by_role("button", name="Mark scheduled").click()
    expect(status).to_have_text("Scheduled")
    expect(facts).to_contain_text(appointment_at.replace("T", " "))
    care.get_by_label(OUTCOME).fill("Seen by cardiology: medication started, review in 3 months.")
    care.get_by_role("button", name="Mark completed").click()
    expect(care.locator(".flash.success")).to_have_text("Referral updated.")
    expect(status).to_have_text("Completed")
    expect(facts).to_contain_text("Seen by cardiology: medication started")
    expect(care.get_by_role("button", name="Mark declined")).to_have_count(0)

    letter = care.get_by_role("link", name="Download the referral letter (PDF)")
    response = care.request.get(stack.url + letter.get_attribute("href"))
    assert response.status == 200, response.status
    assert response.headers["content-type"].startswith("application/pdf"), response.headers
    assert "Fasting plasma glucose" in pdf_text(response.body())

    # the follow-up closes as referred; its page lists the completed referral
    care.get_by_role("link", name="Open the follow-up").click()
    expect(care.locator("section", has=care.locator("#referrals-heading"))).to_contain_text("Completed")
    care.get_by_label(OUTCOME).last.select_option(label="Referred")  # the closing form's
    care.get_by_label("Closing note").fill("Referred to cardiology; seen and treated.")
    care.get_by_role("button", name="Close", exact=True).click()
    expect(care.locator(".flash.success")).to_have_text("Follow-up closed.")

    with stack.database():
        from checkup.models import ContactAttempt, FollowUp, Referral

        referral = Referral.get_by_id(referral_id)
        follow_up = FollowUp.get_by_id(a_id)
        attempts = [
            a.outcome
            for a in ContactAttempt.select().where(ContactAttempt.follow_up == a_id).order_by(ContactAttempt.id)
        ]
    assert attempts == ["no_answer", "reached"] and follow_up.attempt_count == 2
    assert (referral.follow_up_id, referral.target_kind, referral.hospital_department) == (a_id, "external", "心内科")
    assert referral.status == "completed" and referral.outcome.startswith("Seen by cardiology")
    assert referral.accepted_at and referral.scheduled_for and referral.completed_at
    assert (follow_up.status, follow_up.outcome_code) == ("closed", "referred")


def test_low_survey_score_opens_a_service_recovery_follow_up(stack, new_context):
    booked = stack.state["booked"]
    survey_mail = wait_for_mail(stack, booked["email"], SURVEY_SUBJECT)  # sent once the report is published
    assert "Your checkup report is ready" in subjects(stack, booked["email"])
    path = link_path(body_text(survey_mail), r"/survey/[A-Za-z0-9_\-]+")

    visitor = new_context().new_page()  # the client, not signed in
    visitor.goto(stack.url + path)
    expect(visitor.get_by_role("heading", level=1)).to_have_text(SURVEY_SUBJECT)
    visitor.locator("#overall-2").check()
    visitor.locator("#front_desk-4").check()
    visitor.get_by_label("Anything you would like to tell us? (optional)").fill("Waited an hour for the ultrasound.")
    visitor.get_by_role("button", name="Send my answers").click()
    expect(visitor).to_have_url(stack.url + "/survey/thanks")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Thank you")
    visitor.goto(stack.url + path)  # single use
    expect(visitor.locator("main")).to_contain_text("This survey has already been answered.")

    with stack.database():
        from checkup.models import FollowUp, Survey

        survey = Survey.get(Survey.client == booked["client_id"])
        recovery = FollowUp.get(FollowUp.client == booked["client_id"], FollowUp.kind == "service")
    assert (survey.overall, survey.front_desk, survey.follow_up_id) == (2, 4, recovery.id)
    assert (recovery.level, recovery.status) == ("B", "open")
    assert recovery.due_at == survey.answered_at + datetime.timedelta(hours=72)

    care = sign_in(new_context, stack, COUNSELOR)
    row = _worklist_row(care, stack, "B · soon", None, booked["name"])
    expect(row).to_contain_text("Service recovery")
    expect(row).to_contain_text(center_time(stack, recovery.due_at))
    row.get_by_role("link", name=booked["name"]).click()
    expect(care).to_have_url(f"{stack.url}/care/followups/{recovery.id}")
    expect(care.locator("main")).to_contain_text("Low satisfaction score: Overall 2/5.")
    expect(care.locator("main")).to_contain_text("Waited an hour for the ultrasound.")


def _send_campaign(care, stack, name, tag, expected_count):
    """Compose a campaign for the clients tagged ``tag``, check the live count, send it, wait until sent."""
    care.goto(stack.url + "/care/campaigns")
    care.get_by_role("button", name="New campaign").click()
    expect(care.get_by_role("heading", level=1)).to_have_text("New campaign")
    care.get_by_label("Campaign name").fill(name)
    care.get_by_label("Kind").select_option(label="Lecture invitation")
    care.get_by_label("Email subject").fill(f"Lecture: healthy blood pressure ({name})")
    care.get_by_label("Email text").fill("Join our free lecture on blood pressure next Saturday at 10:00.")
    care.get_by_label("Tags (any of)").fill(tag)
    care.get_by_label("Tags (any of)").press("Tab")  # "change": htmx swaps in the audience count
    expect(care.locator("#audience-preview .audience-count")).to_have_text(str(expected_count))
    care.get_by_role("button", name="Save draft").click()
    expect(care.locator(".flash.success")).to_have_text(f"Campaign {name} saved as a draft.")
    campaign_url = care.url
    care.get_by_role("button", name="Send…").click()
    care.get_by_role("button", name=f"Send to {expected_count} clients").click()
    expect(care).to_have_url(campaign_url)
    expect(care.locator(".flash.success")).to_contain_text("Sending has started.")
    expect(care.locator("#campaign-status .badge")).to_have_text("Sent", timeout=JOB_TIMEOUT_MS)  # polls
    sent_row = care.locator("#campaign-status tr", has=care.get_by_role("rowheader", name="Sent", exact=True))
    expect(sent_row).to_contain_text(str(expected_count))
    return campaign_url, f"Lecture: healthy blood pressure ({name})"


def test_campaign_reaches_only_consented_clients_and_unsubscribe_holds(stack, new_context):
    tag = unique("lecture-")
    (yes_id, yes), (_no_id, no), (_other_id, other) = campaign_clients(stack, tag, [True, False, True])
    care = sign_in(new_context, stack, COUNSELOR)
    first_url, first_subject = _send_campaign(care, stack, unique("BP lecture "), tag, 2)

    message = wait_for_mail(stack, yes, first_subject)
    assert first_subject in subjects(stack, other)
    assert subjects(stack, no) == []  # no marketing consent: nothing at all
    assert "/preferences/" in message["List-Unsubscribe"]
    manage = link_path(body_text(message), r"/preferences/[A-Za-z0-9_.\-]+")

    visitor = new_context().new_page()
    visitor.goto(stack.url + manage)
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Email preferences")
    visitor.get_by_role("button", name="Unsubscribe from all marketing").click()
    expect(visitor.locator(".flash.success")).to_contain_text("You are unsubscribed from all marketing email.")
    with stack.database():
        from checkup.models.care import MARKETING_EMAIL
        from checkup.services.accounts import consents

        assert not consents.has_consent(yes_id, MARKETING_EMAIL)
    care.goto(first_url)
    counts = care.locator("#campaign-status tr")
    expect(counts.filter(has_text="Unsubscribed through the email link")).to_contain_text("1")

    _url, second_subject = _send_campaign(care, stack, unique("BP lecture II "), tag, 1)
    wait_for_mail(stack, other, second_subject)
    assert subjects(stack, yes) == [first_subject]
    assert subjects(stack, no) == []


def test_reenrollment_invites_the_lapsed_client_but_not_the_one_who_booked(stack, new_context):
    due, booked = lapsed_clients(stack)
    care = sign_in(new_context, stack, COUNSELOR)
    care.goto(stack.url + "/care/reenrollment")
    expect(care.get_by_role("heading", level=1)).to_have_text("Annual re-enrollment")
    due_table = care.locator("h2:has-text('Due now') + table")
    expect(due_table.locator("tr").filter(has_text=due["name"])).to_contain_text(due["last_day"].isoformat())
    expect(due_table.locator("tr").filter(has_text=booked["name"])).to_have_count(0)
    invited = care.locator(".funnel article").filter(has_text="Invited").locator(".big-number")
    invited_before = int(invited.inner_text())

    care.get_by_role("button", name="Send today's invitations now").click()
    expect(care.locator(".flash.success")).to_have_text("Invitations are being sent to every client who is due.")
    invitation = wait_for_mail(stack, due["email"])  # in Chinese: a client without an account gets zh
    assert due["last_day"].isoformat() in body_text(invitation)

    def invitation_recorded():
        with stack.database():
            from checkup.models import Message

            return (
                Message.select()
                .where(Message.client == due["id"], Message.kind == "reenrollment", Message.status == "sent")
                .exists()
            )

    stack.wait_for(invitation_recorded, timeout=JOB_TIMEOUT, message="the invitation's message row")
    assert subjects(stack, booked["email"]) == []
    with stack.database():
        from checkup.models import Message

        assert not Message.select().where(Message.client == booked["id"]).exists()
    care.reload()
    latest = care.locator("h2:has-text('Latest invitations') + table")
    expect(latest.locator("tr").filter(has_text=due["name"])).to_contain_text("Sent")
    expect(latest.locator("tr").filter(has_text=booked["name"])).to_have_count(0)
    assert int(invited.inner_text()) >= invited_before + 1
