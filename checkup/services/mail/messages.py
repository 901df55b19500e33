"""Emails to clients that must never go twice: the Message row is claimed first (unique dedupe_key),
then the mail is sent. A retried or restarted job finds the row and sends nothing.

At most once, always. A send the mail server did not take (down, refused the connection, a temporary
4xx) is ``failed`` and, for the kinds in RETRYABLE, tried again later by ``retry_failed`` (a periodic
job) up to MAX_ATTEMPTS times, each retry claimed by a conditional UPDATE; a message whose consent was
withdrawn meanwhile is not sent (``withdrawn``). A refused recipient is ``bounced``, for good. When
the connection broke while the message was being handed over (the server may have it), or a worker
died between the claim and the hand-off (``sending`` for over STUCK_AFTER), it is not sent again.
The text is kept only while a retry is due, then cleared (it may hold a survey link or findings).
"""

import datetime
import smtplib
import uuid
from collections import namedtuple
from collections.abc import Callable

from blinker import Namespace
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import SQL, IntegrityError, fn

from checkup.core import tasks
from checkup.core.arguments import valid_id
from checkup.core.prepared import PreparedSelect
from checkup.models import Client, Consent, Message
from checkup.models.base import db, utcnow
from checkup.models.care import CONSENT_PURPOSES, SERVICE_REMINDERS
from checkup.services.accounts import consents
from checkup.services.mail import mail

KIND_LABELS = {
    "welcome": _l("Welcome"),
    "password_reset": _l("Password reset"),
    "account_invitation": _l("Staff account"),
    "account_exists": _l("Registration with an existing address"),
    "booking_confirmation": _l("Booking confirmation"),
    "waitlist_offer": _l("Waitlist offer"),
    "booking_reminder": _l("Checkup reminder"),
    "booking_moved": _l("Appointment moved"),
    "booking_cancelled": _l("Appointment cancelled"),
    "report_ready": _l("Report ready"),
    "report_amended": _l("Report amended"),
    "consultation": _l("Consultation scheduled"),
    "campaign": _l("Campaign"),
    "survey": _l("Satisfaction survey"),
    "reenrollment": _l("Yearly checkup reminder"),
    "invitation": _l("Company checkup invitation"),
    "invite_reminder": _l("Company checkup reminder"),
    "data_request": _l("Answer to a data request"),
}

# After the n-th failed attempt the next one comes this much later; after the last, none.
RETRY_DELAYS = (
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=30),
    datetime.timedelta(hours=2),
    datetime.timedelta(hours=6),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
RETRY_BATCH = 200
UNCERTAIN = "uncertain"  # the server may have it (the connection broke mid-send): never sent again
STUCK_AFTER = datetime.timedelta(hours=1)
# Kinds worth sending again later. Group invitations are not: their reminders (every 3 days) carry a
# fresh link, and a stored text would keep a usable sign-up link in the database.
RETRYABLE = {"campaign", "reenrollment", "survey"}
# A retry is sent only while the client still consents to what the message is for.
PURPOSE_OF_KIND = {"reenrollment": SERVICE_REMINDERS}
# A campaign's message is retried only while the campaign's own rule allows it:
# services/care/campaigns.py (built on this module) registers that rule here.
CAMPAIGN_RULES: dict[str, Callable[[int, int], bool]] = {}
# Sent after a retry round, once per campaign whose messages went out (campaigns refresh their counts).
campaign_messages_sent = Namespace().signal("campaign-messages-sent")


def footer(client_id):
    return "\n\n--\n" + _("Manage your email preferences or unsubscribe: %(url)s", url=consents.manage_url(client_id))


def unsubscribe_headers(client_id, one_click=False):
    """``List-Unsubscribe`` pointing at the manage page; with ``one_click`` the RFC 8058 address that
    withdraws marketing on a bare POST (mail programs show an "Unsubscribe" button for it)."""
    if one_click:
        return {
            "List-Unsubscribe": f"<{consents.unsubscribe_url(client_id)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    return {"List-Unsubscribe": f"<{consents.manage_url(client_id)}>"}


def send_owed(kind, email, subject, text, client_id=None, user_id=None, attachments=(), headers=None):
    """Send the email a running task owes, exactly once per task: the message row is written ``queued``,
    claimed (``sending``) just before the hand-off and marked after it. A rerun of the task (a crash, a
    retry) finds the row: ``sent`` sends nothing; ``sending`` means a run died around the hand-off, so
    the server may have it and it is not sent again (marked ``uncertain`` for staff to see). A send the server
    did not take (down, a temporary refusal) raises ``tasks.RetryLater`` so the task is tried again on
    schedule; a refused recipient is ``bounced``. Returns the message row (None without an address)."""
    if not email:
        return None
    task = tasks.current()
    key = f"{kind}:task:{task.id}" if task is not None else f"{kind}:{uuid.uuid4().hex}"
    Message.insert(
        client=client_id,
        user=user_id,
        kind=kind,
        dedupe_key=key[:120],
        email=email,
        subject=str(subject)[:200],
        status="queued",
        attempts=0,
        created_at=utcnow(),
    ).on_conflict_ignore().execute()
    message = Message.get(Message.dedupe_key == key[:120])
    if message.status == "sending":
        message.status = _finish(
            message, UNCERTAIN, "The sending worker stopped; not sent again (it may have gone out)."
        )
        return message
    if message.status not in ("queued", "failed"):
        return message  # sent, bounced, or maybe delivered: never again
    claimed = (
        Message.update(status="sending", attempts=Message.attempts + 1, email=email, error="", retry_at=utcnow())
        .where(Message.id == message.id, Message.status == message.status, Message.attempts == message.attempts)
        .execute()
    )
    if not claimed:
        return message  # another run has it
    now = utcnow()
    try:
        mail.send(email, subject, text, attachments=attachments, headers=headers)
    except mail.DeliveryUncertain as error:
        message.status = _finish(message, UNCERTAIN, f"The connection broke during the send; not sent again: {error}")
        return message
    except smtplib.SMTPRecipientsRefused as error:
        if not _temporary(error):
            message.status = _finish(message, "bounced", str(error))
            return message
        _will_retry(message, error)
    except (smtplib.SMTPException, OSError) as error:
        _will_retry(message, error)
    tasks.checkpoint("mail_accepted")
    message.status = _finish(message, "sent", "", sent_at=now)
    return message


def _will_retry(message, error):
    """The server did not take it: the message waits for the task's next attempt (``retry_at`` shows
    when, or None after the last), and the task is told to try again later."""
    Message.update(status="failed", error=str(error)[:300], retry_at=tasks.next_attempt_after_failure()).where(
        Message.id == message.id
    ).execute()
    raise tasks.RetryLater(f"The mail server did not take the message: {error}")


def send_once(
    client, kind, dedupe_key, subject, text, campaign_id=None, locale="en", one_click=False, email=None, on_claim=None
):
    """Send ``text`` (the manage/unsubscribe footer is appended) to the client once per ``dedupe_key``.

    Returns the Message row written now, or None when the key was already used or there is no address.
    ``subject``/``text`` may be callables taking no argument, evaluated in ``locale``.
    ``one_click``: a marketing message, whose one-click unsubscribe withdraws marketing consent.
    ``email``: send there instead of the client record's address (an account holder's own address).
    ``on_claim(message)``: runs in the transaction that writes the Message row, before the mail goes out
    (the caller records what the message stands for: both commit, or neither).
    """
    address = email or client.email
    if not address:
        return None
    with force_locale(locale or "en"):
        subject = str(subject() if callable(subject) else subject)[:200]
        body = str(text() if callable(text) else text) + footer(client.id)
    try:
        with db.atomic():
            message = Message.create(
                client=client.id,
                campaign=campaign_id,
                kind=kind,
                dedupe_key=dedupe_key[:120],
                email=address,
                subject=subject,
                status="sending",
                body=body if kind in RETRYABLE else "",
                one_click=one_click,
            )
            if on_claim is not None:
                on_claim(message)
    except IntegrityError:
        return None
    message.body = body
    message.status = _deliver(message)
    return message


def _deliver(message):
    """Hand the message to the mail server and record the outcome; returns the new status."""
    now = utcnow()
    try:
        mail.send(
            message.email,
            message.subject,
            message.body,
            headers=unsubscribe_headers(message.client_id, message.one_click),
        )
    except mail.DeliveryUncertain as error:  # the server may have it: never again
        return _finish(message, "failed", f"The connection broke during the send; not sent again: {error}")
    except smtplib.SMTPRecipientsRefused as error:
        if not _temporary(error):
            return _finish(message, "bounced", str(error))
        return _failed(message, error, now)
    except (smtplib.SMTPException, OSError) as error:
        return _failed(message, error, now)
    return _finish(message, "sent", "", sent_at=now)


def _finish(message, status, error, **more):
    """A final state: no more tries, and the text is no longer kept."""
    Message.update(status=status, error=str(error)[:300], retry_at=None, body="", **more).where(
        Message.id == message.id
    ).execute()
    return status


def _temporary(refused):
    """A refusal with only 4xx codes (mailbox busy, greylisting) is worth another try; 5xx is final."""
    codes = [code for code, _text in refused.recipients.values()]
    return bool(codes) and all(400 <= code < 500 for code in codes)


def _failed(message, error, now):
    if message.kind not in RETRYABLE or message.attempts >= MAX_ATTEMPTS:
        return _finish(message, "failed", error)
    Message.update(status="failed", error=str(error)[:300], retry_at=now + RETRY_DELAYS[message.attempts - 1]).where(
        Message.id == message.id
    ).execute()
    return "failed"


def due_retries(now):
    return list(
        Message.select()
        .where(
            Message.status == "failed",
            Message.retry_at.is_null(False),
            Message.kind.in_(RETRYABLE),
            Message.retry_at <= now,
        )
        .order_by(Message.retry_at)
        .limit(RETRY_BATCH)
    )


def claim_retry(message, now):
    """Take a due message for one more try (a conditional UPDATE: of concurrent runs, one wins).
    While sending, ``retry_at`` holds when the try began (for the stuck sweep)."""
    claimed = (
        Message.update(status="sending", attempts=Message.attempts + 1, retry_at=now)
        .where(Message.id == message.id, Message.status == "failed", Message.attempts == message.attempts)
        .execute()
    )
    if claimed:
        message.attempts += 1
    return bool(claimed)


def retry_failed(now=None):
    """Try again every failed message whose time has come (periodic job), after marking messages stuck in
    ``sending`` as not delivered. Returns how many were sent now."""
    now = now or utcnow()
    give_up_stuck(now)
    sent, campaign_ids = 0, set()
    for message in due_retries(now):
        if not claim_retry(message, now):
            continue  # another run took it
        if not _still_wanted(message):
            _finish(message, "withdrawn", "")
            continue
        current = Client.select(Client.email).where(Client.id == message.client_id).scalar()
        if current and current != message.email:  # staff corrected the address since
            Message.update(email=current).where(Message.id == message.id).execute()
            message.email = current
        sent += _deliver(message) == "sent"
        if message.campaign_id:
            campaign_ids.add(message.campaign_id)
    for campaign_id in campaign_ids:
        campaign_messages_sent.send(campaign_id)
    return sent


def give_up_stuck(now):
    """Messages left in ``sending`` by a worker that died mid-send: not delivered, and not sent again
    (the server may have taken them). Returns how many."""
    since = fn.COALESCE(Message.retry_at, Message.created_at)
    return (
        Message.update(
            status=UNCERTAIN,
            retry_at=None,
            body="",
            error="The sending worker stopped; not sent again (it may have gone out).",
        )
        .where(Message.status == "sending", since < now - STUCK_AFTER)
        .execute()
    )


@tasks.handler("mail.retry_failed")
def retry_failed_task():
    """Periodic task: campaign, survey and re-enrollment messages whose retry is due."""
    return retry_failed()


def _still_wanted(message):
    """A reminder or a campaign is retried only while the client consents to what it is for."""
    if message.campaign_id:
        return CAMPAIGN_RULES["still_wanted"](message.campaign_id, message.client_id)
    purpose = PURPOSE_OF_KIND.get(message.kind)
    return purpose is None or consents.has_consent(message.client_id, purpose)


def _client_messages_query(client_id):
    return (
        Message.select(
            Message.id,
            Message.kind,
            Message.subject,
            Message.status,
            Message.created_at,
            Message.sent_at,
            Message.attempts,
            Message.retry_at,
        )
        .where(Message.client == client_id)
        .order_by(Message.id.desc())
        .limit(CLIENT_MESSAGES_SHOWN)
    )


CLIENT_MESSAGES_SHOWN = 50
# the staff client page shows them on every view: SQL built once, prepared on PostgreSQL
_CLIENT_MESSAGES = PreparedSelect(_client_messages_query, "checkup_mail_client_messages", samples=(-2_000_000_001,))


def client_messages(client_id):
    """The client's latest messages (newest first, at most CLIENT_MESSAGES_SHOWN), for the staff client page; none
    for an id no client has (a message belongs to its client)."""
    return _CLIENT_MESSAGES.rows(client_id) if valid_id(client_id) else []


# The staff client page shows the client's consent answers and their latest messages: one statement, a UNION ALL
# of the answers (tag 0: purpose as kind, granted, at as created_at) and the latest CLIENT_MESSAGES_SHOWN messages
# (tag 1). Each column holds a model field of the same kind in the first branch (the answers'), so SQLite's values
# are converted alike. No ORDER BY: the few rows are put in order here.
PageAnswer = namedtuple("PageAnswer", "id purpose granted at")
PageMessage = namedtuple("PageMessage", "id kind subject status created_at retry_at")


def _answers_and_messages_query(client_id):
    answers = Consent.select(
        SQL("0").alias("tag"),
        Consent.id,
        Consent.purpose,
        Consent.granted,
        Consent.at,
        Consent.source,
        Consent.source,
        Consent.at,
    ).where(Consent.client == client_id)
    latest = (
        Message.select(Message.id, Message.kind, Message.subject, Message.status, Message.created_at, Message.retry_at)
        .where(Message.client == client_id)
        .order_by(Message.id.desc())
        .limit(CLIENT_MESSAGES_SHOWN)
        .alias("latest")
    )
    messages = Message.select(
        SQL("1"),
        latest.c.id,
        latest.c.kind,
        SQL("NULL"),
        latest.c.created_at,
        latest.c.subject,
        latest.c.status,
        latest.c.retry_at,
    ).from_(latest)
    return answers + messages  # UNION ALL


_ANSWERS_AND_MESSAGES = PreparedSelect(
    _answers_and_messages_query, "checkup_mail_client_answers_messages", samples=(-2_000_000_001,)
)


def client_answers_and_messages(client_id):
    """(``consents.latest_rows(client_id)``, ``client_messages(client_id)``) in one statement, as plain rows:
    {purpose: PageAnswer (id, purpose, granted, at) in force or None}, and the latest messages newest first
    (PageMessage: id, kind, subject, status, created_at, retry_at)."""
    answers = dict.fromkeys(CONSENT_PURPOSES)
    if not valid_id(client_id):
        return answers, []
    given, sent = [], []
    for tag, id_, text, granted, at, subject, status, retry_at in _ANSWERS_AND_MESSAGES.plain(client_id):
        if tag == 0:
            given.append(PageAnswer(id_, text, granted, at))
        else:
            sent.append(PageMessage(id_, text, subject, status, at, retry_at))
    given.sort()  # oldest first, as latest_rows reads them: the latest of each purpose stays
    for answer in given:
        answers[answer.purpose] = answer
    sent.sort(reverse=True)
    return answers, sent
