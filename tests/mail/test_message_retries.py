"""A message the mail server did not take is tried again later, never twice once sent, never after the
client withdrew consent, and given up after MAX_ATTEMPTS; a permanent refusal is a bounce, a temporary
one (4xx) is retried. Real SMTP servers (aiosmtpd) and a closed port play the mail server."""

import datetime
import socket

import pytest

from checkup.core.audit import Actor
from checkup.models import Campaign, Message
from checkup.models.base import utcnow
from checkup.models.care import MARKETING_EMAIL, SERVICE_REMINDERS
from checkup.services.accounts import consents
from checkup.services.care import campaigns
from checkup.services.mail import messages
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
    return messages.send_once(
        client, kind, key or f"{kind}:{client.id}", "How was your checkup?", "Tell us in two minutes."
    )


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
    assert row.body == ""
    app.config["MAIL_SERVER"] = None
    assert messages.retry_failed(moment + datetime.timedelta(days=30)) == 0 and outbox() == []


def test_a_campaign_or_a_reminder_is_not_retried_once_consent_was_withdrawn(app, outbox):
    reader = consenting_client("Reader", email="reader@example.com")
    leaver = consenting_client("Leaver", email="leaver@example.com")
    lapsed = factories.make_client(name="孙三", email="sun@example.com")
    consents.record_changes(None, lapsed.id, {SERVICE_REMINDERS: True}, "privacy_page")
    counselor = Actor(factories.make_user("counselor"))
    mail_server_down(app)
    campaign = campaigns.save_draft(
        counselor,
        {"name": "Lecture", "kind": "lecture", "subject": "Blood pressure", "body": "Come along on Friday."},
        {},
    )
    campaigns.queue_send(counselor, campaign.id)
    reminder = send(lapsed, kind="reenrollment")
    assert Message.select().where(Message.status == "failed").count() == 3
    assert campaigns.campaign_counts([campaign.id])[campaign.id].failed == 2  # both due for a retry
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
    assert Campaign.get_by_id(campaign.id).sent_count == 1  # the progress bar follows the retries


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


def test_a_retry_claimed_by_another_run_between_the_select_and_the_claim_is_not_sent_again(app, outbox):
    client = factories.make_client(name="郑七", email="zheng@example.com")
    mail_server_down(app)
    send(client)
    app.config["MAIL_SERVER"] = None
    moment = utcnow() + datetime.timedelta(hours=1)
    [mine] = messages.due_retries(moment)
    [theirs] = messages.due_retries(moment)  # a second run read the same row
    assert messages.claim_retry(theirs, moment) is True
    assert messages.claim_retry(mine, moment) is False  # its conditional UPDATE finds the row moved on
    assert Message.get_by_id(mine.id).attempts == 2 and outbox() == []


def test_the_text_is_kept_only_while_a_retry_is_due(app, outbox):
    client = factories.make_client(name="王九", email="wang9@example.com")
    mail_server_down(app)
    message = send(client)
    assert Message.get_by_id(message.id).body
    app.config["MAIL_SERVER"] = None
    messages.retry_failed(utcnow() + datetime.timedelta(hours=1))
    assert Message.get_by_id(message.id).body == ""  # sent: the survey link no longer sits in the database
    delivered = send(factories.make_client(name="王十", email="wang10@example.com"))
    assert delivered.status == "sent" and Message.get_by_id(delivered.id).body == ""


def test_a_group_invitation_is_not_kept_for_a_retry(app):
    client = factories.make_client(name="陈一", email="chen@example.com")
    mail_server_down(app)
    message = send(client, kind="invitation")
    row = Message.get_by_id(message.id)
    assert (row.status, row.retry_at, row.body) == ("failed", None, "")  # its sign-up link is never stored


def test_a_message_left_sending_by_a_dead_worker_is_marked_maybe_delivered_and_not_sent(app, outbox):
    client = factories.make_client(name="褚二", email="chu@example.com")
    stuck = Message.create(
        client=client.id,
        kind="survey",
        dedupe_key="survey:stuck",
        email=client.email,
        subject="How was your checkup?",
        status="sending",
        body="text",
        created_at=utcnow() - datetime.timedelta(hours=2),
    )
    fresh = Message.create(
        client=client.id,
        kind="survey",
        dedupe_key="survey:fresh",
        email=client.email,
        subject="How was your checkup?",
        status="sending",
        body="text",
    )
    messages.retry_failed()
    assert (Message.get_by_id(stuck.id).status, Message.get_by_id(stuck.id).body) == (
        "uncertain",
        "",
    )  # maybe delivered: never again
    assert Message.get_by_id(fresh.id).status == "sending"  # may still be on its way
    assert outbox() == []


def test_a_retry_goes_to_the_address_staff_corrected_meanwhile(app, outbox):
    client = factories.make_client(name="卫三", email="wei@exmaple.com")
    mail_server_down(app)
    message = send(client)
    client.email = "wei@example.com"
    client.save()
    app.config["MAIL_SERVER"] = None
    assert messages.retry_failed(utcnow() + datetime.timedelta(hours=1)) == 1
    assert [m["To"] for m in outbox()] == ["wei@example.com"]
    assert Message.get_by_id(message.id).email == "wei@example.com"


@pytest.mark.parametrize("fault", ["quit", "drop"])
def test_a_message_the_server_may_have_taken_is_never_sent_twice(app, fault):
    """'quit': the server took the message, then answered QUIT with an error; 'drop': it read the
    message and hung up before answering. Either way a second copy could reach the client."""
    server, received = raw_smtp_server(fault)
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.server_address[1])
        message = send(factories.make_client(name="蒋四", email="jiang@example.com"))
        assert len(received) == 1
        row = Message.get_by_id(message.id)
        assert row.status == ("sent" if fault == "quit" else "failed") and row.retry_at is None
        assert messages.retry_failed(utcnow() + datetime.timedelta(days=1)) == 0
        assert len(received) == 1
    finally:
        server.shutdown()
        server.server_close()


def raw_smtp_server(fault):
    """A tiny real SMTP server on a thread that misbehaves after the message as ``fault`` says."""
    import socketserver
    import threading

    received = []

    class Session(socketserver.StreamRequestHandler):
        def handle(self):
            self.wfile.write(b"220 test ESMTP\r\n")
            while line := self.rfile.readline():
                verb = line[:4].upper()
                if verb == b"DATA":
                    self.wfile.write(b"354 go ahead\r\n")
                    lines = []
                    while (data := self.rfile.readline()) not in (b".\r\n", b""):
                        lines.append(data)
                    received.append(b"".join(lines))
                    if fault == "drop":
                        return  # hang up before saying whether the message was taken
                    self.wfile.write(b"250 queued\r\n")
                elif verb == b"QUIT":
                    self.wfile.write(b"421 closing with an error\r\n")
                    return
                else:
                    self.wfile.write(b"250 ok\r\n")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Session)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received


def test_the_retry_runs_with_the_periodic_jobs():
    from checkup.core import periodic, tasks

    assert ("mail.retry_failed", 5 * 60) in periodic.SCHEDULE
    assert tasks.REGISTRY["mail.retry_failed"].run is messages.retry_failed_task


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


def test_campaign_counts_tell_a_due_retry_from_a_message_given_up(app):
    counselor = Actor(factories.make_user("counselor"))
    for name in ("Due", "GivenUp"):
        consenting_client(name, email=f"{name.lower()}@example.com")
    mail_server_down(app)
    campaign = campaigns.save_draft(
        counselor, {"name": "Lecture", "kind": "lecture", "subject": "Sleep", "body": "Sleep well."}, {}
    )
    campaigns.queue_send(counselor, campaign.id)
    Message.update(retry_at=None).where(Message.email == "givenup@example.com").execute()
    counts = campaigns.campaign_counts([campaign.id])[campaign.id]
    assert (counts.sent, counts.failed, counts.gave_up) == (0, 1, 1)
