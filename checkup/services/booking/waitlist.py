"""The waitlist: a full day's freed places are offered, in order, with a real hold on the place."""

import datetime
import hashlib
import secrets

from flask import current_app
from flask_babel import lazy_gettext as _l

from checkup.core import audit, clock, tasks
from checkup.core.arguments import valid_id
from checkup.core.errors import NotFound, ValidationError
from checkup.core.prepared import PreparedSelect
from checkup.models import Client, ResourceDay, Slot, WaitlistEntry
from checkup.models.appointments import CLAIMED, EXPIRED, LEFT, OFFERED, WAITING
from checkup.models.base import db
from checkup.services.booking import availability, booking


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _utcnow():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def check_one_upcoming(client_id):
    """The booking's one-upcoming rule, asked when a client joins a waitlist (the offer would book a
    waitlist checkup, which the rule counts): ValidationError when the client already has an upcoming
    individual checkup. Runs inside the caller's transaction (it locks the client's row)."""
    booking._check_one_upcoming(client_id, "waitlist", allow_second=False)


def join(actor, client_id, day, package_code, addon_codes=()):
    """Put a client on a day's waitlist for a package; refused if the day has room or is past, or if the
    client already has an upcoming checkup (one at a time: change that one instead)."""
    client = Client.get_or_none(Client.id == client_id)
    if client is None:
        raise NotFound(_l("No such client."))
    offer = booking.quote(client, package_code, addon_codes)
    if day <= clock.today():
        raise ValidationError(_l("Choose a day after today."), {"day": _l("Choose a day after today.")})
    slots = availability.day_slots(day, offer.resource_ids)
    if not slots:
        raise ValidationError(
            _l("The center is not open for checkups on that day."),
            {"day": _l("The center is not open for checkups on that day.")},
        )
    if any(free for _, free in slots):
        raise ValidationError(
            _l("That day still has free places: book one instead."),
            {"day": _l("That day still has free places: book one instead.")},
        )
    if (
        WaitlistEntry.select()
        .where(
            WaitlistEntry.client == client.id, WaitlistEntry.day == day, WaitlistEntry.status.in_([WAITING, OFFERED])
        )
        .exists()
    ):
        raise ValidationError(
            _l("You are already on the waitlist for that day."),
            {"day": _l("You are already on the waitlist for that day.")},
        )
    with db.atomic():
        check_one_upcoming(client.id)
        entry = WaitlistEntry.create(
            client=client,
            day=day,
            package=offer.package,
            addon_codes=",".join(sorted(m.module.code for m in offer.modules)),
        )
        audit.record(actor, "waitlist.joined", entry, day=str(day))
    return entry


def _entry_resources(entry):
    client = entry.client
    try:
        return booking.quote(client, entry.package.code, [c for c in entry.addon_codes.split(",") if c]).resource_ids
    except ValidationError:
        return None  # the package or an add-on is no longer offered


def _hold(slot, resource_ids):
    """Hold one place in the slot and each resource; False if any is full (nothing held then)."""
    with db.atomic() as txn:
        if not (
            Slot.update(held=Slot.held + 1)
            .where(Slot.id == slot.id, Slot.closed == False, Slot.booked + Slot.held + Slot.reserved < Slot.capacity)
            .execute()
        ):
            txn.rollback()
            return False
        for resource_id in resource_ids:
            if not (
                ResourceDay.update(held=ResourceDay.held + 1)
                .where(
                    ResourceDay.resource == resource_id,
                    ResourceDay.day == slot.day,
                    ResourceDay.booked + ResourceDay.held < ResourceDay.capacity,
                )
                .execute()
            ):
                txn.rollback()
                return False
    return True


def _unhold(slot_id, day, resource_ids):
    Slot.update(held=Slot.held - 1).where(Slot.id == slot_id, Slot.held > 0).execute()
    for resource_id in resource_ids:
        (
            ResourceDay.update(held=ResourceDay.held - 1)
            .where(ResourceDay.resource == resource_id, ResourceDay.day == day, ResourceDay.held > 0)
            .execute()
        )


@tasks.handler("waitlist.offer_places")
def offer_free_places(day_iso):
    """Offer the day's free places to waiting clients in the order they joined. Returns offers made."""
    day = datetime.date.fromisoformat(day_iso)
    expire_offers()
    made = 0
    hours = current_app.config.get("WAITLIST_HOLD_HOURS", 2)
    waiting = list(
        WaitlistEntry.select()
        .where(WaitlistEntry.day == day, WaitlistEntry.status == WAITING)
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
    )
    for entry in waiting:
        resources = _entry_resources(entry)
        if resources is None:
            continue
        for slot, free in availability.day_slots(day, resources):
            if free and _hold(slot, resources):
                with db.atomic():
                    # the link's token is minted when the offer email is sent (never stored in the task)
                    entry.status, entry.slot, entry.token_hash = OFFERED, slot, None
                    entry.held_resources = ",".join(str(r) for r in resources)
                    entry.offered_at = _utcnow()
                    entry.offer_expires_at = entry.offered_at + datetime.timedelta(hours=hours)
                    entry.save()
                    audit.record(audit.SYSTEM, "waitlist.offered", entry, slot=slot.id)
                    tasks.defer("mail.waitlist_offer", entry.id)
                made += 1
                break
    return made


def mint_offer_token(entry_id):
    """A fresh link token for a live offer (the previous one, if any, stops working); None when the
    offer is no longer open."""
    token = secrets.token_urlsafe(24)
    changed = (
        WaitlistEntry.update(token_hash=_digest(token))
        .where(
            WaitlistEntry.id == entry_id, WaitlistEntry.status == OFFERED, WaitlistEntry.offer_expires_at > _utcnow()
        )
        .execute()
    )
    return token if changed else None


@tasks.handler("waitlist.offer_places_between")
def offer_free_places_between(start_iso, end_iso):
    start, end = datetime.date.fromisoformat(start_iso), datetime.date.fromisoformat(end_iso)
    days = (
        WaitlistEntry.select(WaitlistEntry.day)
        .distinct()
        .where(WaitlistEntry.status == WAITING, WaitlistEntry.day.between(start, end))
    )
    return sum(offer_free_places(row.day.isoformat()) for row in days)


@tasks.handler("waitlist.expire_offers")
def expire_offers():
    """Release the holds of offers past their time and pass the places on. Returns how many expired."""
    now = _utcnow()
    expired = list(WaitlistEntry.select().where(WaitlistEntry.status == OFFERED, WaitlistEntry.offer_expires_at <= now))
    days = set()
    for entry in expired:
        with db.atomic():
            if (
                WaitlistEntry.update(status=EXPIRED, token_hash=None)
                .where(WaitlistEntry.id == entry.id, WaitlistEntry.status == OFFERED)
                .execute()
            ):
                _unhold(entry.slot_id, entry.day, [int(r) for r in entry.held_resources.split(",") if r])
                audit.record(audit.SYSTEM, "waitlist.offer_expired", entry)
                if entry.day not in days:
                    tasks.defer("waitlist.offer_places", entry.day.isoformat())
                days.add(entry.day)
    return len(expired)


def find_offer(token):
    entry = WaitlistEntry.get_or_none(WaitlistEntry.token_hash == _digest(token or ""))
    if entry is None or entry.status != OFFERED or entry.offer_expires_at <= _utcnow():
        raise ValidationError(_l("This offer has expired or was already used. You can join the waitlist again."))
    return entry


def claim(actor, token, client_id):
    """Turn a held offer into an appointment for the client it was made to."""
    with db.atomic():
        entry = find_offer(token)
        if entry.client_id != client_id:
            raise NotFound(_l("We could not find that offer."))
        if not (
            WaitlistEntry.update(status=CLAIMED, token_hash=None)
            .where(WaitlistEntry.id == entry.id, WaitlistEntry.status == OFFERED)
            .execute()
        ):
            raise ValidationError(_l("This offer has expired or was already used. You can join the waitlist again."))
        appointment = booking.book_held(actor, entry)
        audit.record(actor, "waitlist.claimed", entry, appointment=appointment.id)
        tasks.defer("mail.booking_confirmation", appointment.id, caused_by=actor.user_id)
    return appointment


def _entries_query(client_id):
    return (
        WaitlistEntry.select()
        .where(WaitlistEntry.client == client_id, WaitlistEntry.status.in_([WAITING, OFFERED]))
        .order_by(WaitlistEntry.day)
    )


# the client's appointments page reads it on every visit: built once, prepared on PostgreSQL
_ENTRIES = PreparedSelect(_entries_query, "checkup_waitlist_entries_for", samples=(-2_000_000_001,))


def entries_for(client_id):
    return _ENTRIES.rows(client_id) if valid_id(client_id) else []


def leave(actor, entry_id, client_id):
    with db.atomic():
        entry = WaitlistEntry.get_or_none(WaitlistEntry.id == entry_id, WaitlistEntry.client == client_id)
        if entry is None or entry.status not in (WAITING, OFFERED):
            raise NotFound(_l("We could not find that waitlist entry."))
        if entry.status == OFFERED:
            _unhold(entry.slot_id, entry.day, [int(r) for r in entry.held_resources.split(",") if r])
        WaitlistEntry.update(status=LEFT, token_hash=None).where(WaitlistEntry.id == entry.id).execute()
        audit.record(actor, "waitlist.left", entry)
        if entry.status == OFFERED:
            tasks.defer("waitlist.offer_places", entry.day.isoformat())
