"""Group contracts with a company: drafting, editing, the state machine ``draft → active → closed``.

Categories live in ``contract_categories``, reserved places in ``contract_reservations``.
Every write runs in ``db.atomic()`` and records an audit event. Bad input raises
``ValidationError(message, {field: message})`` and writes nothing; an unknown contract (or another
organization's, for HR) raises ``NotFound``; a change the status does not allow raises ``Conflict``.
State changes are conditional UPDATEs on the status, so two people clicking at once change it once.
"""

import datetime

from flask_babel import lazy_gettext as _l
from peewee import SQL, IntegrityError, fn

from checkup.core import audit, clock, tasks
from checkup.core.arguments import id_from_text, storable_id
from checkup.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from checkup.core.prepared import PerShape, PreparedSelect
from checkup.models import ContractCategory, ContractReservation, Enrollment, GroupContract, Organization, Slot
from checkup.models.accounts import ADMIN, SCHEDULER
from checkup.models.base import db, utcnow
from checkup.models.groups import ACTIVE, CLOSED, CONTRACT_STATUSES, DRAFT
from checkup.services.catalog.catalog import FIX_FIELDS, Checker
from checkup.services.groups import contract_categories, contract_reservations

STATUS_LABELS = {DRAFT: _l("Draft"), ACTIVE: _l("Active"), CLOSED: _l("Closed")}
CONTRACT_FIELDS = (
    "name",
    "year",
    "window_start",
    "window_end",
    "discount_percent",
    "no_show_charge_percent",
    "reservation_release_days",
    "notes",
)
ACTIVE_EDITABLE = ("notes", "window_end")  # an active contract only takes notes and a later end of window
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_WINDOW_DAYS = 731  # two years: a longer booking window is a typing mistake
MAX_RELEASE_DAYS = 365
NOTES_LIMIT = 4000


def status_label(status):
    return STATUS_LABELS.get(status, status)


# --- reading ---------------------------------------------------------------------------------


def _not_found():
    return NotFound(_l("No such contract."))


_SAMPLE_CONTRACT, _SAMPLE_ORG = -2_000_016_001, -2_000_016_002
_SAMPLE_STATUS = "-sample-status-"


def _one_select(contract_id, organization_id=None):
    query = GroupContract.select(GroupContract, Organization).join(Organization).where(GroupContract.id == contract_id)
    if organization_id is not None:
        query = query.where(GroupContract.organization == organization_id)
    return query.limit(1)


# every contract page reads its contract: the SQL built once per process (staff's, and HR's in its organization)
_ONE = PreparedSelect(_one_select, "checkup_contract_one", samples=(_SAMPLE_CONTRACT,))
_ONE_OF_ORG = PreparedSelect(_one_select, "checkup_contract_one_of_org", samples=(_SAMPLE_CONTRACT, _SAMPLE_ORG))


def _get(contract_id, organization_id=None):
    contract_id = storable_id(contract_id)
    if contract_id is None:
        raise _not_found()
    rows = _ONE.rows(contract_id) if organization_id is None else _ONE_OF_ORG.rows(contract_id, organization_id)
    contract = rows[0] if rows else None
    if contract is None:
        raise _not_found()
    return contract


def contract_for_staff(contract_id):
    """The contract with its organization; NotFound for an unknown id."""
    return _get(contract_id)


def contract_for_org(contract_id, organization_id):
    """The contract if it belongs to ``organization_id``; another organization's is NotFound, like a missing one."""
    if storable_id(organization_id) is None:
        raise _not_found()
    return _get(contract_id, organization_id)


def _list_select(status=None, organization_id=None):
    categories = ContractCategory.select(fn.COUNT(ContractCategory.id)).where(
        ContractCategory.contract == GroupContract.id
    )
    # *: counted off an enrollment index alone (a 10,000-employee roster: ~0.1 ms instead of ~1 ms)
    enrollments = Enrollment.select(fn.COUNT(SQL("*"))).where(Enrollment.contract == GroupContract.id)
    reserved = ContractReservation.select(fn.COALESCE(fn.SUM(ContractReservation.remaining), 0)).where(
        ContractReservation.contract == GroupContract.id
    )
    query = (
        GroupContract.select(
            GroupContract,
            Organization,
            categories.alias("category_count"),
            enrollments.alias("enrollment_count"),
            reserved.alias("reserved_remaining"),
        )
        .join(Organization)
        .order_by(GroupContract.window_start.desc(), Organization.name, GroupContract.name)
    )
    if status is not None:
        query = query.where(GroupContract.status == status)
    if organization_id is not None:
        query = query.where(GroupContract.organization == organization_id)
    return query


def _new_list_select(shape):
    """The contract list's select for (a status filter?, an organization filter?)."""
    by_status, by_org = shape
    samples = ((_SAMPLE_STATUS,) if by_status else ()) + ((_SAMPLE_ORG,) if by_org else ())

    def build(*values):
        given = iter(values)
        return _list_select(next(given) if by_status else None, next(given) if by_org else None)

    name = "checkup_contract_list" + ("_by_status" if by_status else "") + ("_of_org" if by_org else "")
    return PreparedSelect(build, name, samples)


# {(status filter?, organization filter?): the list's select}, built once per process and shape
_list_selects = PerShape(_new_list_select)


def list_contracts(status=None, organization_id=None):
    """Contracts (newest window first) with organization, ``category_count``, ``enrollment_count`` and
    ``reserved_remaining``, in one query whatever the number of rows."""
    by_status, by_org = status in CONTRACT_STATUSES, organization_id is not None
    values = ((status,) if by_status else ()) + ((organization_id,) if by_org else ())
    return _list_selects((by_status, by_org)).rows(*values)


def contracts_for_org(organization_id):
    """The organization's contracts (none for an account without one: never everybody's)."""
    if storable_id(organization_id) is None:
        return []
    return list_contracts(organization_id=organization_id)


# --- validation --------------------------------------------------------------------------------


def _date(check, name):
    value = check.values.get(name)
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, str) and value.strip():
        try:
            value = datetime.date.fromisoformat(value.strip())
        except ValueError:
            check.errors.setdefault(name, _l("Enter a date as YYYY-MM-DD."))
            return None
    if not isinstance(value, datetime.date):
        check.errors.setdefault(name, _l("This field is required."))
        return None
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        check.errors.setdefault(
            name, _l("Enter a date between %(first)s and %(last)s.", first=FIRST_YEAR, last=LAST_YEAR)
        )
        return None
    check.values[name] = value
    return value


def _name_taken(organization_id, name, exclude_id=None):
    query = GroupContract.select().where(
        GroupContract.organization == organization_id, fn.LOWER(GroupContract.name) == name.lower()
    )
    if exclude_id is not None:
        query = query.where(GroupContract.id != exclude_id)
    return query.exists()


def _reservations_outside(contract_id, start, end):
    return (
        ContractReservation.select()
        .join(Slot)
        .where(
            ContractReservation.contract == contract_id,
            ContractReservation.released_at.is_null(),
            (Slot.day < start) | (Slot.day > end),
        )
        .count()
    )


def contract_problems(values, organization_id, contract=None):
    """Normalised values and {field: message} for a draft's fields; reads only."""
    check = Checker(values)
    name = check.text("name", GroupContract.name.max_length, required=True)
    check.number("year", required=True, whole=True, minimum=FIRST_YEAR, maximum=LAST_YEAR)
    start, end = _date(check, "window_start"), _date(check, "window_end")
    if start and end:
        if start > end:
            check.errors.setdefault("window_end", _l("The window must not end before it starts."))
        elif (end - start).days > MAX_WINDOW_DAYS:
            check.errors.setdefault("window_end", _l("The window may last at most %(n)s days.", n=MAX_WINDOW_DAYS))
        elif contract is not None:
            outside = _reservations_outside(contract.id, start, end)
            if outside:
                check.errors.setdefault(
                    "window_start", _l("%(n)s reserved slots lie outside this window; cancel them first.", n=outside)
                )
    for percent in ("discount_percent", "no_show_charge_percent"):
        check.number(percent, required=True, places=2, minimum=0, maximum=100)
    check.number("reservation_release_days", required=True, whole=True, minimum=0, maximum=MAX_RELEASE_DAYS)
    check.text("notes", NOTES_LIMIT)
    if name and "name" not in check.errors and _name_taken(organization_id, name, contract.id if contract else None):
        check.errors["name"] = _l("This organization already has a contract called %(name)s.", name=name)
    return {k: check.values.get(k) for k in CONTRACT_FIELDS}, check.errors


def _active_problems(values, contract):
    check = Checker(values)
    check.text("notes", NOTES_LIMIT)
    end = _date(check, "window_end")
    if end is not None:
        if end < contract.window_end:
            check.errors["window_end"] = _l(
                "An active contract's window can only be extended (it ends on %(day)s).",
                day=contract.window_end.isoformat(),
            )
        elif (end - contract.window_start).days > MAX_WINDOW_DAYS:
            check.errors["window_end"] = _l("The window may last at most %(n)s days.", n=MAX_WINDOW_DAYS)
    return {k: check.values.get(k) for k in ACTIVE_EDITABLE}, check.errors


def _changes(contract, values):
    return {k: [str(getattr(contract, k)), str(v)] for k, v in values.items() if str(getattr(contract, k)) != str(v)}


# --- writing -----------------------------------------------------------------------------------


def create_contract(actor, organization_id, values):
    """A new draft contract for the organization. Raises ValidationError (also for an unknown organization)."""
    organization_id = id_from_text(organization_id)
    organization = organization_id and Organization.get_or_none(Organization.id == organization_id)
    if not organization:
        clean, errors = contract_problems(values, 0)
        errors["organization"] = _l("Choose an organization from the list.")
        raise ValidationError(FIX_FIELDS, errors)
    clean, errors = contract_problems(values, organization.id)
    if errors:
        raise ValidationError(FIX_FIELDS, errors)
    try:
        with db.atomic():
            contract = GroupContract.create(
                organization=organization.id, status=DRAFT, created_by=actor.user_id, **clean
            )
            audit.record(actor, "contract.created", contract, organization=organization.id, name=contract.name)
    except IntegrityError:  # a concurrent save took the name
        raise ValidationError(
            FIX_FIELDS, {"name": _l("This organization already has a contract called %(name)s.", name=clean["name"])}
        )
    return _get(contract.id)


EVERY_FIELD, WINDOW_AND_NOTES = "every_field", "window_and_notes"


def edit_scope(contract, draft_only=False):
    """What may be changed on ``contract``: EVERY_FIELD of a draft, or on an active contract only the
    notes and a later window end (WINDOW_AND_NOTES). ``draft_only`` (HR) refuses anything but a draft.
    Raises Conflict when nothing may be changed."""
    if contract.status == DRAFT:
        return EVERY_FIELD
    if contract.status == ACTIVE and not draft_only:
        return WINDOW_AND_NOTES
    raise Conflict(
        _l("Only a draft contract can be changed here.") if draft_only else _l("A closed contract cannot be changed.")
    )


def update_contract(actor, contract, values, draft_only=False):
    """Save the fields a contract's status allows (``edit_scope``). Raises Conflict or ValidationError."""
    contract = _get(contract.id)
    if edit_scope(contract, draft_only) == EVERY_FIELD:
        clean, errors = contract_problems(values, contract.organization_id, contract)
    else:
        clean, errors = _active_problems(values, contract)
    if errors:
        raise ValidationError(FIX_FIELDS, errors)
    diff = _changes(contract, clean)
    try:
        with db.atomic():
            updated = (
                GroupContract.update(**clean)
                .where(GroupContract.id == contract.id, GroupContract.status == contract.status)
                .execute()
            )
            if not updated:
                raise Conflict(_l("The contract changed status meanwhile; reload the page."))
            audit.record(actor, "contract.updated", contract, changes=diff)
    except IntegrityError:
        raise ValidationError(
            FIX_FIELDS,
            {"name": _l("This organization already has a contract called %(name)s.", name=clean.get("name", ""))},
        )
    return _get(contract.id)


def _require_staff(actor):
    user = actor.user
    if user is None or not user.has_role(ADMIN, SCHEDULER):
        raise PermissionDenied(_l("Only the center's administrators and schedulers may do this."))


def activation_problems(contract):
    """Why this draft cannot be activated yet: a list of user-facing messages (empty when it can)."""
    problems = []
    if contract.status != DRAFT:
        return [_l("Only a draft contract can be activated.")]
    categories = contract_categories.categories_of(contract.id)
    if not categories:
        problems.append(_l("Add at least one category."))
    elif contract.hr_confirmed_at is None:
        problems.append(_l("The company's HR contact has not confirmed the categories yet."))
    inactive = sorted(c.label for c in categories if not c.package.active)
    if inactive:
        problems.append(
            _l("These categories use a package that is no longer offered: %(labels)s.", labels=", ".join(inactive))
        )
    if contract.window_end < clock.today():
        problems.append(_l("The booking window has already ended; extend it first."))
    return problems


def activate(actor, contract_id):
    """Draft → active (admin or scheduler): needs a category, HR's confirmation and a window not yet over.
    Raises PermissionDenied, NotFound, Conflict (wrong status) or ValidationError (what is missing)."""
    _require_staff(actor)
    contract = _get(contract_id)
    if contract.status != DRAFT:
        raise Conflict(_l("Only a draft contract can be activated."))
    problems = activation_problems(contract)
    if problems:
        raise ValidationError(" ".join(str(p) for p in problems))
    with db.atomic():
        changed = (
            GroupContract.update(status=ACTIVE, activated_at=utcnow())
            .where(
                GroupContract.id == contract.id,
                GroupContract.status == DRAFT,
                GroupContract.hr_confirmed_at.is_null(False),
            )
            .execute()
        )
        if not changed:
            raise Conflict(_l("The contract changed meanwhile; reload the page."))
        audit.record(actor, "contract.activated", contract)
    return _get(contract.id)


def close(actor, contract_id):
    """Active → closed (admin or scheduler): releases every place still reserved, then enqueues the group
    documents task. Raises PermissionDenied, NotFound or Conflict."""
    _require_staff(actor)
    contract = _get(contract_id)
    if contract.status != ACTIVE:
        raise Conflict(_l("Only an active contract can be closed."))
    with db.atomic():
        changed = (
            GroupContract.update(status=CLOSED, closed_at=utcnow())
            .where(GroupContract.id == contract.id, GroupContract.status == ACTIVE)
            .execute()
        )
        if not changed:
            raise Conflict(_l("The contract changed meanwhile; reload the page."))
        released = contract_reservations.release_all(contract.id)
        audit.record(actor, "contract.closed", contract, released_places=released)
        tasks.defer("group_document.after_close", contract.id, caused_by=actor.user_id)
    return _get(contract.id)
