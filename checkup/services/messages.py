"""Emails to clients that must never go twice: the Message row is claimed first (unique dedupe_key),
then the mail is sent. A retried or restarted job finds the row and sends nothing.

The trade-off is at-most-once: a worker killed between the claim and the SMTP hand-off leaves a row
in ``sending`` that is reported (``stuck``), not re-sent blindly.
"""
import smtplib

from flask_babel import force_locale
from flask_babel import gettext as _
from peewee import IntegrityError

from checkup.extensions import db
from checkup.models import Message
from checkup.models.base import utcnow
from checkup.services import consents, mail


def footer(client_id):
    return "\n\n--\n" + _("Manage your email preferences or unsubscribe: %(url)s", url=consents.manage_url(client_id))


def unsubscribe_headers(client_id, one_click=False):
    """``List-Unsubscribe`` pointing at the manage page; with ``one_click`` the RFC 8058 address that
    withdraws marketing on a bare POST (mail programs show an "Unsubscribe" button for it)."""
    if one_click:
        return {"List-Unsubscribe": f"<{consents.unsubscribe_url(client_id)}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return {"List-Unsubscribe": f"<{consents.manage_url(client_id)}>"}


def send_once(client, kind, dedupe_key, subject, text, campaign_id=None, locale="en", one_click=False):
    """Send ``text`` (the manage/unsubscribe footer is appended) to the client once per ``dedupe_key``.

    Returns the Message row written now, or None when the key was already used or the client has no
    email. ``subject``/``text`` may be callables taking no argument, evaluated in ``locale``.
    ``one_click``: a marketing message, whose one-click unsubscribe withdraws marketing consent.
    """
    if not client.email:
        return None
    with force_locale(locale or "en"):
        subject = str(subject() if callable(subject) else subject)[:200]
        body = str(text() if callable(text) else text) + footer(client.id)
    try:
        with db.atomic():
            message = Message.create(client=client.id, campaign=campaign_id, kind=kind, dedupe_key=dedupe_key[:120],
                                     email=client.email, subject=subject, status="sending")
    except IntegrityError:
        return None
    try:
        mail.send(client.email, subject, body, headers=unsubscribe_headers(client.id, one_click))
    except smtplib.SMTPRecipientsRefused as error:
        Message.update(status="bounced", error=str(error)[:300]).where(Message.id == message.id).execute()
        message.status = "bounced"
        return message
    except (smtplib.SMTPException, OSError) as error:
        Message.update(status="failed", error=str(error)[:300]).where(Message.id == message.id).execute()
        message.status = "failed"
        return message
    Message.update(status="sent", sent_at=utcnow()).where(Message.id == message.id).execute()
    message.status = "sent"
    return message
