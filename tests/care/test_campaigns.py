"""Campaigns: segments (a health criterion only with the client's consent), only consented clients receive it,
sending is idempotent and honours a withdrawal between batches, the counts, and a real rq worker."""

import datetime
import socket

import pytest

from checkup.core import audit, clock, tasks
from checkup.core.audit import Actor
from checkup.core.errors import Conflict, ValidationError
from checkup.models import AuditEvent, Campaign, Message
from checkup.models.base import utcnow
from checkup.models.care import HEALTH_TARGETING, MARKETING_EMAIL
from checkup.services.accounts import consents
from checkup.services.care import campaign_segments, campaigns
from tests import factories
from tests.campaign_helpers import checkup, consenting_client, signed_report
from tests.task_helpers import redis_app, run_worker  # noqa: F401  (the fixture)

pytestmark = pytest.mark.both_dbs

MESSAGE = {
    "name": "Spring newsletter",
    "kind": "newsletter",
    "subject": "Spring health tips",
    "body": "Drink water and walk daily.",
}


def audience(**segment):
    return sorted(c.name for c in campaign_segments.audience(campaign_segments.clean_segment(segment)))


def born_aged(years):
    today = clock.today()
    return today.replace(year=today.year - years) - datetime.timedelta(days=1)


def draft(actor, **segment):
    return campaigns.save_draft(actor, MESSAGE, segment)


@pytest.fixture
def counselor(app):
    return Actor(factories.make_user("counselor", email="care@example.com"), "127.0.0.1")


# --- segments ---------------------------------------------------------------------------------------


def test_segment_by_age_sex_organization_and_tier(app):
    acme = factories.make_organization("Acme")
    consenting_client("A30f", birth_date=born_aged(30), sex="female", organization=acme, value_tier="vip")
    consenting_client("B45m", birth_date=born_aged(45), sex="male", organization=acme, value_tier="general")
    consenting_client("C60f", birth_date=born_aged(60), sex="female", value_tier="important")
    assert audience() == ["A30f", "B45m", "C60f"]
    assert audience(age_min=40) == ["B45m", "C60f"]
    assert audience(age_min=30, age_max=45) == ["A30f", "B45m"]
    assert audience(age_max=29) == []
    assert audience(sex="female") == ["A30f", "C60f"]
    assert audience(organization_id=acme.id) == ["A30f", "B45m"]
    assert audience(value_tiers=["vip", "important"]) == ["A30f", "C60f"]
    assert audience(sex="male", organization_id=acme.id, age_min=40) == ["B45m"]


def test_segment_by_tags_matches_any_of_them_as_whole_tags(app):
    consenting_client("Diabetic", tags="diabetes, annual")
    consenting_client("Hypertensive", tags="hypertension")
    consenting_client("Prediabetic", tags="prediabetes")
    consenting_client("Untagged")
    assert audience(tags="diabetes") == ["Diabetic"]
    assert audience(tags="Hypertension, diabetes") == ["Diabetic", "Hypertensive"]
    assert audience(tags="100%") == []


def test_segment_by_last_completed_checkup(app):
    old = consenting_client("Old")
    recent = consenting_client("Recent")
    consenting_client("Never")
    cancelled_only = consenting_client("CancelledOnly")
    checkup(old, datetime.date(2022, 3, 1))
    checkup(recent, datetime.date(2022, 3, 1))
    checkup(recent, datetime.date(2024, 6, 1))
    checkup(cancelled_only, datetime.date(2024, 6, 1), status="cancelled")
    assert audience(last_exam="before", last_exam_date="2024-01-01") == ["Old"]
    assert audience(last_exam="after", last_exam_date="2024-01-01") == ["Recent"]
    assert audience(last_exam="none") == ["CancelledOnly", "Never"]


def test_a_health_criterion_needs_the_health_targeting_consent(app):
    item = factories.make_item("ALT")
    other = factories.make_item("GLU")
    agreed = consenting_client("Agreed", purposes=(MARKETING_EMAIL, HEALTH_TARGETING))
    marketing_only = consenting_client("MarketingOnly", purposes=(MARKETING_EMAIL,))
    health_only = consenting_client("HealthOnly", purposes=(HEALTH_TARGETING,))
    moved_on = consenting_client("MovedOn", purposes=(MARKETING_EMAIL, HEALTH_TARGETING))
    draft_only = consenting_client("DraftOnly", purposes=(MARKETING_EMAIL, HEALTH_TARGETING))
    for person in (agreed, marketing_only, health_only):
        signed_report(person, datetime.date(2024, 5, 1), [item])
    signed_report(moved_on, datetime.date(2023, 5, 1), [item])
    signed_report(moved_on, datetime.date(2024, 5, 1), [other])  # the latest report no longer shows it
    signed_report(draft_only, datetime.date(2024, 5, 1), [item], status="draft")
    assert audience(finding_item_id=item.id) == ["Agreed"]
    assert audience(finding_item_id=other.id) == ["MovedOn"]
    consents.record_changes(audit.SYSTEM, agreed.id, {HEALTH_TARGETING: False}, "privacy_page")
    assert audience(finding_item_id=item.id) == []
    assert "Agreed" in audience()  # without a health criterion marketing consent is enough


def test_only_clients_with_marketing_consent_in_force_and_an_email_are_reached(app):
    consenting_client("Yes")
    consenting_client("NoEmail", email="")
    consenting_client("NeverAsked", purposes=())
    withdrawn = consenting_client("Withdrawn")
    consents.record_changes(audit.SYSTEM, withdrawn.id, {MARKETING_EMAIL: False}, "privacy_page")
    consenting_client("RemindersOnly", purposes=("service_reminders",))
    assert audience() == ["Yes"]
    count, names = campaign_segments.preview(campaign_segments.clean_segment({}))
    assert (count, names) == (1, ["Y**"])


def test_segment_validation_names_the_fields(app):
    with pytest.raises(ValidationError) as caught:
        campaign_segments.clean_segment(
            {
                "age_min": "50",
                "age_max": "40",
                "sex": "other",
                "organization_id": "999",
                "value_tiers": ["gold"],
                "last_exam": "before",
                "finding_item_id": "abc",
                "tags": ",".join(f"t{i}" for i in range(30)),
            }
        )
    assert set(caught.value.field_errors) == {
        "age_max",
        "sex",
        "organization_id",
        "value_tiers",
        "last_exam_date",
        "finding_item_id",
        "tags",
    }
    with pytest.raises(ValidationError) as caught:
        campaign_segments.clean_segment(
            {"age_min": "99999999999", "last_exam": "after", "last_exam_date": "2024-13-01"}
        )
    assert set(caught.value.field_errors) == {"age_min", "last_exam_date"}
    assert campaign_segments.load("{not json") is None
    assert campaign_segments.audience(None).count() == 0


# --- composing ----------------------------------------------------------------------------------------


def test_a_draft_is_validated_saved_and_audited(app, counselor):
    with pytest.raises(ValidationError) as caught:
        campaigns.save_draft(counselor, {"name": "", "kind": "spam", "subject": "a\nb", "body": ""}, {"age_min": -1})
    assert set(caught.value.field_errors) == {"name", "kind", "subject", "body", "age_min"}
    assert Campaign.select().count() == 0
    campaign = draft(counselor, sex="female", tags="annual")
    assert (campaign.status, campaign.created_by_id) == ("draft", counselor.user_id)
    assert campaign_segments.load(campaign.segment_json)["tags"] == ["annual"]
    event = AuditEvent.get(AuditEvent.action == "campaign.created")
    assert event.object_id == str(campaign.id) and event.user_id == counselor.user_id


def test_sending_needs_a_draft_with_an_audience(app, counselor):
    empty = draft(counselor, sex="male")
    with pytest.raises(ValidationError):
        campaigns.queue_send(counselor, empty.id)
    assert Campaign.get_by_id(empty.id).status == "draft"
    consenting_client("Reader")
    campaign = draft(counselor)
    sent = campaigns.queue_send(counselor, campaign.id)  # no Redis: the job runs inline
    assert (sent.status, sent.target_count, sent.sent_count) == ("sent", 1, 1)
    with pytest.raises(Conflict):
        campaigns.queue_send(counselor, campaign.id)
    with pytest.raises(Conflict):
        campaigns.save_draft(counselor, MESSAGE, {}, campaign.id)
    assert AuditEvent.get(AuditEvent.action == "campaign.sent").user_id == counselor.user_id
    assert AuditEvent.select().where(AuditEvent.action == "campaign.finished").count() == 1


# --- sending ------------------------------------------------------------------------------------------


def test_only_consented_clients_receive_it_and_a_rerun_sends_nothing(app, counselor, outbox):
    consenting_client("One", email="one@example.com")
    consenting_client("Two", email="two@example.com")
    consenting_client("NeverAsked", email="never@example.com", purposes=())
    consenting_client("RemindersOnly", email="reminders@example.com", purposes=("service_reminders",))
    campaign = campaigns.queue_send(counselor, draft(counselor).id)
    assert sorted(m["To"] for m in outbox()) == ["one@example.com", "two@example.com"]
    assert all("Drink water" in m.get_content() and "/preferences/" in m.get_content() for m in outbox())
    assert {m.dedupe_key for m in Message.select()} == {
        f"campaign:{campaign.id}:{c}" for c in [m.client_id for m in Message.select()]
    }
    # a retried or restarted job (the row says it is still sending) sends nobody a second copy
    Campaign.update(status="sending").where(Campaign.id == campaign.id).execute()
    assert campaigns.send_campaign(campaign.id) == 0
    assert len(outbox()) == 2 and Message.select().count() == 2
    assert Campaign.get_by_id(campaign.id).status == "sent"


def test_a_client_claimed_by_a_killed_run_is_not_sent_again(app, counselor, outbox):
    first = consenting_client("First", email="first@example.com")
    consenting_client("Second", email="second@example.com")
    campaign = draft(counselor)
    Campaign.update(status="sending").where(Campaign.id == campaign.id).execute()
    Message.create(
        client=first,
        campaign=campaign,
        kind="campaign",
        dedupe_key=f"campaign:{campaign.id}:{first.id}",
        email=first.email,
        status="sending",
    )  # claimed, then the worker died before SMTP
    assert campaigns.send_campaign(campaign.id) == 1
    assert [m["To"] for m in outbox()] == ["second@example.com"]


def test_a_withdrawal_between_batches_is_honoured(app, counselor, outbox, monkeypatch):
    people = [consenting_client(f"P{i}", email=f"p{i}@example.com") for i in range(5)]
    monkeypatch.setattr(campaigns, "BATCH_SIZE", 2)
    real_progress = campaigns.refresh_progress

    def progress_then_withdraw(campaign_id):
        real_progress(campaign_id)
        if Campaign.get_by_id(campaign_id).sent_count == 2:  # after the first batch: P4 unsubscribes
            consents.withdraw_marketing(audit.SYSTEM, people[4].id, "unsubscribe_link")

    monkeypatch.setattr(campaigns, "refresh_progress", progress_then_withdraw)
    campaign = campaigns.queue_send(counselor, draft(counselor).id)
    assert [m["To"] for m in outbox()] == ["p0@example.com", "p1@example.com", "p2@example.com", "p3@example.com"]
    assert (Campaign.get_by_id(campaign.id).sent_count, campaign.target_count) == (4, 5)


def test_a_withdrawal_inside_a_batch_is_honoured_before_the_next_message(app, counselor, outbox, monkeypatch):
    people = [consenting_client(f"P{i}", email=f"p{i}@example.com") for i in range(3)]
    from checkup.services.mail import mail

    real_send = mail.send

    def send_then_withdraw(to, *args, **kwargs):
        result = real_send(to, *args, **kwargs)
        if to == "p0@example.com":
            consents.withdraw_marketing(audit.SYSTEM, people[1].id, "unsubscribe_link")
        return result

    monkeypatch.setattr(mail, "send", send_then_withdraw)
    campaigns.queue_send(counselor, draft(counselor).id)
    assert [m["To"] for m in outbox()] == ["p0@example.com", "p2@example.com"]


@pytest.fixture
def smtp_refusing_bounces():
    """A real SMTP server that refuses any recipient whose address starts with 'bounce'."""
    from aiosmtpd.controller import Controller

    received = []

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.startswith("bounce"):
                return "550 5.1.1 No such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            received.extend(envelope.rcpt_tos)
            return "250 Message accepted"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


def test_counts_sent_bounced_unsubscribed_and_booked_within_30_days(app, counselor, smtp_refusing_bounces):
    port, received = smtp_refusing_bounces
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    booker = consenting_client("Booker", email="booker@example.com")
    late = consenting_client("Late", email="late@example.com")
    leaver = consenting_client("Leaver", email="leaver@example.com")
    page_leaver = consenting_client("PageLeaver", email="pageleaver@example.com")
    consenting_client("Bounce", email="bounce@example.com")
    campaign = campaigns.queue_send(counselor, draft(counselor).id)
    assert sorted(received) == [
        "booker@example.com",
        "late@example.com",
        "leaver@example.com",
        "pageleaver@example.com",
    ]
    sent_at = {m.client_id: m.created_at for m in Message.select()}
    checkup(
        booker,
        clock.today() + datetime.timedelta(days=7),
        status="booked",
        created_at=sent_at[booker.id] + datetime.timedelta(days=5),
    )
    checkup(
        booker,
        clock.today() + datetime.timedelta(days=60),
        status="booked",
        created_at=sent_at[booker.id] + datetime.timedelta(days=6),
    )  # the same recipient counts once
    checkup(
        late,
        clock.today() + datetime.timedelta(days=90),
        status="booked",
        created_at=sent_at[late.id] + datetime.timedelta(days=40),
    )
    checkup(
        leaver,
        clock.today() - datetime.timedelta(days=400),
        created_at=sent_at[leaver.id] - datetime.timedelta(days=400),
    )  # booked long before the campaign
    consents.withdraw_marketing(audit.SYSTEM, leaver.id, "unsubscribe_link")
    consents.record_changes(audit.SYSTEM, page_leaver.id, {MARKETING_EMAIL: False}, "privacy_page")

    counts = campaigns.campaign_counts([campaign.id])[campaign.id]
    assert (counts.sent, counts.bounced, counts.failed, counts.unsubscribed, counts.booked) == (4, 1, 0, 1, 1)
    stored = Campaign.get_by_id(campaign.id)
    assert (stored.status, stored.sent_count, stored.bounced_count, stored.target_count) == ("sent", 4, 1, 5)
    assert Message.get(Message.email == "bounce@example.com").status == "bounced"


def test_a_stalled_campaign_is_requeued_and_finishes_once(app, counselor, outbox):
    consenting_client("Reader", email="reader@example.com")
    campaign = draft(counselor)
    Campaign.update(status="sending", queued_at=utcnow() - datetime.timedelta(hours=1), target_count=1).where(
        Campaign.id == campaign.id
    ).execute()
    fresh = draft(counselor)
    Campaign.update(status="queued", queued_at=utcnow()).where(Campaign.id == fresh.id).execute()
    assert campaigns.requeue_stalled_campaigns(older_than_minutes=15) == [campaign.id]
    assert Campaign.get_by_id(campaign.id).status == "sent"
    assert [m["To"] for m in outbox()] == ["reader@example.com"]
    assert campaigns.requeue_stalled_campaigns(older_than_minutes=15) == []


def test_the_send_job_runs_in_a_real_rq_worker(redis_app, counselor, outbox):
    consenting_client("Alpha", email="alpha@example.com")
    consenting_client("Beta", email="beta@example.com")
    consenting_client("Gamma", email="gamma@example.com", purposes=())
    campaign = campaigns.queue_send(counselor, draft(counselor).id)
    assert (campaign.status, campaign.target_count) == ("queued", 2)
    assert outbox() == [] and tasks.queue().count == 1
    finished = run_worker(redis_app)
    assert finished.returncode == 0, finished.stderr[-3000:]
    done = Campaign.get_by_id(campaign.id)
    assert (done.status, done.sent_count) == ("sent", 2) and done.finished_at is not None, finished.stderr[-3000:]
    assert sorted(m["To"] for m in outbox()) == ["alpha@example.com", "beta@example.com"]
    # the same job enqueued again (rq's retry, the sweeper) sends nothing more
    tasks.defer("campaign.send", campaign.id)
    Campaign.update(status="sending").where(Campaign.id == campaign.id).execute()
    assert run_worker(redis_app).returncode == 0
    assert len(outbox()) == 2 and Campaign.get_by_id(campaign.id).status == "sent"
