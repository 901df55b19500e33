"""Outgoing email: SMTP when configured, else an .eml file per message in the outbox folder."""
import datetime
import os
import smtplib
import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app


def build_message(to, subject, text, html=None, attachments=(), headers=None):
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = str(subject)
    message["Date"] = datetime.datetime.now(datetime.timezone.utc)
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
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(message)
        return "smtp"
    outbox = Path(config["OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f")  # sorts in the order sent
    final = outbox / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
    partial = final.with_suffix(".tmp")
    partial.write_bytes(bytes(message))
    os.replace(partial, final)  # a reader never sees half a message
    return str(final)
