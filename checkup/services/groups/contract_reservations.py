"""Places of a slot reserved for one company's contract, and their release back to everyone.

A reservation moves places into ``slot.reserved`` with one conditional UPDATE
(``reserved = reserved + n WHERE booked + held + reserved + n <= capacity``), so reserving never
overbooks a slot, on SQLite or PostgreSQL, however many people click at once. Giving places back is a
compare-and-set on ``reservation.remaining`` (it also moves when an employee books into a reserved
place), then ``slot.reserved - remaining`` in the same transaction: each place goes back exactly once.
"""

import datetime
import logging

from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

from checkup.core import audit, clock, tasks
from checkup.core.arguments import id_from_text, storable_id
from checkup.core.audit import SYSTEM
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.core.prepared import PreparedSelect
from checkup.models import ContractReservation, GroupContract, Slot
from checkup.models.base import db, utcnow
from checkup.models.groups import ACTIVE, DRAFT
from checkup.services.catalog.catalog import FIX_FIELDS, parse_number

log = logging.getLogger(__name__)
MAX_PLACES = 10000
MAX_RELEASE_HORIZON = 366  # release_days is at most 365 (services/contracts.MAX_RELEASE_DAYS)
CAS_ATTEMPTS = 20  # a reservation's remaining changes only when someone books; a few retries always settle


def _reservations_select(contract_id):
    return (
        ContractReservation.select(ContractReservation, Slot)
        .join(Slot)
        .where(ContractReservation.contract == contract_id)
        .order_by(Slot.day, Slot.start_time)
    )


def _reservation_select(reservation_id, contract_id):
    return (
        ContractReservation.select(ContractReservation, Slot)
        .join(Slot)
        .where(ContractReservation.id == reservation_id, ContractReservation.contract == contract_id)
        .limit(1)
    )


# the contract pages read them on every view: their SQL built once per process
_RESERVATIONS = PreparedSelect(_reservations_select, "checkup_contract_reservations", samples=(-2_000_016_201,))
_RESERVATION = PreparedSelect(
    _reservation_select, "checkup_contract_reservation", samples=(-2_000_016_202, -2_000_016_203)
)


def reservations_of(contract_id):
    """The contract's reservations with their slots, by day and time, in one query."""
    return _RESERVATIONS.rows(contract_id)


def get_reservation(contract, reservation_id):
    reservation_id = storable_id(reservation_id)
    reservation = reservation_id and next(iter(_RESERVATION.rows(reservation_id, contract.id)), None)
    if not reservation:
        raise NotFound(_l("No such reservation."))
    return reservation


def first_reservable_day(contract, today=None):
    """Places are reserved only on days after the contract's release horizon (``reserve`` refuses earlier)."""
    return (today or clock.today()) + datetime.timedelta(days=contract.reservation_release_days + 1)


def day_to_reserve(contract, day=None):
    """``day`` if it lies in the contract's window, else the first day places can be reserved on (None when
    the window has no such day left)."""
    if day is not None and contract.window_start <= day <= contract.window_end:
        return day
    earliest = max(contract.window_start, first_reservable_day(contract))
    return earliest if earliest <= contract.window_end else None


def _slots_of_day_select(day):
    return Slot.select().where(Slot.day == day, Slot.closed == False).order_by(Slot.start_time)


_SLOTS_OF_DAY = PreparedSelect(
    _slots_of_day_select, "checkup_contract_slots_to_reserve", samples=(datetime.date(1, 1, 2),)
)


def slots_to_reserve(contract, day):
    """The open slots of ``day`` (inside the contract's window, today or later), each with its free places."""
    if day is None or not contract.window_start <= day <= contract.window_end or day < clock.today():
        return []
    return _SLOTS_OF_DAY.rows(day)


def _places(raw):
    try:
        places = parse_number(raw, whole=True, minimum=1, maximum=MAX_PLACES)
    except ValueError as exc:
        raise ValidationError(FIX_FIELDS, {"places": exc.args[0]})
    if places is None:
        raise ValidationError(FIX_FIELDS, {"places": _l("This field is required.")})
    return places


def reserve(actor, contract_id, slot_id, places):
    """Hold ``places`` of a slot for a draft or active contract, all or nothing.

    The slot must be open, inside the contract's window and later than the release period. A second
    reservation of the same slot adds to the first. Raises NotFound, Conflict or ValidationError
    (``places``: not enough free places; ``slot``: a slot the contract cannot reserve).
    """
    contract_id = storable_id(id_from_text(contract_id))
    contract = contract_id and GroupContract.get_or_none(GroupContract.id == contract_id)
    if not contract:
        raise NotFound(_l("No such contract."))
    if contract.status not in (DRAFT, ACTIVE):
        raise Conflict(_l("Places can be reserved only for a draft or active contract."))
    places = _places(places)
    slot_id = storable_id(id_from_text(slot_id))
    slot = slot_id and Slot.get_or_none(Slot.id == slot_id)
    if not slot:
        raise ValidationError(FIX_FIELDS, {"slot": _l("Choose a slot from the list.")})
    today = clock.today()
    if not contract.window_start <= slot.day <= contract.window_end:
        raise ValidationError(FIX_FIELDS, {"slot": _l("The slot lies outside the contract's booking window.")})
    if slot.closed:
        raise ValidationError(FIX_FIELDS, {"slot": _l("The day is closed.")})
    if slot.day <= today + datetime.timedelta(days=contract.reservation_release_days):
        raise ValidationError(
            FIX_FIELDS,
            {
                "slot": _l(
                    "Reserved places are given back %(n)s days before their day; choose a later day.",
                    n=contract.reservation_release_days,
                )
            },
        )
    existing = ContractReservation.get_or_none(
        ContractReservation.contract == contract.id, ContractReservation.slot == slot.id
    )
    if existing is not None and existing.released_at is not None:
        raise Conflict(_l("This slot's reserved places were already given back for this contract."))
    try:
        with db.atomic():
            # the reservation row before the slot row, the order booking and give-back lock them in
            if existing is not None:
                grown = (
                    ContractReservation.update(
                        places=ContractReservation.places + places, remaining=ContractReservation.remaining + places
                    )
                    .where(ContractReservation.id == existing.id, ContractReservation.released_at.is_null())
                    .execute()
                )
                if not grown:
                    raise Conflict(_l("This slot's reserved places were already given back for this contract."))
            claimed = (
                Slot.update(reserved=Slot.reserved + places)
                .where(
                    Slot.id == slot.id,
                    Slot.closed == False,
                    Slot.booked + Slot.held + Slot.reserved + places <= Slot.capacity,
                )
                .execute()
            )
            if not claimed:
                free = Slot.get_by_id(slot.id).free
                raise ValidationError(
                    FIX_FIELDS,
                    {
                        "places": _l(
                            "Only %(free)s places are free in this slot; %(n)s cannot be reserved.", free=free, n=places
                        )
                    },
                )
            if existing is None:
                reservation = ContractReservation.create(
                    contract=contract.id, slot=slot.id, places=places, remaining=places
                )
            else:
                reservation = existing
            audit.record(
                actor, "contract.places_reserved", contract, slot=slot.id, day=slot.day.isoformat(), places=places
            )
    except IntegrityError:  # someone created this contract's reservation of the slot at the same moment
        raise Conflict(_l("The reservation changed meanwhile; reload the page and try again."))
    return get_reservation(contract, reservation.id)


def _give_back(reservation_id, delete_unused=False):
    """Zero the reservation's remaining places and return them to its slot, once. Returns the number
    given back, or None if it was released already. Runs inside the caller's transaction."""
    for _attempt in range(CAS_ATTEMPTS):
        row = ContractReservation.get_or_none(ContractReservation.id == reservation_id)
        if row is None or row.released_at is not None:
            return None
        remaining = row.remaining
        guard = (
            (ContractReservation.id == row.id)
            & ContractReservation.released_at.is_null()
            & (ContractReservation.remaining == remaining)
        )
        if delete_unused and remaining == row.places:
            changed = ContractReservation.delete().where(guard & (ContractReservation.places == row.places)).execute()
        else:
            changed = ContractReservation.update(remaining=0, released_at=utcnow()).where(guard).execute()
        if not changed:
            continue  # an employee booked into a reserved place meanwhile: read again
        if remaining:
            returned = (
                Slot.update(reserved=Slot.reserved - remaining)
                .where(Slot.id == row.slot_id, Slot.reserved >= remaining)
                .execute()
            )
            if not returned:
                raise Conflict(_l("The slot's reserved count does not match its reservations."))
        return remaining
    raise Conflict(_l("The reservation is changing right now; try again."))


def cancel_reservation(actor, contract, reservation_id):
    """Give the reservation's remaining places back to everyone. An untouched reservation disappears;
    one employees already booked into is kept, marked released. Raises NotFound or Conflict."""
    reservation = get_reservation(contract, reservation_id)
    with db.atomic():
        given = _give_back(reservation.id, delete_unused=True)
        if given is None:
            raise Conflict(_l("These places were already given back."))
        audit.record(
            actor,
            "contract.reservation_cancelled",
            contract,
            slot=reservation.slot_id,
            day=reservation.slot.day.isoformat(),
            places_returned=given,
        )
    return given


def release_all(contract_id):
    """Give back every place still reserved for the contract (when it closes). Returns the places given."""
    total = 0
    ids = [
        r.id
        for r in ContractReservation.select(ContractReservation.id).where(
            ContractReservation.contract == contract_id, ContractReservation.released_at.is_null()
        )
    ]
    for reservation_id in ids:
        total += _give_back(reservation_id) or 0
    return total


@tasks.handler("contract.release_reservations")
def release_due_reservations():
    """Periodic job: give back the unused places of every reservation whose day is within its contract's
    ``reservation_release_days`` from today (or past). Idempotent and safe to run in parallel: each place
    goes back once. Returns the number of reservations released."""
    today = clock.today()
    horizon = today + datetime.timedelta(days=MAX_RELEASE_HORIZON)
    # read them all first: an open cursor would pin SQLite's snapshot and block our own writes
    candidates = list(
        ContractReservation.select(ContractReservation.id, Slot.day, GroupContract.reservation_release_days)
        .join(Slot)
        .join_from(ContractReservation, GroupContract)
        .where(ContractReservation.released_at.is_null(), Slot.day <= horizon)
        .order_by(Slot.day)
        .tuples()
    )
    released = 0
    for reservation_id, day, release_days in candidates:
        if day > today + datetime.timedelta(days=release_days):
            continue
        try:
            with db.atomic():
                given = _give_back(reservation_id)
                if given is not None:
                    reservation = ContractReservation.get_by_id(reservation_id)
                    audit.record(
                        SYSTEM,
                        "contract.reservation_released",
                        reservation.contract,
                        slot=reservation.slot_id,
                        day=day.isoformat(),
                        places_returned=given,
                    )
                    released += 1
        except Conflict:
            log.exception("reservation %s could not be released; the next run tries again", reservation_id)
    return released
