"""Demo post-checkup care: consents, follow-ups worked on (attempts, assignments, closings), referrals in
every status, survey answers (one low score with its service-recovery follow-up), a consultation request,
one sent campaign and a few lapsed clients due for re-enrollment."""

import datetime
import json
import random

from checkup.core import clock
from checkup.models import (
    Appointment,
    Campaign,
    Client,
    Consent,
    Consultation,
    ContactAttempt,
    Department,
    FollowUp,
    Message,
    Package,
    Referral,
    Report,
    Setting,
    Slot,
    StaffDepartment,
    Survey,
    User,
)
from checkup.models.appointments import COMPLETED
from checkup.models.base import db, utcnow
from checkup.models.care import HEALTH_TARGETING, MARKETING_EMAIL, SERVICE_REMINDERS, SURVEY_AREAS
from checkup.services.care import renewals

CARE_SEED = 20261130
ATTEMPT_NOTES = {
    "no_answer": "Called twice, no answer; will try again tomorrow morning.",
    "reached": "Explained the results; client will book a recheck of blood lipids in three months.",
    "wrong_number": "The number belongs to someone else; asked HR for the current one.",
}
SURVEY_COMMENTS = [
    "Friendly nurses and a quick morning.",
    "The report was clear and arrived fast.",
    "Waited 40 minutes at ultrasound, nobody told us why.",
    "检查流程顺畅，医生解释得很耐心。",
    "抽血排队时间有点长。",
    "",
]
# lapsed individual clients: last (and only) checkup about a year ago, no booking since
LAPSED = [
    ("钱丽", "female", datetime.date(1979, 2, 11), "qian.li@example.com", 350),
    ("孙建华", "male", datetime.date(1966, 8, 3), "sun.jianhua@example.com", 345),
    ("马晓峰", "male", datetime.date(1990, 12, 24), "ma.xiaofeng@example.com", 380),
]


def _consents(clients, rng, at):
    rows = []
    for client in clients:
        if not client.email:
            continue
        answers = {
            SERVICE_REMINDERS: rng.random() < 0.85,
            MARKETING_EMAIL: rng.random() < 0.5,
            HEALTH_TARGETING: rng.random() < 0.2,
        }
        for purpose, granted in answers.items():
            if granted:
                rows.append(
                    {"client": client.id, "purpose": purpose, "granted": True, "at": at, "source": "registration"}
                )
    Consent.insert_many(rows).execute()


def _work_follow_ups(counselor, rng, now):
    open_ones = list(FollowUp.select().where(FollowUp.status == "open").order_by(FollowUp.due_at))
    for index, follow_up in enumerate(open_ones):
        if index % 3 == 2:  # a third waits in the unassigned pool
            FollowUp.update(assignee=None).where(FollowUp.id == follow_up.id).execute()
            continue
        FollowUp.update(assignee=counselor.id).where(FollowUp.id == follow_up.id).execute()
        if index % 2 == 0:
            outcomes = ["no_answer"] if index % 4 == 0 else ["no_answer", "reached"]
            for n, outcome in enumerate(outcomes):
                ContactAttempt.create(
                    follow_up=follow_up,
                    channel="phone",
                    outcome=outcome,
                    notes=ATTEMPT_NOTES[outcome],
                    by=counselor,
                    at=now - datetime.timedelta(days=3 - n, hours=rng.randint(1, 5)),
                )
            FollowUp.update(attempt_count=len(outcomes)).where(FollowUp.id == follow_up.id).execute()
    FollowUp.update(outcome_code="advice_given", closed_by=counselor.id).where(
        FollowUp.status == "closed", FollowUp.outcome_code == ""
    ).execute()
    return open_ones


def _referrals(follow_ups, counselor, now):
    cardiology = Department.get_or_none(Department.code == "INT")
    plans = [
        ("proposed", {}),
        ("accepted", {"accepted_at": 5}),
        ("scheduled", {"accepted_at": 9, "scheduled_at": 8, "scheduled_for": -4}),
        ("completed", {"accepted_at": 30, "scheduled_at": 28, "scheduled_for": 20, "completed_at": 19}),
        ("declined", {"declined_at": 12}),
    ]
    targets = [
        ("external", "上海市第六人民医院", "心内科"),
        ("internal", "", ""),
        ("external", "复旦大学附属中山医院", "内分泌科"),
        ("external", "上海市第一人民医院", "消化内科"),
        ("internal", "", ""),
    ]
    for (status, days), (kind, hospital, hospital_department), follow_up in zip(plans, targets, follow_ups):
        stamp = {key: now - datetime.timedelta(days=value) for key, value in days.items()}
        Referral.create(
            follow_up=follow_up,
            client=follow_up.client_id,
            target_kind=kind,
            department=cardiology if kind == "internal" else None,
            hospital=hospital,
            hospital_department=hospital_department,
            reason=follow_up.summary[:300] or "Abnormal finding",
            status=status,
            created_by=counselor,
            outcome="Seen by the specialist; no treatment needed, recheck in 6 months."
            if status == "completed"
            else ("Client prefers to wait for next year's checkup." if status == "declined" else ""),
            proposed_at=now - datetime.timedelta(days=35),
            updated_at=now,
            **stamp,
        )


def _surveys(rng, now, counselor):
    reports = list(Report.select().where(Report.status == "published").order_by(Report.id.desc()).limit(24))
    low_done = False
    for index, report in enumerate(reports):
        client_id = report.appointment.client_id
        if index % 4 == 3:
            Survey.create(
                report=report,
                client=client_id,
                sent_at=now - datetime.timedelta(days=20),
                expires_at=now + datetime.timedelta(days=10),
            )
            continue
        low = not low_done and index == 2
        scores = {
            area: (2 if low and area in ("stations", "front_desk") else rng.choice([4, 4, 5, 5, 3]))
            for area in SURVEY_AREAS
        }
        answered = now - datetime.timedelta(days=rng.randint(2, 300))
        survey = Survey.create(
            report=report,
            client=client_id,
            sent_at=answered - datetime.timedelta(days=1),
            expires_at=answered + datetime.timedelta(days=29),
            answered_at=answered,
            overall=2 if low else rng.choice([4, 5, 5, 4, 3]),
            comment=SURVEY_COMMENTS[2] if low else rng.choice(SURVEY_COMMENTS),
            **scores,
        )
        if low:
            low_done = True
            recovery = FollowUp.create(
                client=client_id,
                report=report,
                level="B",
                kind="service",
                assignee=counselor,
                due_at=answered + datetime.timedelta(days=3),
                summary="Service recovery: low survey score (front desk 2, stations 2). "
                '"Waited 40 minutes at ultrasound, nobody told us why."',
            )
            Survey.update(follow_up=recovery.id).where(Survey.id == survey.id).execute()


def _campaign(counselor, now):
    recipients = list(
        Client.select()
        .where(
            Client.id.in_(
                Consent.select(Consent.client).where(Consent.purpose == MARKETING_EMAIL, Consent.granted == True)
            ),
            Client.email != "",
        )
        .order_by(Client.id)
    )
    sent_at = now - datetime.timedelta(days=12)
    campaign = Campaign.create(
        name="Autumn lecture: blood lipids and your heart",
        kind="lecture",
        subject="Free health lecture: blood lipids and your heart (Saturday 10:00)",
        body="Our cardiologist explains what your lipid results mean and how food and exercise change them. "
        "Saturday 10:00 in the center's lecture hall; free for our clients and one companion.",
        segment_json=json.dumps({"age_min": 35}),
        status="sent",
        target_count=len(recipients),
        sent_count=len(recipients),
        created_by=counselor,
        created_at=sent_at - datetime.timedelta(days=1),
        queued_at=sent_at,
        finished_at=sent_at + datetime.timedelta(minutes=2),
    )
    # as real sends go: one address refused for good, one the mail server never took (given up)
    outcome = (
        {
            recipients[-1].id: ("bounced", "550 5.1.1 Mailbox unavailable"),
            recipients[-2].id: ("failed", "Connection refused (gave up after 5 attempts)"),
        }
        if len(recipients) > 4
        else {}
    )
    Message.insert_many(
        [
            {
                "client": c.id,
                "campaign": campaign.id,
                "kind": "campaign",
                "dedupe_key": f"campaign:{campaign.id}:{c.id}",
                "email": c.email,
                "subject": campaign.subject,
                "status": outcome.get(c.id, ("sent",))[0],
                "error": outcome.get(c.id, ("", ""))[1],
                "attempts": 5 if c.id in outcome else 1,
                "created_at": sent_at,
                "sent_at": None if c.id in outcome else sent_at,
            }
            for c in recipients
        ]
    ).execute()
    Campaign.update(
        sent_count=len(recipients) - len(outcome),
        bounced_count=sum(status == "bounced" for status, _e in outcome.values()),
    ).where(Campaign.id == campaign.id).execute()


def _staff_recorded_consents(lapsed, now):
    """Answers clients gave the center's staff: a signed paper form at the desk, a withdrawal by phone."""
    scheduler = User.get(User.email == "scheduler@demo.test")
    counselor = User.get(User.email == "counselor@demo.test")
    Consent.create(
        client=lapsed[0],
        purpose=MARKETING_EMAIL,
        granted=True,
        source="staff_paper",
        recorded_by=scheduler,
        at=now - datetime.timedelta(days=30),
    )
    Consent.create(
        client=lapsed[1],
        purpose=SERVICE_REMINDERS,
        granted=False,
        source="staff_phone",
        recorded_by=counselor,
        at=now - datetime.timedelta(days=3),
    )


def _lapsed_clients(today, rng):
    package = Package.get(Package.code == "COMP")
    made = []
    for name, sex, born, email, days_ago in LAPSED:
        client = Client.create(
            name=name, sex=sex, birth_date=born, email=email, phone=f"1590015{len(made):04d}", tags="lapsed"
        )
        day = today - datetime.timedelta(days=days_ago)
        while day.weekday() >= 5:
            day -= datetime.timedelta(days=1)
        slot = Slot.get_or_none(Slot.day == day, Slot.start_time == datetime.time(8)) or Slot.create(
            day=day, start_time=datetime.time(8), end_time=datetime.time(9), capacity=20
        )
        Appointment.create(
            exam_code=f"{day:%y%m%d}L{len(made):03d}",
            client=client,
            slot=slot,
            day=day,
            package=package,
            status=COMPLETED,
            total_price=package.price,
            self_amount=package.price,
            created_at=utcnow() - datetime.timedelta(days=days_ago + 10),
        )
        Consent.create(
            client=client,
            purpose=SERVICE_REMINDERS,
            granted=True,
            source="registration",
            at=utcnow() - datetime.timedelta(days=days_ago),
        )
        made.append(client)
    return made


def seed_care():
    """Runs after the history and the groups; returns how many follow-ups are open."""
    rng = random.Random(CARE_SEED)
    now = utcnow()
    counselor = User.get(User.email == "counselor@demo.test")
    physician = User.get(User.email == "physician@demo.test")
    with db.atomic():
        Setting.create(key="followup.assignment", value="round_robin")
        internal = Department.get_or_none(Department.code == "INT")
        if internal is not None:
            StaffDepartment.create(user=counselor, department=internal, is_head=True)
        _consents(list(Client.select().order_by(Client.id)), rng, now - datetime.timedelta(days=200))
        open_ones = _work_follow_ups(counselor, rng, now)
        _referrals(open_ones[:5], counselor, now)
        _surveys(rng, now, counselor)
        _campaign(counselor, now)
        demo_client = Client.get(Client.email == "client@demo.test")
        latest = (
            Report.select()
            .join(Appointment)
            .where(Appointment.client == demo_client.id, Report.status == "published")
            .order_by(Report.id.desc())
            .first()
        )
        Consultation.create(
            client=demo_client,
            report=latest,
            mode="phone",
            preferred_times="Weekday evenings after 18:00",
            status="scheduled",
            question="Should I worry about the mild fatty liver? What should I change?",
            physician=physician,
            handled_by=counselor,
            scheduled_at=now + datetime.timedelta(days=2, hours=3),
        )
        _staff_recorded_consents(_lapsed_clients(clock.today(), rng), now)
    renewals.create_due_tasks()
    return len(open_ones)
