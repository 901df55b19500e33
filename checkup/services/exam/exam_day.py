"""The exam day at the front desk: check-in, no-shows and walk-ins (the day sheet: day_sheets.py; the guide
sheet's data: guide_sheets.py).

Counters: a check-in keeps the places it booked (checked-in is live). A no-show, marked only once its
slot is over, releases its slot and limited-resource places like a cancellation does, so
``Slot.booked``/``ResourceDay.booked`` keep meaning "live (booked or checked-in) appointments" — and
a CT place a no-show left is free again for a walk-in later that day.

Who checked a client in and when is kept in the audit log (``exam_day.checked_in``), with the identity
fields the desk confirmed; nothing else about the identity check is stored.

A record a company roster made (HR's data) is marked on the sheet: before check-in the desk may read the
ID card and join it to the center's earlier record of the person (``enrollment_identity.join_at_desk``);
checking it in with the ID number confirmed makes that number the record's own.
"""

from flask_babel import lazy_gettext as _l

from checkup.core import audit, clock
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.core.labels import choice_label
from checkup.models import Appointment, Client, Slot
from checkup.models.appointments import BOOKED, CHECKED_IN, NO_SHOW
from checkup.models.base import db, utcnow
from checkup.services.booking import booking
from checkup.services.exam import events
from checkup.services.groups import enrollment_identity

IDENTITY_FIELDS = ("name", "birth_date", "national_id")


class NoPlaceToday(Conflict):
    """No slot today still has room (or a limited resource the package needs is full)."""


def _appointment(appointment_id):
    appointment = (
        Appointment.select(Appointment, Client, Slot)
        .join_from(Appointment, Client)
        .join_from(Appointment, Slot)
        .where(Appointment.id == appointment_id)
        .first()
    )
    if appointment is None:
        raise NotFound(_l("We could not find that appointment."))
    return appointment


def required_identity_fields(client):
    return IDENTITY_FIELDS if client.national_id_cipher else IDENTITY_FIELDS[:2]


def _confirmed_identity(client, verified_fields):
    """The identity fields confirmed, or ValidationError naming those still to confirm."""
    confirmed = {f for f in (verified_fields or ()) if f in IDENTITY_FIELDS}
    missing = [f for f in required_identity_fields(client) if f not in confirmed]
    if missing:
        message = _l(
            "Confirm the client's identity first: tick that the name, birth date and ID number "
            "(when on file) match the person at the desk."
        )
        raise ValidationError(message, {f: message for f in missing})
    return sorted(confirmed & set(required_identity_fields(client)))


def check_in(actor, appointment_id, verified_fields):
    """Check a booked appointment of today in, once the desk confirmed the client's identity.

    Records who and when (audit ``exam_day.checked_in``, with the fields confirmed). A roster's record
    whose ID number was confirmed becomes an ordinary record (see module doc). Raises NotFound,
    ValidationError (another day, not booked, identity not confirmed, a roster's record whose ID number
    another record holds) or Conflict (checked in meanwhile).
    """
    appointment = _appointment(appointment_id)
    today = clock.today()
    if appointment.day != today:
        raise ValidationError(
            _l(
                "This appointment is on %(day)s. Clients can be checked in on the day of "
                "their appointment only (today is %(today)s).",
                day=appointment.day.isoformat(),
                today=today.isoformat(),
            )
        )
    if appointment.status != BOOKED:
        raise ValidationError(
            _l(
                "Only a booked appointment can be checked in; this one is %(status)s.",
                status=choice_label("appointment_status", appointment.status),
            )
        )
    confirmed = _confirmed_identity(appointment.client, verified_fields)
    with db.atomic():
        enrollment_identity.confirm_at_check_in(appointment.client, confirmed)
        changed = (
            Appointment.update(status=CHECKED_IN, updated_at=utcnow())
            .where(Appointment.id == appointment.id, Appointment.status == BOOKED)
            .execute()
        )
        if changed != 1:
            raise Conflict(_l("Someone else changed this appointment just now. Reload the day sheet."))
        audit.record(
            actor, "exam_day.checked_in", appointment, identity_confirmed=confirmed, exam_code=appointment.exam_code
        )
        events.appointment_checked_in.send(appointment, actor=actor)  # integrations: the webhook
    return Appointment.get_by_id(appointment.id)


def mark_no_show(actor, appointment_id):
    """Mark a booked appointment whose slot has ended as a no-show, releasing its places (see module doc).

    Raises NotFound, or ValidationError (slot not over yet, not booked).
    """
    appointment = _appointment(appointment_id)
    slot = appointment.slot
    if clock.local(slot.day, slot.end_time) > clock.now():
        raise ValidationError(
            _l(
                "A client can be marked as a no-show only after their time slot has ended (%(end)s on %(day)s).",
                end=slot.end_time.strftime("%H:%M"),
                day=slot.day.isoformat(),
            )
        )
    if appointment.status != BOOKED:
        raise ValidationError(
            _l(
                "Only a booked appointment can be marked as a no-show; this one is %(status)s.",
                status=choice_label("appointment_status", appointment.status),
            )
        )
    with db.atomic():
        changed = (
            Appointment.update(status=NO_SHOW, live_day=None, updated_at=utcnow())
            .where(Appointment.id == appointment.id, Appointment.status == BOOKED)
            .execute()
        )
        if changed != 1:
            raise Conflict(_l("Someone else changed this appointment just now. Reload the day sheet."))
        booking._release(appointment.slot_id, appointment.day, booking.resource_ids_of(appointment.id))
        events.appointment_no_show.send(appointment, actor=actor)  # money: a contract's no-show charge
        audit.record(actor, "exam_day.no_show", appointment, exam_code=appointment.exam_code)
    return Appointment.get_by_id(appointment.id)


def walk_in_slots():
    """Today's slots still under way or to come that have a free place, earliest first."""
    now = clock.now()
    slots = (
        Slot.select()
        .where(Slot.day == now.date(), Slot.closed == False, Slot.booked + Slot.held < Slot.capacity)
        .order_by(Slot.start_time)
    )
    return [s for s in slots if clock.local(s.day, s.end_time) > now]


def register_walk_in(actor, client_id, package_code, verified_fields=None):
    """Book a client who walked in into today's current or next slot with room, and check them in at once.

    Identity is confirmed as for any check-in. Raises NotFound (client), ValidationError (package not
    allowed, already booked today, identity not confirmed) or NoPlaceToday.
    """
    client = booking.client_for(client_id)
    booking.quote(client, package_code)  # an ineligible package fails here, before any place is taken
    _confirmed_identity(client, verified_fields)
    today = clock.today()
    if Appointment.select().where(Appointment.client == client.id, Appointment.live_day == today).exists():
        raise ValidationError(_l("This client already has an appointment today: check them in from the day sheet."))
    appointment = None
    for slot in walk_in_slots():
        try:
            appointment = booking.book(actor, client.id, slot.id, package_code, source="walk_in", allow_started=True)
            break
        except booking.PlaceTaken:
            continue  # that slot (or a resource) filled up meanwhile: try the next one
    if appointment is None:
        raise NoPlaceToday(_l("No place left today for this package. Book the client on another day."))
    return check_in(actor, appointment.id, verified_fields)
