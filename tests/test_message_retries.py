"""A message the mail server did not take is tried again later, never twice once sent, never after the
client withdrew consent, and given up after MAX_ATTEMPTS; a permanent refusal is a bounce, a temporary
one (4xx) is retried. Real SMTP servers (aiosmtpd) and a closed port play the mail server."""
import datetime
import socket

import pytest

from checkup.models import Message
from checkup.models.care import MARKETING_EMAIL, SERVICE_REMINDERS
from checkup.models.base import utcnow
from checkup.services import campaigns, consents, messages
from checkup.services.audit import Actor
from tests import factories
from tests.campaign_helpers import consenting_client

pytestmark = pytest.mark.both_dbs


def closed_port():
    with socket.socket() as probe:  # bound, never listening: the connection is refused at once
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(app):
    """A real SMTP server; ``answers`` maps an address to the RCPT reply (default 250)."""
    from aiosmtpd.controller import Controller

    received, answers = [], {}

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            answer = answers.get(address, "250 OK")
            if answer.startswith("250"):
                envelope.rcpt_tos.append(address)
            return answer

        async def handle_DATA(self, server, session, envelope):
            received.extend(envelope.rcpt_tos)
            return "250 Message accepted"

    port = closed_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received, answers
    finally:
        controller.stop()


def mail_server_down(app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port())


def send(client, kind="survey", key=None):
    return messages.send_once(client, kind, key or f"{kind}:{client.id}", "How was your checkup?",
                              "Tell us in two minutes.")


def test_a_failed_send_keeps_the_text_and_is_tried_again_once_its_time_has_come(app, outbox):
    client = factories.make_client(name="赵一", email="zhao@example.com")
    mail_server_down(app)
    message = send(client)
    row = Message.get_by_id(message.id)
    assert (row.status, row.attempts, row.sent_at) == ("failed", 1, None)
    assert "Tell us in two minutes." in row.body and "/preferences/" in row.body  # the footer too
    assert row.error and row.retry_at is not None
    assert abs((row.retry_at - utcnow()) - messages.RETRY_DELAYS[0]) < datetime.timedelta(seconds=30)
    assert messages.retry_failed(utcnow()) == 0  # not yet
    app.config["MAIL_SERVER"] = None  # the server is back (here: the outbox)
    assert messages.retry_failed(row.retry_at) == 1
    [mail] = outbox()
    assert mail["To"] == "zhao@example.com" and mail["Subject"] == "How was your checkup?"
    assert "Tell us in two minutes." in mail.get_content() and mail["List-Unsubscribe"]
    row = Message.get_by_id(message.id)
    assert (row.status, row.attempts, row.retry_at, row.error) == ("sent", 2, None, "")
    assert messages.retry_failed(row.created_at + datetime.timedelta(days=2)) == 0  # sent: never again
    assert len(outbox()) == 1
    assert send(client) is None  # the same key is still used up


def test_after_the_last_attempt_it_is_given_up_and_stays_failed(app, outbox):
    client = factories.make_client(name="钱二", email="qian@example.com")
    mail_server_down(app)
    message = send(client)
    moment = utcnow()
    for _attempt in range(messages.MAX_ATTEMPTS - 1):
        moment += datetime.timedelta(days=1)
        assert messages.retry_failed(moment) == 0
    row = Message.get_by_id(message.id)
    assert (row.status, row.attempts, row.retry_at) == ("failed", messages.MAX_ATTEMPTS, None)
    app.config["MAIL_SERVER"] = None
    assert messages.retry_failed(moment + datetime.timedelta(days=30)) == 0 and outbox() == []


def test_a_campaign_or_a_reminder_is_not_retried_once_consent_was_withdrawn(app, outbox):
    reader = consenting_client("Reader", email="reader@example.com")
    leaver = consenting_client("Leaver", email="leaver@example.com")
    lapsed = factories.make_client(name="孙三", email="sun@example.com")
    consents.record_changes(None, lapsed.id, {SERVICE_REMINDERS: True}, "privacy_page")
    counselor = Actor(factories.make_user("counselor"))
    mail_server_down(app)
    campaign = campaigns.save_draft(counselor, {"name": "Lecture", "kind": "lecture", "subject": "Blood pressure",
                                                "body": "Come along on Friday."}, {})
    campaigns.queue_send(counselor, campaign.id)
    reminder = send(lapsed, kind="reenrollment")
    assert Message.select().where(Message.status == "failed").count() == 3
    assert campaigns.campaign_counts([campaign.id])[campaign.id].failed == 2
    consents.withdraw_marketing(None, leaver.id, "unsubscribe_link")
    consents.record_changes(None, lapsed.id, {SERVICE_REMINDERS: False}, "privacy_page")
    app.config["MAIL_SERVER"] = None
    assert messages.retry_failed(utcnow() + datetime.timedelta(hours=1)) == 1
    assert [m["To"] for m in outbox()] == ["reader@example.com"]
    statuses = {m.client_id: m.status for m in Message.select()}
    assert statuses == {reader.id: "sent", leaver.id: "withdrawn", lapsed.id: "withdrawn"}
    assert Message.get_by_id(reminder.id).status == "withdrawn"
    counts = campaigns.campaign_counts([campaign.id])[campaign.id]
    assert (counts.sent, counts.failed, counts.withdrawn) == (1, 0, 1)


def test_a_survey_needs_no_marketing_consent_to_be_retried(app, outbox):
    client = factories.make_client(name="李四", email="li@example.com")
    assert not consents.has_consent(client.id, MARKETING_EMAIL)
    mail_server_down(app)
    send(client)
    app.config["MAIL_SERVER"] = None
    assert messages.retry_failed(utcnow() + datetime.timedelta(hours=1)) == 1 and len(outbox()) == 1


def test_a_permanent_refusal_is_a_bounce_and_a_temporary_one_is_retried(app, smtp):
    port, received, answers = smtp
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    gone = factories.make_client(name="周五", email="gone@example.com")
    busy = factories.make_client(name="吴六", email="busy@example.com")
    answers.update({"gone@example.com": "550 5.1.1 No such user", "busy@example.com": "451 4.7.1 Try later"})
    bounced, deferred = send(gone), send(busy)
    assert (bounced.status, deferred.status) == ("bounced", "failed")
    assert Message.get_by_id(bounced.id).retry_at is None
    answers.pop("busy@example.com")  # the greylisting is over
    assert messages.retry_failed(utcnow() + datetime.timedelta(hours=1)) == 1
    assert received == ["busy@example.com"]
    assert Message.get_by_id(deferred.id).status == "sent" and Message.get_by_id(bounced.id).status == "bounced"


def test_a_retry_claimed_by_another_run_is_not_sent_again(app, outbox):
    client = factories.make_client(name="郑七", email="zheng@example.com")
    mail_server_down(app)
    message = send(client)
    # another run claimed it first (its conditional UPDATE moved the row on)
    Message.update(status="sending", attempts=2, retry_at=None).where(Message.id == message.id).execute()
    app.config["MAIL_SERVER"] = None
    assert messages.retry_failed(utcnow() + datetime.timedelta(hours=1)) == 0 and outbox() == []


def test_the_retry_runs_with_the_periodic_jobs():
    from checkup.cli import PERIODIC_JOBS

    assert ("checkup.services.messages.retry_failed", 5 * 60) in PERIODIC_JOBS


def test_the_client_page_lists_the_emails_sent_with_their_delivery(app, client, outbox):
    person = factories.make_client(name="冯八", email="feng@example.com")
    factories.sign_in_directly(client, factories.make_user("counselor"))
    empty = client.get(f"/directory/clients/{person.id}").get_data(as_text=True)
    assert "No email has been sent to this client yet." in empty
    mail_server_down(app)
    send(person)
    app.config["MAIL_SERVER"] = None
    send(person, kind="reenrollment")
    page = client.get(f"/directory/clients/{person.id}").get_data(as_text=True)
    section = page.split('id="messages-heading"')[1].split("</section>")[0]
    rows = section.split("<tbody>")[1].split("</tr>")
    assert "Yearly checkup reminder" in rows[0] and "Sent" in rows[0]  # newest first
    assert "Satisfaction survey" in rows[1] and "Not delivered; next try" in rows[1]
