"""Booking under a group contract: by the enrolled employee, or by their HR contact on their behalf.

The contract decides the package (its category's), the price split (the company pays the package at the
contract's discount when the category says so; add-ons are always self-paid at list price), the days
(the contract's window) and whether booking is open at all (an active contract only).

One live appointment per enrollment: ``Enrollment.appointment`` points at the latest appointment and is
swapped compare-and-set (``WHERE appointment IS <the value read>``) in the transaction that claims the
place, so two concurrent bookings for one enrollment cannot both succeed. A cancelled appointment frees
the enrollment (it stays linked, for the history, until the next booking replaces it); a booked,
checked-in, completed or no-show appointment blocks a new booking — a missed checkup is settled with the
center per the contract terms, not rebooked online.

Reserved places: a booking takes one of the contract's reserved places on the chosen slot while the
reservation has some left, else a public place. A cancelled or moved appointment gives its place to the
public pool (the reservation is not refilled), which keeps the accounting to one counter per move.
"""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from peewee import JOIN

from checkup.core import audit, clock
from checkup.core.arguments import valid_id
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.core.prepared import PerShape, PreparedSelect
from checkup.models import Appointment, Client, ContractCategory, Enrollment, GroupContract, Organization, Package
from checkup.models.appointments import BOOKED, CANCELLED, CHECKED_IN, COMPLETED, NO_SHOW
from checkup.models.groups import ACTIVE
from checkup.services.booking import booking

NOT_BOOKED = "not_booked"
COMPANY, SELF = "company", "self"
HR_SOURCE, EMPLOYEE_SOURCE = "hr", "employee"


def _with_terms(with_client=False):
    """Enrollments with contract, organization, category, package and current appointment (one query);
    ``with_client``: and the enrolled client (whom every page and action about one enrollment reads)."""
    models = (Enrollment, GroupContract, Organization, ContractCategory, Package, Appointment)
    query = (
        Enrollment.select(*models, *((Client,) if with_client else ()))
        .join(GroupContract)
        .join(Organization)
        .join_from(Enrollment, ContractCategory)
        .join(Package)
        .join_from(Enrollment, Appointment, JOIN.LEFT_OUTER)
    )
    return query.join_from(Enrollment, Client) if with_client else query


_SAMPLE_ENROLLMENT, _SAMPLE_CLIENT, _SAMPLE_ORG = -2_000_016_401, -2_000_016_402, -2_000_016_403


def _new_one_select(shape):
    """The select of ``get_enrollment`` for (scoped to a client?, scoped to an organization?)."""
    by_client, by_org = shape
    samples = (_SAMPLE_ENROLLMENT,) + ((_SAMPLE_CLIENT,) if by_client else ()) + ((_SAMPLE_ORG,) if by_org else ())

    def build(enrollment_id, *scope):
        given = iter(scope)
        query = _with_terms(with_client=True).where(Enrollment.id == enrollment_id)
        if by_client:
            query = query.where(Enrollment.client == next(given))
        if by_org:
            query = query.where(GroupContract.organization == next(given))
        return query.limit(1)

    name = "checkup_group_enrollment" + ("_of_client" if by_client else "") + ("_of_org" if by_org else "")
    return PreparedSelect(build, name, samples)


# {(client scope?, organization scope?): the enrollment's select}: every booking page and action reads one
_one_selects = PerShape(_new_one_select)


def _client_enrollments_select(client_id):
    return (
        _with_terms()
        .where(Enrollment.client == client_id)
        .order_by(GroupContract.window_end.desc(), Enrollment.id.desc())
    )


_CLIENT_ENROLLMENTS = PreparedSelect(_client_enrollments_select, "checkup_group_client_enrollments", (_SAMPLE_CLIENT,))


def get_enrollment(enrollment_id, client_id=None, organization_id=None):
    """An enrollment with its terms and client; with ``client_id`` only that client's, with ``organization_id``
    only that organization's. Another's is a NotFound exactly like a missing one."""
    enrollment = None
    if valid_id(enrollment_id):
        scope = tuple(value for value in (client_id, organization_id) if value is not None)
        rows = _one_selects((client_id is not None, organization_id is not None)).rows(enrollment_id, *scope)
        enrollment = rows[0] if rows else None
    if enrollment is None:
        raise NotFound(_l("We could not find that enrollment."))
    return enrollment


def enrollments_for_client(client_id):
    """The client's enrollments, newest contract first, with their terms and current appointment (one query)."""
    return _CLIENT_ENROLLMENTS.rows(client_id)


def status_of(enrollment):
    """not_booked (no appointment, or a cancelled one) or the current appointment's status."""
    appointment = enrollment.appointment
    if appointment is None or appointment.status == CANCELLED:
        return NOT_BOOKED
    return appointment.status


def live_appointment(enrollment):
    """The enrollment's booked or checked-in appointment, or None."""
    appointment = enrollment.appointment
    return appointment if appointment is not None and appointment.status in (BOOKED, CHECKED_IN) else None


def is_open(contract):
    """True while the contract takes bookings: active, and its window has not ended."""
    return contract.status == ACTIVE and contract.window_end >= clock.today()


def bookable_range(contract):
    """(first, last) day an employee may still choose: the window from today on."""
    return max(contract.window_start, clock.today()), contract.window_end


def _check_open(contract):
    if contract.status != ACTIVE:
        raise ValidationError(_l("Your company's checkup contract is not open for booking."))
    if contract.window_end < clock.today():
        raise ValidationError(
            _l("The booking window of this contract ended on %(day)s.", day=contract.window_end.isoformat())
        )


def _check_in_window(contract, slot):
    if not contract.window_start <= slot.day <= contract.window_end:
        message = _l(
            "Choose a day from %(start)s to %(end)s, the booking window of your company's contract.",
            start=contract.window_start.isoformat(),
            end=contract.window_end.isoformat(),
        )
        raise ValidationError(message, {"slot": message})


def quote(enrollment, addon_codes=(), day=None):
    """The category's package at the contract's terms, plus self-paid add-ons when the category allows them.

    Package eligibility (sex, age on the exam ``day``) is checked as for any booking. Returns a booking.Quote whose
    ``company_amount``/``self_amount`` give the split; raises ValidationError ("package" or "addons").
    """
    category = enrollment.category
    codes = sorted({c for c in (addon_codes or []) if c})
    if codes and not category.addons_allowed:
        message = _l("Your company's plan does not include extra examinations.")
        raise ValidationError(message, {"addons": message})
    try:
        offer = booking.quote(enrollment.client, category.package.code, codes, day=day)
    except ValidationError as exc:
        if "package" in exc.field_errors:
            message = _l(
                "The package of your category cannot be booked for you: %(reason)s Please contact your HR department.",
                reason=str(exc.message),
            )
            if not category.package.active:
                message = _l("The package of your category is no longer offered. Please contact your HR department.")
            raise ValidationError(message, {"package": message}) from exc
        raise
    package_payer = COMPANY if category.company_pays else SELF
    lines = [
        booking.Line(line.item, line.price, SELF if line.is_addon else package_payer, line.is_addon)
        for line in offer.lines
    ]
    return booking.Quote(
        offer.package,
        lines,
        offer.modules,
        discount_percent=enrollment.contract.discount_percent,
        company_pays=category.company_pays,
    )


def terms(enrollment):
    """The package alone at the contract's terms (a Quote without lines): ``package_price``,
    ``company_amount`` and ``self_amount`` for lists, with no query."""
    return booking.Quote(
        enrollment.category.package,
        discount_percent=enrollment.contract.discount_percent,
        company_pays=enrollment.category.company_pays,
    )


def percent(value):
    """A discount for display: 10.00 → "10", 12.50 → "12.5"."""
    text = f"{Decimal(value or 0):.2f}".rstrip("0").rstrip(".")
    return text or "0"


def _blocking_message(appointment):
    if appointment.status in (BOOKED, CHECKED_IN):
        return _l(
            "This checkup is already booked for %(day)s. Change or cancel that appointment instead.",
            day=appointment.day.isoformat(),
        )
    if appointment.status == COMPLETED:
        return _l("This checkup has already taken place.")
    return _l("The appointment for this checkup was missed. Please contact your HR department or the center.")


def _current_for_booking(enrollment):
    """The appointment id a new booking must replace (None, or a cancelled one); raises if one blocks."""
    appointment = enrollment.appointment
    if appointment is None:
        return None
    if appointment.status in (BOOKED, CHECKED_IN, COMPLETED, NO_SHOW):
        raise Conflict(_blocking_message(appointment))
    return appointment.id


def _link_enrollment(actor, enrollment, old_appointment_id, source):
    """The ``on_booked`` step: swap the enrollment's appointment compare-and-set, re-check the contract, audit."""

    def link(appointment):
        query = Enrollment.update(appointment=appointment.id).where(Enrollment.id == enrollment.id)
        query = query.where(
            Enrollment.appointment.is_null()
            if old_appointment_id is None
            else Enrollment.appointment == old_appointment_id
        )
        if query.execute() != 1:
            raise Conflict(
                _l("This checkup was booked a moment ago, perhaps in another window. See your appointments.")
            )
        if (
            not GroupContract.select()
            .where(GroupContract.id == enrollment.contract_id, GroupContract.status == ACTIVE)
            .exists()
        ):
            raise ValidationError(_l("Your company's checkup contract is not open for booking."))
        audit.record(
            actor,
            "group_booking.booked",
            enrollment,
            appointment=appointment.id,
            contract=enrollment.contract_id,
            day=str(appointment.day),
            source=source,
            company_amount=str(appointment.company_amount),
            self_amount=str(appointment.self_amount),
        )

    return link


def book(actor, enrollment_id, slot_id, addon_codes=(), idempotency_key=None, client_id=None, organization_id=None):
    """Book the enrollment's checkup in a slot of the contract's window: the contract's reserved place
    on that slot when one is left, else a public place; the enrollment is linked in the same transaction.

    Scope with ``client_id`` (the employee) or ``organization_id`` (their HR contact, audited as such).
    Raises NotFound, ValidationError (closed contract, outside the window, bad choice), Conflict (already
    booked) or booking.PlaceTaken.
    """
    enrollment = get_enrollment(enrollment_id, client_id=client_id, organization_id=organization_id)
    contract = enrollment.contract
    _check_open(contract)
    slot = booking.slot_or_none(slot_id) if valid_id(slot_id) else None
    offer = quote(enrollment, addon_codes, day=slot.day if slot is not None else None)
    if slot is None:
        raise ValidationError(_l("Choose a time from the list."), {"slot": _l("Choose a time from the list.")})
    _check_in_window(contract, slot)
    key = (idempotency_key or "")[:64] or None
    if key:
        existing = Appointment.get_or_none(Appointment.idempotency_key == key)
        if existing is not None and existing.client_id == enrollment.client_id:
            return existing  # a repeated submit of a booking already made
    old_id = _current_for_booking(enrollment)
    source = HR_SOURCE if organization_id is not None else EMPLOYEE_SOURCE
    return booking.book(
        actor,
        enrollment.client_id,
        slot.id,
        offer.package.code,
        idempotency_key=key,
        source="group",
        offer=offer,
        reserved_for=contract.id,
        on_booked=_link_enrollment(actor, enrollment, old_id, source),
    )


def _live_or_refuse(enrollment):
    appointment = live_appointment(enrollment)
    if appointment is None:
        raise ValidationError(_l("This checkup has no appointment to change."))
    return appointment


def reschedule(actor, enrollment_id, slot_id, client_id=None, organization_id=None):
    """Move the enrollment's live appointment to another slot of the window (see booking.reschedule)."""
    enrollment = get_enrollment(enrollment_id, client_id=client_id, organization_id=organization_id)
    appointment = _live_or_refuse(enrollment)
    before = appointment.day
    moved = booking.reschedule(
        actor, appointment.id, slot_id if valid_id(slot_id) else None, client_id=enrollment.client_id
    )
    audit.record(
        actor,
        "group_booking.rescheduled",
        enrollment,
        appointment=appointment.id,
        before=str(before),
        after=str(moved.day),
        source=HR_SOURCE if organization_id is not None else EMPLOYEE_SOURCE,
    )
    return moved


def cancel(actor, enrollment_id, reason, client_id=None, organization_id=None):
    """Cancel the enrollment's live appointment (before the cutoff); the enrollment may then book again."""
    enrollment = get_enrollment(enrollment_id, client_id=client_id, organization_id=organization_id)
    appointment = _live_or_refuse(enrollment)
    cancelled = booking.cancel(actor, appointment.id, reason, client_id=enrollment.client_id)
    audit.record(
        actor,
        "group_booking.cancelled",
        enrollment,
        appointment=appointment.id,
        day=str(appointment.day),
        source=HR_SOURCE if organization_id is not None else EMPLOYEE_SOURCE,
    )
    return cancelled


def contract_for_move(appointment, slot):
    """booking.reschedule's hook for a group appointment: the contract (id) whose reserved places the new
    slot may give, after checking the contract is active and the slot's day within its window."""
    contract = GroupContract.select().join(Enrollment).where(Enrollment.appointment == appointment.id).first()
    if contract is None:
        return None  # not (or no longer) an enrollment's current appointment: an ordinary move
    if contract.status != ACTIVE:
        raise ValidationError(_l("Your company's checkup contract is not open for changes. Please contact the center."))
    _check_in_window(contract, slot)
    return contract.id


booking.MOVE_RULES["group"] = contract_for_move


def may_choose_time(enrollment, offer):
    """Is the employee shown the time picker? There is a package to book (``offer``), the contract takes
    bookings now, and the enrollment has no checkup booked or done yet."""
    return offer is not None and is_open(enrollment.contract) and status_of(enrollment) == NOT_BOOKED


def slot_in_window(contract, slot_id):
    """The slot if it lies within the contract's window, else None (for pages picking a time)."""
    slot = booking.slot_or_none(slot_id) if valid_id(slot_id) else None
    if slot is None or not contract.window_start <= slot.day <= contract.window_end:
        return None
    return slot
