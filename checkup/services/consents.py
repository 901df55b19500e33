"""Consent per purpose: an append-only history whose latest row per (client, purpose) is the answer.

Never assumed: no row means no consent. Withdrawal is a new row and takes effect at once, because
every sender asks ``consented_ids``/``has_consent`` at the moment it sends.
"""
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from peewee import fn

from checkup.models import Consent
from checkup.models.care import CONSENT_PURPOSES
from checkup.services import audit


def _latest_ids(purpose):
    return (Consent.select(fn.MAX(Consent.id)).where(Consent.purpose == purpose)
            .group_by(Consent.client))


def consented_ids(purpose):
    """A sub-query of the ids of clients whose current answer for ``purpose`` is yes."""
    return Consent.select(Consent.client).where(Consent.id.in_(_latest_ids(purpose)), Consent.granted == True)  # noqa: E712


def has_consent(client_id, purpose):
    latest = (Consent.select(Consent.granted).where(Consent.client == client_id, Consent.purpose == purpose)
              .order_by(Consent.id.desc()).first())
    return bool(latest and latest.granted)


def current(client_id):
    """{purpose: bool} for every purpose (False when never asked)."""
    answers = {purpose: False for purpose in CONSENT_PURPOSES}
    for row in Consent.select().where(Consent.client == client_id).order_by(Consent.id):
        answers[row.purpose] = row.granted
    return answers


def record(actor, client_id, purpose, granted, source):
    """Write the answer when it changes (with time and source); returns True when a row was written."""
    if purpose not in CONSENT_PURPOSES:
        raise ValueError(f"unknown consent purpose {purpose!r}")
    granted = bool(granted)
    if has_consent(client_id, purpose) == granted and Consent.select().where(
            Consent.client == client_id, Consent.purpose == purpose).exists():
        return False
    row = Consent.create(client=client_id, purpose=purpose, granted=granted, source=source,
                         recorded_by=actor.user_id if actor else None)
    audit.record(actor, "consent.granted" if granted else "consent.withdrawn", row, purpose=purpose,
                 source=source, client=client_id)
    return True


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="consent-manage")


def manage_token(client_id):
    """A signed token naming the client: the manage/unsubscribe link works without signing in."""
    return _serializer().dumps(int(client_id))


def client_id_from_token(token):
    """The client id the token names, or None for a forged/garbled token."""
    try:
        value = _serializer().loads(str(token or "")[:200])
    except (BadSignature, ValueError, TypeError):
        return None
    return value if isinstance(value, int) else None


def manage_url(client_id):
    return current_app.config["BASE_URL"].rstrip("/") + f"/preferences/{manage_token(client_id)}"
