"""Outgoing email: SMTP when configured, else an .eml file per message in the outbox folder."""

import datetime
import os
import smtplib
import stat
import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app


class DeliveryUncertain(smtplib.SMTPException):
    """The connection broke while the message was being handed over: the server may have taken it.
    Sending it again could deliver it twice, so callers that promise at-most-once do not retry."""


def _smtp_send(config, message):
    """Hand ``message`` to the SMTP server. Errors before the hand-off (connection refused, login, a
    refused sender or recipient, DATA refused) propagate as they are, and the message was not taken.
    Once ``send_message`` has returned the server has accepted it: a failing QUIT is ignored."""
    smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30)
    try:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        try:
            smtp.send_message(message)
        except (smtplib.SMTPServerDisconnected, TimeoutError, ConnectionError) as error:
            raise DeliveryUncertain(str(error) or type(error).__name__) from error
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def build_message(to, subject, text, html=None, attachments=(), headers=None):
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = str(subject)
    message["Date"] = datetime.datetime.now(datetime.UTC)
    message["Message-ID"] = make_msgid(domain="checkup.test")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    for filename, data, mimetype in attachments:
        maintype, _, subtype = mimetype.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message


def send(to, subject, text, html=None, attachments=(), headers=None):
    """Deliver one message; returns where it went ("smtp" or the outbox file path).

    ``attachments`` are (filename, bytes, mimetype) triples; ``headers`` extra header fields
    (e.g. ``List-Unsubscribe``).
    """
    message = build_message(to, subject, text, html, attachments, headers)
    config = current_app.config
    if config.get("MAIL_SERVER"):
        _smtp_send(config, message)
        return "smtp"
    return write_to_outbox(Path(config["OUTBOX_DIR"]), message)


def write_to_outbox(outbox, message):
    """Write ``message`` as an .eml file readable by the portal's user only (mode 0600, in a 0700 folder):
    the outbox holds live password-reset and sign-up links."""
    outbox.mkdir(mode=0o700, parents=True, exist_ok=True)
    if stat.S_IMODE(outbox.stat().st_mode) != 0o700:  # made earlier, or by hand, with a looser mode
        os.chmod(outbox, 0o700)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f")  # sorts in the order sent
    final = outbox / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
    partial = final.with_suffix(".tmp")
    with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
        file.write(bytes(message))
    os.replace(partial, final)  # a reader never sees half a message
    return str(final)
