"""Who an enrollment's person is: the roster's own record until the person proves who they are.

A roster import never looks at the center's other clients. Each row gets its own client record made from
what HR typed (``Client.roster_unverified_since`` set, the roster's national ID as ``roster_id_hash``,
never in the unique ``national_id_hash``), and HR books, moves and cancels for that record only. It is
joined to the center's own record of the person only on the person's proof, each join audited
(``enrollment.linked`` with the proof, on the enrollment, naming the client it joined):

- ``invitation``: they open their invitation while signed in to their own account and choose to use it
  (the roster record must still hold nothing but HR's data: no account, no checkup under way or done);
- ``details``: signed in to the account they made from the invitation, they give the birth date and the
  last four characters of the ID number of their earlier record (one with no account of its own: an
  account holder proves it by signing in). Wrong answers all look the same, and after
  ``DETAIL_ATTEMPTS`` only the front desk can join;
- ``front_desk``: before check-in the desk reads the ID card and finds the earlier record by its number.

Joining moves everything of the roster record (enrollment, appointments, messages …) to the person's
record and deletes it. The one exception is the desk joining a roster record someone made an account on:
the account and what it did stay (on a record that is no longer a roster's); only the enrollment and its
group appointments move (whoever holds the account proved nothing about the person at the desk).

At check-in, once the desk has confirmed the ID number, a roster record becomes an ordinary one (its ID
is its own from then on), unless the center has another record with that number: then the desk joins
them first.
"""

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from peewee import SQL, IntegrityError, fn

from checkup.core import audit, clock, national_id
from checkup.core.arguments import valid_id
from checkup.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from checkup.core.prepared import PreparedSelect
from checkup.models import Appointment, AuditEvent, Client, Enrollment, User
from checkup.models.appointments import BOOKED, CANCELLED
from checkup.models.base import db
from checkup.services.accounts import clients

INVITATION, DETAILS, FRONT_DESK = "invitation", "details", "front_desk"
DETAIL_ATTEMPTS = 5
REFUSED_ACTION = "enrollment.link_refused"
# rows that belong to the record they were made for and never follow it (a staff member's access grant)
STAY_WITH_RECORD = {"break_glass_access"}
_LAST4 = re.compile(r"[0-9]{3}[0-9X]")

CANNOT_JOIN = _l(
    "These records cannot be joined here: the earlier record is already on this company's "
    "roster or has another appointment the same day. Please call the center."
)
NO_MATCH = _l(
    "We could not match these details to an earlier record without an account of its own. If you "
    "have an account with us, sign in with it and open your invitation again; otherwise bring your "
    "ID card to the front desk on the day of your checkup."
)
TOO_MANY = _l(
    "Too many attempts. Bring your ID card to the front desk on the day of your checkup: they can join your records."
)


def is_roster_record(client):
    """True for a record a roster made that nobody has confirmed yet (see module doc)."""
    return client is not None and client.roster_unverified_since is not None


def _has_account(client_id):
    return User.select().where(User.client == client_id).exists()


def _enrollments_of(client_id):
    return list(Enrollment.select().where(Enrollment.client == client_id).order_by(Enrollment.id))


def _merge(record, into):
    """Every row naming ``record`` names ``into`` instead; then ``record`` is deleted if nothing else names it.
    Raises IntegrityError (the caller's transaction rolls back) when a unique rule forbids the move."""
    for field, model in Client._meta.backrefs.items():
        if model._meta.table_name not in STAY_WITH_RECORD:
            model.update({field: into.id}).where(field == record.id).execute()
    if not any(model.select().where(field == record.id).exists() for field, model in Client._meta.backrefs.items()):
        Client.delete().where(Client.id == record.id).execute()


def _move_enrollments(record, into):
    """Only the roster's part: the enrollments and the group appointments (a roster record has no other)."""
    Enrollment.update(client=into.id).where(Enrollment.client == record.id).execute()
    Appointment.update(client=into.id).where(Appointment.client == record.id, Appointment.source == "group").execute()


def _join(actor, record, into, proof, whole=True, **detail):
    """Move the roster record to ``into`` and audit one ``enrollment.linked`` per enrollment, in one
    transaction. Conflict (nothing changed) when a unique rule forbids it."""
    enrollments = _enrollments_of(record.id)
    try:
        with db.atomic():
            # the claim: of two joins (or a join and a check-in) of one record at once, one wins
            claimed = (
                Client.update(roster_unverified_since=None)
                .where(Client.id == record.id, Client.roster_unverified_since.is_null(False))
                .execute()
            )
            if not claimed:
                raise Conflict(_l("Someone else changed this client's records just now. Try again."))
            if whole:
                _merge(record, into)
            else:
                _move_enrollments(record, into)
            for enrollment in enrollments:
                audit.record(
                    actor,
                    "enrollment.linked",
                    enrollment,
                    proof=proof,
                    client=into.id,
                    roster_record=record.id,
                    contract=enrollment.contract_id,
                    **detail,
                )
    except IntegrityError:
        raise Conflict(CANNOT_JOIN)
    return enrollments


# --- (a) the invitation, opened while signed in ------------------------------------------------------------


def may_join_by_invitation(record):
    """A roster record that holds only HR's data: no account, no checkup checked in, done or missed."""
    if not is_roster_record(record) or _has_account(record.id):
        return False
    return not (
        Appointment.select()
        .where(Appointment.client == record.id, Appointment.status.not_in((BOOKED, CANCELLED)))
        .exists()
    )


def join_by_invitation(actor, enrollment, account):
    """Proof (a): the signed-in ``account`` takes the enrollment of an invitation it opened. Call with the
    link checked live and spend it in the caller's transaction. Returns the enrollment.

    Raises Conflict when the enrollment's record is not a bare roster record any more, or the move breaks
    a unique rule (already on the contract's roster, an appointment the same day)."""
    record = Client.get_or_none(Client.id == enrollment.client_id)
    into = Client.get_or_none(Client.id == account.client_id) if account.client_id else None
    if record is None or into is None or into.id == record.id or not may_join_by_invitation(record):
        raise Conflict(_l("This invitation cannot be moved to your account. Please call the center."))
    _join(actor, record, into, INVITATION, account=account.id)
    return Enrollment.get_by_id(enrollment.id)


# --- (b) the birth date and the last four characters of the ID, at first sign-in ---------------------------


def _client_at_home(client_id):
    return Client.select(
        Client.id,
        Client.name,
        Client.sex,
        Client.birth_date,
        Client.phone,
        Client.email,
        Client.national_id_cipher,
        Client.roster_unverified_since,
    ).where(Client.id == client_id)


# every client's home page reads it: its SQL built once (and prepared on PostgreSQL)
_CLIENT_AT_HOME = PreparedSelect(_client_at_home)


def client_home(client_id):
    """(ClientSummary or None, whether the home offers to join an earlier record) from one read of the record."""
    rows = _CLIENT_AT_HOME.rows(client_id) if valid_id(client_id) else []
    client = rows[0] if rows else None
    return clients.summary_of(client), is_roster_record(client)


def offers_earlier_records(client_id):
    """Whether the account's home offers to join an earlier record: its record is a roster record. Depends on
    nothing else (whether an earlier record exists is never shown)."""
    return is_roster_record(Client.get_or_none(Client.id == client_id)) if client_id else False


def _attempts_left(user_id):
    used = AuditEvent.select().where(AuditEvent.user == user_id, AuditEvent.action == REFUSED_ACTION).count()
    return max(0, DETAIL_ATTEMPTS - used)


def _last4(text):
    value = unicodedata.normalize("NFKC", text or "").strip().upper()
    return value if _LAST4.fullmatch(value) else None


def _earlier_records(record, birth_date):
    """Records the person may mean: born that day, not this one, not a roster record, an ID on file, no
    account; the one with the roster's ID number, or without one in the roster, with the same name."""
    query = Client.select().where(
        Client.id != record.id,
        Client.birth_date == birth_date,
        Client.roster_unverified_since.is_null(),
        Client.national_id_cipher.is_null(False),
        ~fn.EXISTS(User.select(SQL("1")).where(User.client == Client.id)),
    )
    if record.roster_id_hash:
        return query.where(Client.national_id_hash == record.roster_id_hash)
    return query.where(Client.name == record.name)


def join_earlier_record(user, birth_date, id_last4, ip=""):
    """Proof (b): the account made from an invitation joins the earlier record whose birth date and last
    four ID characters the person gives; the account then opens that record. Returns the joined client.

    Raises NotFound (the account's record is not a roster record), PermissionDenied (attempts used up),
    ValidationError (no single earlier record matches: the same answer whatever the reason; audited as a
    refused attempt) or Conflict (a unique rule forbids the move)."""
    record = Client.get_or_none(Client.id == user.client_id) if user.client_id else None
    if not is_roster_record(record):
        raise NotFound(_l("There is nothing to join for this account."))
    if _attempts_left(user.id) <= 0:
        raise PermissionDenied(TOO_MANY)
    actor = audit.Actor(user, ip)
    last4 = _last4(id_last4)
    matches = (
        []
        if last4 is None or birth_date is None
        else [
            c
            for c in _earlier_records(record, birth_date)
            if (national_id.decrypt(c.national_id_cipher) or "").upper().endswith(last4)
        ]
    )
    if len(matches) != 1:
        audit.record(actor, REFUSED_ACTION, record, proof=DETAILS)
        raise ValidationError(NO_MATCH)
    into = matches[0]
    _join(actor, record, into, DETAILS, account=user.id)
    return into


# --- (c) the front desk, with the ID card ------------------------------------------------------------------


def join_at_desk(actor, appointment_id, typed_national_id):
    """Proof (c): before check-in, the desk read the ID card of the person of a roster record's appointment
    of today and typed its number; the earlier record holding that number takes the enrollment (the whole
    roster record when nobody made an account on it). Returns the joined client.

    Raises NotFound (appointment), ValidationError (not today's booked appointment of a roster record, not
    an ID number, no other record holds it) or Conflict (a unique rule forbids the move)."""
    appointment = Appointment.select(Appointment, Client).join(Client).where(Appointment.id == appointment_id).first()
    if appointment is None:
        raise NotFound(_l("We could not find that appointment."))
    record = appointment.client
    if not is_roster_record(record) or appointment.status != BOOKED or appointment.day != clock.today():
        raise ValidationError(
            _l("Only the record a company roster made can be joined, before check-in on the day of the appointment.")
        )
    number = national_id.normalize(typed_national_id)
    if national_id.problem(number):
        message = _l("Type all 18 characters of the ID number on the card.")
        raise ValidationError(message, {"national_id": message})
    into = Client.get_or_none(Client.national_id_hash == national_id.lookup_hash(number), Client.id != record.id)
    if into is None:
        message = _l("The center has no other record with this ID number: check the person in with this record.")
        raise ValidationError(message, {"national_id": message})
    _join(actor, record, into, FRONT_DESK, whole=not _has_account(record.id), appointment=appointment.id)
    return into


# --- check-in ----------------------------------------------------------------------------------------------


def held_elsewhere(id_hashes):
    """Which of these roster ID hashes another record holds as its own (one query, none for no hash)."""
    hashes = sorted({h for h in id_hashes if h})
    if not hashes:
        return set()
    return {h for (h,) in Client.select(Client.national_id_hash).where(Client.national_id_hash.in_(hashes)).tuples()}


def confirm_at_check_in(client, confirmed_fields):
    """Call inside the check-in transaction. A roster record whose ID number the desk confirmed becomes an
    ordinary record with that number as its own; ValidationError if another record holds it (join first)."""
    if not is_roster_record(client) or not client.roster_id_hash or "national_id" not in confirmed_fields:
        return
    if held_elsewhere([client.roster_id_hash]):
        message = _l(
            "The center has another record with this ID number. Check the ID card and join the "
            "records before checking in."
        )
        raise ValidationError(message, {"national_id": message})
    try:
        with db.atomic():
            (
                Client.update(national_id_hash=client.roster_id_hash, roster_unverified_since=None)
                .where(Client.id == client.id)
                .execute()
            )
    except IntegrityError:  # another record took the number a moment ago
        raise Conflict(_l("Someone else changed this client's records just now. Reload the day sheet."))
