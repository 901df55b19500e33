"""Consent per purpose: an append-only history whose latest row per (client, purpose) is the answer.

Never assumed: no row means no consent. Withdrawal is a new row and takes effect at once, because
every sender asks ``consented_ids``/``has_consent`` at the moment it sends.
"""

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from peewee import JOIN, fn

from checkup.core import audit, links
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.core.prepared import PreparedSelect
from checkup.models import Client, Consent, User
from checkup.models.accounts import ADMIN, SCHEDULER
from checkup.models.base import db
from checkup.models.care import CONSENT_PURPOSES, HEALTH_TARGETING, MARKETING_EMAIL, SERVICE_REMINDERS

# What "unsubscribe from all marketing" withdraws (service reminders are not marketing).
MARKETING_PURPOSES = (MARKETING_EMAIL, HEALTH_TARGETING)
# How a client told our staff (recorded on the client's page); "staff" is the unspecified older form.
STAFF_SOURCES = ("staff_paper", "staff_in_person", "staff_phone")
GRANTING_ROLES = (ADMIN, SCHEDULER)
# "data_deletion": withdrawn when the client's data was deleted (services.anonymization)
SOURCES = ("registration", "privacy_page", "unsubscribe_link", "staff", "import", "data_deletion") + STAFF_SOURCES

PURPOSE_LABELS = {
    SERVICE_REMINDERS: _l("Service reminders"),
    MARKETING_EMAIL: _l("Health news and offers by email"),
    HEALTH_TARGETING: _l("Offers chosen using my checkup findings"),
}
PURPOSE_EXPLANATIONS = {
    SERVICE_REMINDERS: _l(
        "An email when your yearly checkup is due again, with the package you had last year. "
        "Messages about an appointment you booked and your report are sent either way."
    ),
    MARKETING_EMAIL: _l(
        "Our health newsletter, invitations to health lectures and seasonal checkup packages, a few times a year."
    ),
    HEALTH_TARGETING: _l(
        "We may use the findings in your latest report to choose which of those emails are "
        "relevant to you (for example a lecture on blood pressure). Without this, your results "
        "are never used for marketing."
    ),
}
SOURCE_LABELS = {
    "registration": _l("when registering"),
    "privacy_page": _l("on the privacy page"),
    "unsubscribe_link": _l("through the link in an email"),
    "staff": _l("recorded by our staff"),
    "import": _l("imported"),
    "staff_paper": _l("on a signed paper form"),
    "staff_in_person": _l("in person, recorded by our staff"),
    "staff_phone": _l("by phone, recorded by our staff"),
    "data_deletion": _l("when the client's data was deleted"),
}


def _latest_ids(purpose):
    return Consent.select(fn.MAX(Consent.id)).where(Consent.purpose == purpose).group_by(Consent.client)


def consented_ids(purpose):
    """A sub-query of the ids of clients whose current answer for ``purpose`` is yes."""
    return Consent.select(Consent.client).where(Consent.id.in_(_latest_ids(purpose)), Consent.granted == True)


def has_consent(client_id, purpose):
    latest = (
        Consent.select(Consent.granted)
        .where(Consent.client == client_id, Consent.purpose == purpose)
        .order_by(Consent.id.desc())
        .first()
    )
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
    if (
        has_consent(client_id, purpose) == granted
        and Consent.select().where(Consent.client == client_id, Consent.purpose == purpose).exists()
    ):
        return False
    row = Consent.create(
        client=client_id, purpose=purpose, granted=granted, source=source, recorded_by=actor.user_id if actor else None
    )
    audit.record(
        actor or audit.Actor(),
        "consent.granted" if granted else "consent.withdrawn",
        row,
        purpose=purpose,
        source=source,
        client=client_id,
    )
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
    return links.preferences(manage_token(client_id))


def unsubscribe_url(client_id):
    """The RFC 8058 one-click address (a POST there withdraws every marketing purpose)."""
    return manage_url(client_id) + "/unsubscribe"


# --- reading and changing one client's answers ------------------------------------------------------


def _answers_query(client_id):
    return Consent.select().where(Consent.client == client_id).order_by(Consent.id)


def _history_query(client_id, limit):
    return (
        Consent.select(Consent, User)
        .join(User, JOIN.LEFT_OUTER, on=(Consent.recorded_by == User.id))
        .where(Consent.client == client_id)
        .order_by(Consent.id.desc())
        .limit(limit)
    )


def _version_query(client_id):
    return Consent.select(fn.MAX(Consent.id)).where(Consent.client == client_id)


# built once, prepared on PostgreSQL: a client's consent pages (staff's and the client's own) read them
_ANSWERS = PreparedSelect(_answers_query, "checkup_consent_answers")
_HISTORY = PreparedSelect(_history_query, "checkup_consent_history")
_VERSION = PreparedSelect(_version_query, "checkup_consent_version")


def latest_rows(client_id):
    """{purpose: the Consent row in force, or None when never asked}."""
    rows = {purpose: None for purpose in CONSENT_PURPOSES}
    for row in _ANSWERS.rows(client_id):
        rows[row.purpose] = row
    return rows


def history(client_id, limit=200):
    """Every answer the client gave, newest first."""
    return _HISTORY.rows(client_id, limit)


def answers_and_history(client_id, limit=200):
    """(``latest_rows(client_id)``, ``history(client_id, limit)``) in one statement when the history is shorter
    than ``limit``: then it is every answer, newest first, and the first of each purpose is the one in force (the
    same row objects). A history of ``limit`` rows may leave older answers out: ``latest_rows`` reads them."""
    rows = history(client_id, limit)
    if len(rows) >= limit:
        return latest_rows(client_id), rows
    latest = {}
    for row in rows:  # newest first: the first of each purpose is the one in force
        latest.setdefault(row.purpose, row)
    answers = {purpose: None for purpose in CONSENT_PURPOSES}
    for row in sorted(latest.values(), key=lambda row: row.id):  # latest_rows' order for any other purpose
        answers[row.purpose] = row
    return answers, rows


def record_changes(actor, client_id, answers, source):
    """Record only the answers that differ from the one in force (never asked counts as no).

    ``answers`` maps purposes to True/False; purposes left out are not touched. Returns the purposes
    whose answer changed. Raises ValueError for an unknown purpose or source.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown consent source {source!r}")
    unknown = set(answers) - set(CONSENT_PURPOSES)
    if unknown:
        raise ValueError(f"unknown consent purposes {sorted(unknown)!r}")
    changed = []
    with db.atomic():
        current = latest_rows(client_id)
        for purpose in CONSENT_PURPOSES:
            if purpose not in answers:
                continue
            in_force = current[purpose] is not None and current[purpose].granted
            if bool(answers[purpose]) != in_force and record(actor, client_id, purpose, answers[purpose], source):
                changed.append(purpose)
    return changed


def answers_version(client_id):
    """The id of the client's latest answer (0 when none): a staff form is filled in as of this version."""
    return _VERSION.plain(client_id)[0][0] or 0


def version_of(rows):
    """``answers_version`` as of ``latest_rows``' answers (0 when none): the latest answer of all is the
    latest of its purpose, so they hold it (and it is the version of the very answers a form shows)."""
    return max((row.id for row in rows.values() if row is not None), default=0)


def may_record_grants(actor):
    """The front desk and administrators take signed forms; counselors, who send campaigns, may record a
    withdrawal the client tells them but not a consent being given."""
    return actor is not None and actor.user is not None and actor.user.has_role(*GRANTING_ROLES)


def record_for_client(actor, client_id, answers, source, client_confirmed, seen_version):
    """Staff record the answers a client gave them (paper form, in person, phone) on the client's page.

    Only what the client said themselves may be recorded, so staff confirm it; the source says how it was
    given. ``seen_version`` is the ``answers_version`` the form showed: if the client changed an answer
    meanwhile (say through the link in an email), nothing is recorded (Conflict) rather than overwriting
    it with what the page showed. Raises NotFound for an unknown client, ValidationError (by field) for a
    missing confirmation, an unknown source or a consent given by a role that may not record one. Returns
    the purposes whose answer changed (each change audited with the recorder).
    """
    if not Client.select().where(Client.id == client_id).exists():
        raise NotFound(_l("No such client."))
    errors = {}
    if source not in STAFF_SOURCES:
        errors["source"] = _l("Choose how the client gave these answers.")
    if not client_confirmed:
        errors["confirmed"] = _l("Record only answers the client gave themselves, and confirm that they did.")
    with db.atomic():
        if not may_record_grants(actor):
            for purpose in CONSENT_PURPOSES:
                if answers.get(purpose) and not has_consent(client_id, purpose):
                    errors[purpose] = _l(
                        "Only the front desk or an administrator records a consent being "
                        "given. You can record a withdrawal."
                    )
        if errors:
            raise ValidationError(_l("Nothing was recorded: check the marked fields."), errors)
        if answers_version(client_id) != seen_version:
            raise Conflict(
                _l(
                    "The client's answers changed while this page was open (for example through "
                    "the link in an email). Nothing was recorded: check the answers below and record "
                    "again."
                )
            )
        return record_changes(actor, client_id, answers, source)


def withdraw_marketing(actor, client_id, source="unsubscribe_link"):
    """Withdraw every marketing purpose at once; the next send already leaves the client out."""
    return record_changes(actor, client_id, {purpose: False for purpose in MARKETING_PURPOSES}, source)


def client_for_token(token):
    """The client a manage link names; NotFound for a forged token or a removed client."""
    client_id = client_id_from_token(token)
    client = Client.get_or_none(Client.id == client_id) if client_id is not None else None
    if client is None:
        raise NotFound(_l("This link is not valid. Use the link in our most recent email, or sign in."))
    return client


def mask_name(name):
    """'王芳' -> '王*', 'Jane Smith' -> 'J*** S****': enough to recognise oneself, no more."""
    parts = [p for p in (name or "").split() if p]
    return " ".join(p[0] + "*" * max(len(p) - 1, 1) for p in parts) or "—"


def mask_email(email):
    """'jane.smith@example.com' -> 'j***@example.com'."""
    local, at, domain = (email or "").partition("@")
    if not at:
        return ""
    return f"{local[:1]}***@{domain}"
