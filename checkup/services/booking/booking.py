"""Booking: quotes, availability, book, cancel, reschedule — never overbooked.

Places are taken only by conditional UPDATEs (``booked = booked + 1 WHERE booked +
held + reserved < capacity``) inside one transaction that also writes the appointment, so a
booking holds its slot and every limited resource, or nothing. Slot first, then
resources in id order: concurrent bookings lock rows in the same order. A group booking
may instead take one of its contract's reserved places (``reserved_for``): the
reservation row first, then the slot (``reserved - 1, booked + 1``).
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l
from peewee import JOIN, IntegrityError, PostgresqlDatabase

from checkup.core import audit, clock, tasks
from checkup.core.arguments import valid_id
from checkup.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from checkup.core.i18n import localized
from checkup.core.plain_models import models_of
from checkup.core.prepared import PreparedSelect
from checkup.models import (
    Appointment,
    AppointmentAddon,
    AppointmentItem,
    Client,
    ContractReservation,
    ExamItem,
    Package,
    PackageItem,
    ResourceDay,
    Slot,
)
from checkup.models.appointments import BOOKED, CANCELLED, LIVE_STATUSES
from checkup.models.base import db, utcnow
from checkup.services.booking import appointments, events, exam_codes, payment_holds
from checkup.services.catalog import addon_modules
from checkup.services.catalog.addon_modules import active_modules_with_items
from checkup.services.catalog.packages import age_on, fits, ineligibility, module_ineligibility

# Checkups a client books for themself (or the desk or the waitlist for them): one upcoming at a time, unless
# staff override. Company (group) checkups and walk-ins are not counted.
INDIVIDUAL_SOURCES = ("individual", "desk", "waitlist")


class PlaceTaken(Conflict):
    """The slot or a limited resource filled up while the client was choosing."""


@dataclass
class Line:
    item: ExamItem
    price: Decimal
    payer: str = "self"
    is_addon: bool = False


@dataclass
class ModuleLine:
    """An add-on module bought, at its price for this package (what the package already has is not paid twice)."""

    module: object  # AddonModule
    price: Decimal


@dataclass
class Quote:
    package: Package
    lines: list = field(default_factory=list)
    modules: list = field(default_factory=list)  # ModuleLine
    # a group contract's terms: its discount on the package, and whether the company pays the package
    discount_percent: Decimal = Decimal("0")
    company_pays: bool = False
    # every item of the package (those that do not fit the client too): what an add-on cannot add again
    package_item_ids: frozenset = frozenset()

    @property
    def package_price(self):
        """The package at the contract's discount (the list price without one), to the cent."""
        discounted = self.package.price * (Decimal("100") - Decimal(self.discount_percent)) / Decimal("100")
        return discounted.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def total(self):
        return self.package_price + self.addon_total

    @property
    def company_amount(self):
        return self.package_price if self.company_pays else Decimal("0.00")

    @property
    def self_amount(self):
        """What the client pays: add-ons always, and the package unless the company pays it."""
        return self.total - self.company_amount

    @property
    def addon_total(self):
        return sum((line.price for line in self.lines if line.is_addon), Decimal("0"))

    @property
    def resource_ids(self):
        return sorted({line.item.resource_id for line in self.lines if line.item.resource_id})

    @property
    def items(self):
        return [line.item for line in self.lines]


def _client_query(client_id):
    return Client.select().where(Client.id == client_id).limit(1)


def _package_query(code):
    return Package.select().where((Package.code == code) & (Package.active == True)).limit(1)


def _package_items_query(package_id):
    return ExamItem.select().join(PackageItem).where(PackageItem.package == package_id).order_by(ExamItem.code)


# built once, prepared on PostgreSQL: a client's booking pages read these on every visit
_CLIENT = PreparedSelect(_client_query, "checkup_booking_client", samples=(-2_000_000_001,))
_PACKAGE = PreparedSelect(_package_query, "checkup_booking_package", samples=("\x00no such code",))
_PACKAGE_ITEMS = PreparedSelect(_package_items_query, "checkup_booking_package_items")


def _client(client_id):
    if not valid_id(client_id):
        raise NotFound(_l("No such client."))
    found = models_of(Client, _CLIENT.plain(client_id))  # plain columns: no peewee conversions
    if not found:
        raise NotFound(_l("No such client."))
    return found[0]


def client_for(client_id):
    return _client(client_id)


def client_or_none(client_id):
    """The client's row, or None (as ``Client.get_or_none``): the same prepared statement as ``client_for``."""
    if not valid_id(client_id):
        return None
    found = models_of(Client, _CLIENT.plain(client_id))
    return found[0] if found else None


def slot_or_none(slot_id):
    if not valid_id(slot_id):  # also no number past a 32-bit key: none can exist
        return None
    return Slot.get_or_none(Slot.id == slot_id)


def _package_item_ids(package):
    return {row.item_id for row in PackageItem.select(PackageItem.item).where(PackageItem.package == package.id)}


def _new_items(module, taken, sex, age):
    """The module's items the client gets from it: not already ``taken`` and fit for their sex and age."""
    return [link.item for link in module.module_items if link.item_id not in taken and fits(link.item, sex, age)]


def addon_choices(package, client=None, day=None, package_item_ids=None):
    """Active add-on modules that add an item to the package; with ``client``, only those fit for their sex
    and their age on the exam ``day`` (today when no day is chosen yet). Three queries whatever the number
    of modules (two given ``package_item_ids``, the package's items a quote read already)."""
    taken = _package_item_ids(package) if package_item_ids is None else package_item_ids
    sex, age = (client.sex, age_on(client.birth_date, day or clock.today())) if client is not None else (None, None)
    choices = []
    for module in active_modules_with_items():
        if client is not None and module_ineligibility(module, sex, age):
            continue
        items = [
            link.item
            for link in module.module_items
            if link.item_id not in taken and (client is None or fits(link.item, sex, age))
        ]
        if items:
            module.offered_price = addon_modules.module_price(module, items)
            module.offered_items = items
            choices.append(module)
    return choices


def quote(client, package_code, addon_codes=(), day=None, package=None):
    """Price and items for a package plus add-on modules (by code), for a checkup on ``day`` (the slot's day;
    today when none is chosen yet — ``book`` quotes again with the slot's day).

    The package and every module must fit the client's sex and their age on ``day`` (else ValidationError with
    the reason, on
    "package" or "addons"); a package item that does not fit them (a sex-specific item) is left out. A
    module's items already in the package are not added again, and its price drops in proportion. Raises
    ValidationError for anything not allowed. ``package``: the active package of that code when the caller
    has read it already (an offer's), so it is not read again.
    """
    if package is None or package.code != package_code:
        found = models_of(Package, _PACKAGE.plain(str(package_code or "")))
        package = found[0] if found else None
    if package is None:
        raise ValidationError(_l("Choose a package from the list."), {"package": _l("Choose a package from the list.")})
    sex, age = client.sex, age_on(client.birth_date, day or clock.today())
    reason = ineligibility(package, sex, age)
    if reason:
        raise ValidationError(reason, {"package": reason})
    items = models_of(ExamItem, _PACKAGE_ITEMS.plain(package.id))  # plain columns: no peewee conversions
    lines = [Line(item, item.price, "self") for item in items if fits(item, sex, age)]
    offer = Quote(package, lines, package_item_ids=frozenset(item.id for item in items))
    codes = sorted({str(c)[:20] for c in (addon_codes or []) if c})[:30]
    if codes:
        modules = {m.code: m for m in active_modules_with_items(codes)}
        unknown = [c for c in codes if c not in modules]
        if unknown:
            message = _l("These add-ons cannot be added to this package: %(codes)s.", codes=", ".join(unknown)[:200])
            raise ValidationError(message, {"addons": message})
        taken = {item.id for item in items}
        for code in codes:
            module = modules[code]
            reason = module_ineligibility(module, sex, age)
            if reason:
                raise ValidationError(reason, {"addons": reason})
            new_items = _new_items(module, taken, sex, age)
            if not new_items:
                message = _l("Your choice already includes everything in %(name)s.", name=localized(module))
                raise ValidationError(message, {"addons": message})
            price = addon_modules.module_price(module, new_items)
            offer.modules.append(ModuleLine(module, price))
            offer.lines += [
                Line(item, share, "self", True)
                for item, share in zip(new_items, addon_modules.price_shares(price, new_items), strict=True)
            ]
            taken.update(item.id for item in new_items)
    return offer


def _slot_start(slot):
    return clock.local(slot.day, slot.start_time)


def _claim_reserved(slot_id, contract_id):
    """Turn one of the contract's reserved places in the slot into a booking; False if none is left."""
    if not (
        ContractReservation.update(remaining=ContractReservation.remaining - 1)
        .where(
            ContractReservation.contract == contract_id,
            ContractReservation.slot == slot_id,
            ContractReservation.remaining > 0,
            ContractReservation.released_at.is_null(),
        )
        .execute()
    ):
        return False
    if (
        Slot.update(booked=Slot.booked + 1, reserved=Slot.reserved - 1)
        .where(Slot.id == slot_id, Slot.closed == False, Slot.reserved > 0)
        .execute()
    ):
        return True
    # a closed day (or a drifted counter): give the reservation its place back and try the public pool
    (
        ContractReservation.update(remaining=ContractReservation.remaining + 1)
        .where(ContractReservation.contract == contract_id, ContractReservation.slot == slot_id)
        .execute()
    )
    return False


def _claim(slot_id, day, resource_ids, held=False, reserved_for=None):
    """Take one place in the slot and in each resource (or convert a hold into a booking).

    ``reserved_for`` (a contract id) takes one of that contract's reserved places in the slot when it
    has one left, else a public place.
    """
    if held:
        taken = (
            Slot.update(booked=Slot.booked + 1, held=Slot.held - 1).where(Slot.id == slot_id, Slot.held > 0).execute()
        )
    elif reserved_for is not None and _claim_reserved(slot_id, reserved_for):
        taken = 1
    else:
        taken = (
            Slot.update(booked=Slot.booked + 1)
            .where(Slot.id == slot_id, Slot.closed == False, Slot.booked + Slot.held + Slot.reserved < Slot.capacity)
            .execute()
        )
    if taken != 1:
        raise PlaceTaken(_l("Sorry, this time slot just filled up. Please choose another time."))
    for resource_id in resource_ids:
        query = ResourceDay.update(booked=ResourceDay.booked + 1, **({"held": ResourceDay.held - 1} if held else {}))
        condition = (ResourceDay.held > 0) if held else (ResourceDay.booked + ResourceDay.held < ResourceDay.capacity)
        if query.where(ResourceDay.resource == resource_id, ResourceDay.day == day, condition).execute() != 1:
            raise PlaceTaken(
                _l("Sorry, an examination in your choice is fully booked on this day. Please choose another day.")
            )


def _release(slot_id, day, resource_ids):
    Slot.update(booked=Slot.booked - 1).where(Slot.id == slot_id, Slot.booked > 0).execute()
    for resource_id in resource_ids:
        (
            ResourceDay.update(booked=ResourceDay.booked - 1)
            .where(ResourceDay.resource == resource_id, ResourceDay.day == day, ResourceDay.booked > 0)
            .execute()
        )


def _new_exam_code(day):
    return exam_codes.new_exam_code()  # date-free: a moved appointment keeps its code


def _bookable_slot(slot_id, allow_started=False):
    """A slot open for booking; ``allow_started`` (walk-ins at the desk) also takes today's slot under way."""
    try:
        in_range = 0 < int(slot_id) < 2**31  # a forged huge number is no slot, not a 500
    except (TypeError, ValueError):
        in_range = False
    slot = Slot.get_or_none(Slot.id == slot_id) if in_range else None
    if slot is None:
        raise ValidationError(_l("Choose a time from the list."), {"slot": _l("Choose a time from the list.")})
    if slot.closed:
        raise ValidationError(
            _l("The center is closed on that day. Please choose another day."),
            {"slot": _l("The center is closed on that day.")},
        )
    now = clock.now()
    under_way = allow_started and slot.day == now.date() and clock.local(slot.day, slot.end_time) > now
    if _slot_start(slot) <= now and not under_way:
        raise ValidationError(
            _l("That time has already passed. Please choose a later time."),
            {"slot": _l("That time has already passed.")},
        )
    return slot


def _lock_client(client_id):
    """Hold the client's row until the booking transaction ends, so two bookings for one client on different
    days take turns at the one-upcoming check (neither sees the other's uncommitted appointment otherwise).
    PostgreSQL: ``SELECT … FOR UPDATE``; SQLite opens every transaction IMMEDIATE (database.py), which already
    serialises writers, so the plain read is enough there."""
    query = Client.select(Client.id).where(Client.id == client_id)
    if isinstance(db.obj, PostgresqlDatabase):
        query = query.for_update()
    query.scalar()


def _check_one_upcoming(client_id, source, allow_second):
    """One upcoming individual checkup per client: the other one, when staff override; else ValidationError.
    Runs inside the booking transaction, the client's row locked first (``_lock_client``)."""
    if source not in INDIVIDUAL_SOURCES:
        return None
    _lock_client(client_id)
    other = (
        Appointment.select(Appointment.id, Appointment.day, Appointment.exam_code)
        .where(
            Appointment.client == client_id,
            Appointment.status.in_(LIVE_STATUSES),
            Appointment.day >= clock.today(),
            Appointment.source.in_(INDIVIDUAL_SOURCES),
        )
        .order_by(Appointment.day)
        .first()
    )
    if other is None or allow_second:
        return other
    if source == "desk":
        message = _l(
            "This client already has an upcoming checkup on %(day)s (exam code %(code)s). Change that one, or "
            "tick “Book a second checkup” to book another.",
            day=other.day.isoformat(),
            code=other.exam_code,
        )
    else:
        message = _l(
            "You already have an upcoming checkup on %(day)s. Change or cancel it instead of booking another.",
            day=other.day.isoformat(),
        )
    raise ValidationError(message, {"slot": message})


def _check_one_per_day(client_id, day, except_id=None):
    query = Appointment.select().where(Appointment.client == client_id, Appointment.live_day == day)
    if except_id:
        query = query.where(Appointment.id != except_id)
    if query.exists():
        raise ValidationError(
            _l("You already have an appointment on %(day)s. One checkup per day.", day=day),
            {"slot": _l("You already have an appointment on this day.")},
        )


def book(
    actor,
    client_id,
    slot_id,
    package_code,
    addon_codes=(),
    idempotency_key=None,
    source="individual",
    allow_started=False,
    offer=None,
    reserved_for=None,
    on_booked=None,
    allow_second=False,
):
    """Book a slot for a client: all places claimed in one transaction, or none.

    The same ``idempotency_key`` returns the appointment it already made. ``allow_started`` lets the
    front desk put a walk-in into today's slot that has begun but not ended. A group booking passes
    its own ``offer`` (a Quote with the contract's terms; ``package_code`` and ``addon_codes`` are then
    unused), ``reserved_for`` (the contract whose reserved places to take first) and ``on_booked``,
    called with the new appointment inside the transaction (what it raises undoes the booking).
    A client has one upcoming individual checkup at a time; ``allow_second`` (staff only) books another,
    audited as ``booking.second_checkup_override``.
    Raises ValidationError (bad choice, a second checkup), PlaceTaken (full), NotFound (unknown client).
    """
    key = (idempotency_key or "")[:64] or None
    if key:
        existing = Appointment.get_or_none(Appointment.idempotency_key == key)
        if existing is not None and existing.client_id == client_id:
            return existing
    client = _client(client_id)
    if offer is None:  # eligibility by the client's age on the exam day, not today
        slot = slot_or_none(slot_id)
        offer = quote(client, package_code, addon_codes, day=slot.day if slot is not None else None)
    try:
        with db.atomic():
            slot = _bookable_slot(slot_id, allow_started=allow_started)
            appointment = _create(
                actor, client, slot, offer, key, source, reserved_for=reserved_for, allow_second=allow_second
            )
            if on_booked is not None:
                on_booked(appointment)
            payment_holds.booked(appointment)  # money: charges posted; a prepayment hold
            tasks.defer("mail.booking_confirmation", appointment.id, caused_by=actor.user_id)
    except IntegrityError:
        # a concurrent twin of this request (same key) or another booking the same day won the race
        if key:
            existing = Appointment.get_or_none(Appointment.idempotency_key == key)
            if existing is not None and existing.client_id == client_id:
                return existing
        raise ValidationError(
            _l("You already have an appointment on that day. One checkup per day."),
            {"slot": _l("You already have an appointment on this day.")},
        )
    return appointment


def _create(actor, client, slot, offer, key, source, held=False, reserved_for=None, allow_second=False):
    """Claim the places and write the appointment with its item and add-on snapshot (inside the caller's
    transaction)."""
    _check_one_per_day(client.id, slot.day)
    second_to = _check_one_upcoming(client.id, source, allow_second)
    _claim(slot.id, slot.day, offer.resource_ids, held=held, reserved_for=reserved_for)
    appointment = Appointment.create(
        exam_code=_new_exam_code(slot.day),
        client=client,
        slot=slot,
        day=slot.day,
        live_day=slot.day,
        package=offer.package,
        status=BOOKED,
        source=source,
        total_price=offer.total,
        company_amount=offer.company_amount,
        self_amount=offer.self_amount,
        idempotency_key=key,
        booked_by=actor.user_id,
    )
    AppointmentItem.insert_many(
        [
            {
                "appointment": appointment.id,
                "item": line.item.id,
                "price": line.price,
                "payer": line.payer,
                "is_addon": line.is_addon,
                "resource": line.item.resource_id,
            }
            for line in offer.lines
        ]
    ).execute()
    if offer.modules:
        AppointmentAddon.insert_many(
            [{"appointment": appointment.id, "module": m.module.id, "price": m.price} for m in offer.modules]
        ).execute()
    audit.record(
        actor,
        "booking.booked",
        appointment,
        slot=str(slot.day),
        source=source,
        addons=[m.module.code for m in offer.modules],
    )
    if second_to is not None:
        audit.record(
            actor, "booking.second_checkup_override", appointment, other=second_to.id, other_day=str(second_to.day)
        )
    events.appointment_booked.send(appointment, actor=actor)  # integrations: the webhook
    return appointment


def book_held(actor, entry):
    """Book the place a waitlist offer holds (inside the caller's transaction)."""
    slot = entry.slot
    offer = quote(
        entry.client,
        entry.package.code,
        [c for c in entry.addon_codes.split(",") if c],
        day=slot.day if slot is not None else None,
    )
    held = [int(r) for r in entry.held_resources.split(",") if r]
    if slot is None or offer.resource_ids != held or _slot_start(slot) <= clock.now():
        raise ValidationError(_l("This offer can no longer be booked. Please choose another time."))
    return _create(actor, entry.client, slot, offer, None, "waitlist", held=True)


def _resource_ids_query(appointment_id):
    return (
        AppointmentItem.select(AppointmentItem.resource)
        .where(AppointmentItem.appointment == appointment_id, AppointmentItem.resource.is_null(False))
        .tuples()
    )


# the appointment pages (the client's reschedule, the desk's detail) read it on every visit
_RESOURCE_IDS = PreparedSelect(_resource_ids_query, "checkup_booking_resource_ids")


def resource_ids_of(appointment_id):
    return sorted({resource_id for (resource_id,) in _RESOURCE_IDS.plain(appointment_id)})


def _own_appointment_query(appointment_id, client_id):
    return Appointment.select().where(Appointment.id == appointment_id, Appointment.client == client_id).limit(1)


def _appointment_query(appointment_id):
    return Appointment.select().where(Appointment.id == appointment_id).limit(1)


# a client's appointment pages read it on every visit: built once, prepared on PostgreSQL
_OWN_APPOINTMENT = PreparedSelect(
    _own_appointment_query, "checkup_booking_own_appointment", samples=(-2_000_000_001, -2_000_000_002)
)
_APPOINTMENT = PreparedSelect(_appointment_query, "checkup_booking_appointment", samples=(-2_000_000_001,))


def _own_appointment_with_package_query(appointment_id, client_id):
    return (
        Appointment.select(Appointment, Package)
        .join(Package, JOIN.LEFT_OUTER)
        .where(Appointment.id == appointment_id, Appointment.client == client_id)
        .limit(1)
    )


def _own_appointment_with_slot_query(appointment_id, client_id):
    return (
        Appointment.select(Appointment, Slot)
        .join(Slot)
        .where(Appointment.id == appointment_id, Appointment.client == client_id)
        .limit(1)
    )


# the client's money page names the package, the reschedule page the slot: read with the appointment
_OWN_APPOINTMENT_WITH = {
    "package": PreparedSelect(
        _own_appointment_with_package_query,
        "checkup_booking_own_appointment_package",
        samples=(-2_000_000_001, -2_000_000_002),
    ),
    "slot": PreparedSelect(
        _own_appointment_with_slot_query,
        "checkup_booking_own_appointment_slot",
        samples=(-2_000_000_001, -2_000_000_002),
    ),
}


def get_appointment(appointment_id, client_id=None, with_related=None):
    """An appointment; with ``client_id`` only that client's own (another's is a 404 like a missing one).
    ``with_related`` ("package" or "slot", with ``client_id``): that row attached, in the same query."""
    if not valid_id(appointment_id):
        found = []
    elif client_id is not None and with_related is not None:
        found = _OWN_APPOINTMENT_WITH[with_related].rows(appointment_id, client_id)
    elif client_id is not None:
        found = _OWN_APPOINTMENT.rows(appointment_id, client_id)
    else:
        found = _APPOINTMENT.rows(appointment_id)
    appointment = found[0] if found else None
    if appointment is None:
        raise appointment_not_found()
    return appointment


def appointment_not_found():
    """What ``get_appointment`` raises for an appointment that is not there (or not the client's)."""
    return NotFound(_l("We could not find that appointment."))


def cutoff_passed(appointment):
    hours = current_app.config.get("BOOKING_CUTOFF_HOURS", 24)
    return clock.now() >= _slot_start(appointment.slot) - datetime.timedelta(hours=hours)


def _check_change_allowed(appointment, staff, reason):
    if appointment.status not in LIVE_STATUSES or appointment.status != BOOKED:
        raise ValidationError(_l("This appointment can no longer be changed."))
    if cutoff_passed(appointment):
        if not staff:
            raise PermissionDenied(
                _l(
                    "Changes are possible until %(hours)s hours before your appointment. "
                    "Please call the center at %(phone)s.",
                    hours=current_app.config.get("BOOKING_CUTOFF_HOURS", 24),
                    phone=current_app.config.get("CENTER_PHONE", ""),
                )
            )
        if not (reason or "").strip():
            raise ValidationError(
                _l("Give a reason for changing an appointment after the cutoff."),
                {"reason": _l("Give a reason for changing an appointment after the cutoff.")},
            )
        return True
    return False


def cancel(actor, appointment_id, reason, client_id=None, staff=False):
    """Cancel a live appointment and free its places; the waitlist for that day is offered them."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_l("Tell us why you are cancelling."), {"reason": _l("Tell us why you are cancelling.")})
    with db.atomic():
        appointment = get_appointment(appointment_id, client_id)
        override = _check_change_allowed(appointment, staff, reason)
        changed = (
            Appointment.update(
                status=CANCELLED, live_day=None, cancelled_at=utcnow(), cancel_reason=reason[:300], updated_at=utcnow()
            )
            .where(Appointment.id == appointment.id, Appointment.status == BOOKED)
            .execute()
        )
        if changed != 1:
            raise ValidationError(_l("This appointment can no longer be changed."))
        _release(appointment.slot_id, appointment.day, resource_ids_of(appointment.id))
        payment_holds.cancelled(appointment, late=override)  # money: the cancellation credited
        audit.record(
            actor, "booking.cancelled_override" if override else "booking.cancelled", appointment, reason=reason[:300]
        )
        events.appointment_cancelled.send(appointment, actor=actor)  # integrations: the webhook
        tasks.defer("waitlist.offer_places", appointment.day.isoformat())
        appointments.owe_calendar_update(actor, appointment.id, "cancelled")  # the cancelling .ics, emailed
    return appointment


# Rules a move must pass, by appointment source: rule(appointment, slot) -> the contract id whose reserved
# places the new slot may give (or None), raising ValidationError when the move is refused. The groups
# domain, which builds on this module, registers the one for group appointments.
MOVE_RULES: dict[str, Callable[[Appointment, Slot], int | None]] = {}


def _group_contract_for_move(appointment, slot):
    """The contract whose reserved places a group appointment may take in ``slot`` (None for others)."""
    rule = MOVE_RULES.get(appointment.source)
    return rule(appointment, slot) if rule else None


def reschedule(actor, appointment_id, new_slot_id, client_id=None, staff=False, reason=""):
    """Move a live appointment to another slot: the new places are claimed before the old ones are freed.

    A group appointment stays within its contract's window, takes one of the contract's reserved
    places on the new slot when one is left, and gives its old place to the public pool.
    """
    with db.atomic():
        appointment = get_appointment(appointment_id, client_id)
        override = _check_change_allowed(appointment, staff, reason)
        slot = _bookable_slot(new_slot_id)
        if slot.id == appointment.slot_id:
            raise ValidationError(_l("Choose a different time."), {"slot": _l("Choose a different time.")})
        _check_one_per_day(appointment.client_id, slot.day, except_id=appointment.id)
        contract_id = _group_contract_for_move(appointment, slot)
        resources = resource_ids_of(appointment.id)
        old_slot_id, old_day = appointment.slot_id, appointment.day
        _claim(slot.id, slot.day, resources, reserved_for=contract_id)
        _release(old_slot_id, old_day, resources)
        (
            Appointment.update(slot=slot, day=slot.day, live_day=slot.day, reminder_sent_at=None, updated_at=utcnow())
            .where(Appointment.id == appointment.id)
            .execute()
        )
        audit.record(
            actor,
            "booking.rescheduled_override" if override else "booking.rescheduled",
            appointment,
            before=str(old_day),
            after=str(slot.day),
            reason=(reason or "")[:300],
        )
        tasks.defer("waitlist.offer_places", old_day.isoformat())
        appointments.owe_calendar_update(actor, appointment.id, "rescheduled")  # the updated .ics, emailed
    return Appointment.get_by_id(appointment.id)
