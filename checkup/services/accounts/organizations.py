"""Organizations: the companies that book group checkups — search, create, edit.

Every write raises ValidationError (with field errors, nothing written) or NotFound;
none of these functions reads the Flask request.
"""

from typing import NamedTuple
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from peewee import SQL, CharField, IntegrityError, fn

from checkup.core import audit
from checkup.core.arguments import MAX_PAGE, valid_id
from checkup.core.errors import NotFound, ValidationError
from checkup.core.headline_figures import headline
from checkup.core.pagination import PER_PAGE, page_of_rows, peek
from checkup.core.prepared import PerShape, PreparedSelect
from checkup.models import Client, Organization, User, UserRole
from checkup.models.accounts import HR
from checkup.models.base import db
from checkup.models.directory import SIZE_TIERS, VALUE_TIERS
from checkup.models.groups import OrganizationClientCount

LONG_TEXT_MAX = 4000  # TextFields have no column limit; this keeps notes readable
MAX_EMPLOYEES = 10_000_000

ORGANIZATION_FIELDS = (
    "name",
    "address",
    "phone",
    "fax",
    "website",
    "email",
    "manager",
    "business_scope",
    "employee_count",
    "health_contact",
    "relationship_notes",
    "size_tier",
    "value_tier",
    "account_manager",
)


def length_errors(model, values, long_fields=()):
    """Field errors for text longer than its column (or than LONG_TEXT_MAX for ``long_fields``)."""
    errors = {}
    for name, value in values.items():
        field = model._meta.fields.get(name)
        limit = LONG_TEXT_MAX if name in long_fields else (field.max_length if isinstance(field, CharField) else None)
        if limit and isinstance(value, str) and len(value) > limit:
            errors[name] = _l("Use at most %(max)d characters.", max=limit)
    return errors


def changed_fields(before, after):
    return sorted(name for name, value in after.items() if before.get(name) != value)


# --- reading ---------------------------------------------------------------------------


# the directory's reads, their SQL built once per process and prepared on PostgreSQL; the samples are values
# no row holds
_ID, _OFFSET = -2_000_000_001, -2_000_000_003


def _organization_query(organization_id):
    return Organization.select().where(Organization.id == organization_id).limit(1)


_ORGANIZATION = PreparedSelect(_organization_query, "checkup_directory_organization", samples=(_ID,))


def get_organization(organization_id):
    if not valid_id(organization_id):
        raise NotFound(_l("No such organization."))
    organization = next(iter(_ORGANIZATION.rows(organization_id)), None)
    if organization is None:
        raise NotFound(_l("No such organization."))
    return organization


def _roster_size_query(organization_id):
    """The organization's client records, as the database keeps their number (``OrganizationClientCount``,
    migration 0030: its triggers count every client written, whoever writes); no row is none."""
    return OrganizationClientCount.select(OrganizationClientCount.n).where(
        OrganizationClientCount.organization_id == organization_id
    )


# HR's dashboard reads its roster's size on every view: SQL built once per process, prepared on PostgreSQL
_ROSTER_SIZE = PreparedSelect(_roster_size_query, "checkup_directory_roster_size", samples=(_ID,))


def _organization_and_roster_query(organization_id):
    kept = OrganizationClientCount.select(OrganizationClientCount.n).where(
        OrganizationClientCount.organization_id == organization_id
    )
    size = fn.COALESCE(kept, SQL("0"))
    columns = [getattr(Organization, name) for name in OrganizationCard._fields[:-1]]
    return Organization.select(*columns, size.alias("roster_size")).where(Organization.id == organization_id).limit(1)


class OrganizationCard(NamedTuple):
    """What HR's dashboard shows of its organization (its profile's facts) and its roster's size."""

    id: int
    name: str
    address: str
    phone: str
    fax: str
    website: str
    email: str
    manager: str
    business_scope: str
    health_contact: str
    employee_count: int | None
    account_manager: str
    roster_size: int


# HR's dashboard: its organization and its roster's size (kept by the database: read, not counted), in one
# statement of plain columns
_ORGANIZATION_AND_ROSTER = PreparedSelect(
    _organization_and_roster_query, "checkup_hr_organization_roster", samples=(_ID,)
)


def organization_with_roster_size(organization_id):
    """The organization's profile facts and its ``roster_size`` (as of now), an OrganizationCard; one query."""
    if not valid_id(organization_id):
        raise NotFound(_l("No such organization."))
    found = _ORGANIZATION_AND_ROSTER.plain(organization_id)
    if not found:
        raise NotFound(_l("No such organization."))
    *facts, size = found[0]
    return OrganizationCard(*facts, int(size))


def roster_size(organization_id):
    """How many client records the organization has (its roster), as of now (the count the database keeps)."""
    if not valid_id(organization_id):
        return 0
    kept = _ROSTER_SIZE.plain(organization_id)
    return int(kept[0][0]) if kept else 0


def search_organizations(search="", size_tier="", value_tier="", page=1):
    """A page of organizations by name (anywhere in it; on PostgreSQL a trigram index answers), each with
    ``client_count``; two queries whatever the length, and no count of the whole list (``peek``). The counts of
    an unsearched page are up to HEADLINE_MAX_AGE_SECONDS old (core/headline_figures: a big company's clients
    cost ~4 ms to count on PostgreSQL); a search's (any ids at all: nothing to keep them by) are counted afresh."""
    size_tier = size_tier if size_tier in SIZE_TIERS else ""
    value_tier = value_tier if value_tier in VALUE_TIERS else ""
    if search:
        query = Organization.select().order_by(Organization.name, Organization.id)
        query = query.where(Organization.name.contains(search.strip()))
        result = peek(_where_tiers(query, size_tier, value_tier), page)
    else:
        number = min(max(1, page or 1), MAX_PAGE)
        prepared = _unsearched_page((bool(size_tier), bool(value_tier)))
        tiers = [tier for tier in (size_tier, value_tier) if tier]
        result = page_of_rows(prepared.rows(*tiers, (number - 1) * PER_PAGE), number, PER_PAGE)
    ids = [o.id for o in result.items]
    if search or not ids:
        counts = _client_counts(ids)
    else:  # an unsearched page's ids (a few lists: per tier filter and page) name its kept counts
        counts = headline(
            f"directory.organization_client_counts.{','.join(map(str, ids))}", lambda: _client_counts(ids)
        )
    for organization in result.items:
        organization.client_count = counts.get(organization.id, 0)
    return result


def _where_tiers(query, size_tier, value_tier):
    if size_tier:
        query = query.where(Organization.size_tier == size_tier)
    if value_tier:
        query = query.where(Organization.value_tier == value_tier)
    return query


def _new_unsearched_page(shape):
    """A page of the unsearched list, for ``shape``: (size tier set, value tier set)."""
    by_size, by_value = shape

    def build(*params):
        size_tier, value_tier = (params[0] if by_size else "", params[int(by_size)] if by_value else "")
        query = Organization.select().order_by(Organization.name, Organization.id)
        return _where_tiers(query, size_tier, value_tier).limit(PER_PAGE + 1).offset(params[-1])

    samples = ("-sample-size-tier-",) * by_size + ("-sample-value-tier-",) * by_value + (_OFFSET,)
    name = "checkup_directory_organizations" + "_by_size" * by_size + "_by_value" * by_value
    return PreparedSelect(build, name, samples)


# {(size tier set, value tier set): a page's select}: built once per process and shape
_unsearched_page = PerShape(_new_unsearched_page)


def _client_counts(organization_ids):
    if not organization_ids:
        return {}
    rows = (
        Client.select(Client.organization, fn.COUNT(SQL("*")).alias("n"))  # *: read off the index alone
        .where(Client.organization.in_(organization_ids))
        .group_by(Client.organization)
        .tuples()
    )
    return dict(rows)


def hr_contacts(organization_id):
    """The organization's active HR contact accounts: (name, email) only."""
    return _HR_CONTACTS.plain(organization_id)


def _hr_contacts_query(organization_id):
    return (
        User.select(User.name, User.email)
        .join(UserRole)
        .where(User.organization == organization_id, UserRole.role == HR, User.is_active == True)
        .order_by(User.name)
    )


def _choices_query():
    return Organization.select(Organization.id, Organization.name).order_by(Organization.name)


_HR_CONTACTS = PreparedSelect(_hr_contacts_query, "checkup_directory_hr_contacts", samples=(_ID,))
_CHOICES = PreparedSelect(_choices_query, "checkup_directory_organization_choices", samples=())


def choices():
    """(id, name) of every organization, for select lists."""
    return _CHOICES.plain()


# --- writing ---------------------------------------------------------------------------


def _name_taken(name, exclude_id=None):
    query = Organization.select().where(fn.LOWER(Organization.name) == fn.LOWER(name))
    if exclude_id:
        query = query.where(Organization.id != exclude_id)
    return query.exists()


def is_web_address(value):
    """An http(s) address with a host: the only kind a detail page will render as a link."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    return (
        parts.scheme in ("http", "https") and bool(host) and "\\" not in value and not any(c.isspace() for c in value)
    )


def _clean(values, exclude_id=None):
    """Trimmed values for every organization field, or ValidationError naming each bad field."""
    data = {}
    for name in ORGANIZATION_FIELDS:
        value = values.get(name)
        data[name] = value.strip() if isinstance(value, str) else value
    data["email"] = (data["email"] or "").lower()
    for name in ORGANIZATION_FIELDS:
        if data[name] is None and name != "employee_count":
            data[name] = ""
    errors = length_errors(Organization, data, long_fields=("business_scope", "relationship_notes"))
    if not data["name"]:
        errors["name"] = _l("This field is required.")
    elif "name" not in errors and _name_taken(data["name"], exclude_id):
        errors["name"] = _l("An organization with this name is already on file.")
    if data["website"] and not is_web_address(data["website"]):
        errors["website"] = _l("Enter a web address starting with http:// or https://.")
    count = data["employee_count"]
    if count is not None and (not isinstance(count, int) or not 0 <= count <= MAX_EMPLOYEES):
        errors["employee_count"] = _l("Enter a whole number from 0 to %(max)d.", max=MAX_EMPLOYEES)
    if data["size_tier"] not in SIZE_TIERS:
        errors["size_tier"] = _l("Choose a size tier from the list.")
    if data["value_tier"] not in VALUE_TIERS:
        errors["value_tier"] = _l("Choose a value tier from the list.")
    if errors:
        raise ValidationError(_l("Please correct the marked fields."), errors)
    return data


def _name_conflict():
    return ValidationError(
        _l("Please correct the marked fields."), {"name": _l("An organization with this name is already on file.")}
    )


def create_organization(actor, values):
    """Create an organization (name unique, case-insensitive) and audit it; returns it."""
    data = _clean(values)
    try:
        with db.atomic():
            organization = Organization.create(**data)
            audit.record(
                actor,
                "directory.organization_created",
                organization,
                fields=sorted(k for k, v in data.items() if v not in ("", None)),
            )
    except IntegrityError:  # a concurrent create took the name between the check and the insert
        raise _name_conflict()
    return organization


def update_organization(actor, organization_id, values):
    """Save changed fields and audit which ones changed; returns the organization."""
    organization = get_organization(organization_id)
    data = _clean(values, exclude_id=organization.id)
    changed = changed_fields({name: getattr(organization, name) for name in ORGANIZATION_FIELDS}, data)
    try:
        with db.atomic():
            if changed:
                Organization.update(**{name: data[name] for name in changed}).where(
                    Organization.id == organization.id
                ).execute()
            audit.record(actor, "directory.organization_updated", organization, fields=changed)
    except IntegrityError:
        raise _name_conflict()
    return get_organization(organization.id)


def name_choices():
    """(id, name) of every organization, by name: the choices of an account's organization field."""
    return [(organization_id, name) for organization_id, name in _CHOICES.plain()]
