"""Client records: search, view, create, edit.

National ID numbers are kept only as a keyed hash (lookup) and ciphertext (masked
display); no function here returns, logs or audits the number in clear. Writes
raise ValidationError (field errors, nothing written) or NotFound.
"""

import datetime
import re
import unicodedata
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from peewee import JOIN, IntegrityError

from checkup.core import audit, national_id
from checkup.core.arguments import MAX_PAGE, valid_id
from checkup.core.errors import NotFound, ValidationError
from checkup.core.headline_figures import headline
from checkup.core.pagination import PER_PAGE, Page, page_of_rows, peek
from checkup.core.prepared import PreparedSelect
from checkup.models import Client, Organization, User
from checkup.models.base import db
from checkup.models.directory import SEXES, VALUE_TIERS
from checkup.services.accounts import client_search
from checkup.services.accounts.organizations import changed_fields, length_errors

CLIENT_FIELDS = (
    "name",
    "sex",
    "birth_date",
    "phone",
    "email",
    "address",
    "occupation",
    "notes",
    "organization",
    "employee_no",
    "department",
    "value_tier",
    "tags",
)
EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")

ID_MESSAGES = {
    "format": _l("Enter all 18 characters of the ID number: 17 digits, then a digit or X."),
    "birth_date": _l("Digits 7 to 14 of the ID number are not a real date of birth."),
    "checksum": _l("The last character does not match the rest of the number; check for a typing mistake."),
    "sex": _l("The ID number does not match the sex chosen (its 17th digit is odd for men, even for women)."),
    "born": _l("The ID number does not match the date of birth entered (digits 7 to 14 hold the birth date)."),
    "taken": _l("A client with this ID number is already on file."),
}


@dataclass
class ClientSummary:
    id: int
    name: str
    sex: str
    birth_date: object
    phone: str
    email: str
    national_id_masked: str


def client_summary(client_id):
    return summary_of(Client.get_or_none(Client.id == client_id) if valid_id(client_id) else None)


def summary_of(client):
    """The ClientSummary of a loaded record (None for None)."""
    if client is None:
        return None
    return ClientSummary(
        client.id,
        client.name,
        client.sex,
        client.birth_date,
        client.phone,
        client.email,
        national_id.masked_from_cipher(client.national_id_cipher),
    )


def directory_stats():
    """Headline counts for the staff landing pages (up to HEADLINE_MAX_AGE_SECONDS old)."""
    return headline(
        "directory.counts", lambda: {"clients": Client.select().count(), "organizations": Organization.select().count()}
    )


# --- reading ---------------------------------------------------------------------------


def typed_national_id(text):
    """Normalized, with full-width digits folded to ASCII (an IME may type them; the same number
    must never hash two ways)."""
    return national_id.normalize(unicodedata.normalize("NFKC", text or ""))


def looks_like_national_id(text):
    """True for an 18-character ID-shaped search: it is looked up by hash and never echoed back."""
    return bool(_ID_SHAPE.fullmatch(typed_national_id(text)))


def _with_organization():
    return Client.select(Client, Organization).join(
        Organization, JOIN.LEFT_OUTER, on=(Client.organization == Organization.id)
    )


def _listed():
    """The columns a list of clients shows (and the cipher its masked ID is made from), not whole records."""
    return Client.select(
        Client.id,
        Client.name,
        Client.sex,
        Client.birth_date,
        Client.national_id_cipher,
        Client.phone,
        Client.organization,
        Client.employee_no,
        Organization.id,
        Organization.name,
    ).join(Organization, JOIN.LEFT_OUTER, on=(Client.organization == Organization.id))


def national_id_lookup(text):
    """What a search by full ID may keep (e.g. in a session): the keyed hash and the masked number."""
    number = typed_national_id(text)
    return {"hash": national_id.lookup_hash(number), "masked": national_id.mask(number)}


def search_clients(search="", organization_id=None, page=1, id_hash=None):
    """A page of clients by name, phone, email or employee number, or exactly by full national ID
    (typed as ``search``, or already hashed as ``id_hash``); see ``client_search`` for how a term is read.

    Each client carries the columns a list shows and ``national_id_masked``. Never a count over the directory: a page reads one row
    more than it shows (``pagination.peek``), or, for a text search on PostgreSQL, counts its capped
    candidates in the same query (``total`` is then exact). One query; two when an email or phone
    number matched nobody exactly and is searched as text.
    """
    term = (search or "").strip()
    in_organization = (
        Client.organization == (organization_id if valid_id(organization_id) else 0)
        if organization_id is not None
        else None
    )
    if id_hash is not None or looks_like_national_id(term):
        key = str(id_hash) if id_hash is not None else national_id.lookup_hash(typed_national_id(term))
        result = _peek_clients(Client.national_id_hash == key, in_organization, page)
    elif not term:
        unsearched_in = None if organization_id is None else (organization_id if valid_id(organization_id) else 0)
        result = _unsearched_page(unsearched_in, page)
    else:
        exact = client_search.exact_condition(term)
        result = _peek_clients(exact, in_organization, page) if exact is not None else None
        if result is None or not (result.items or (result.number > 1 and _any_client(exact, in_organization))):
            result = _text_search(client_search.text_condition(term), in_organization, page)
    for client in result.items:
        client.national_id_masked = national_id.masked_from_cipher(client.national_id_cipher)
    return result


def _where(query, *conditions):
    conditions = [c for c in conditions if c is not None]
    return query.where(*conditions) if conditions else query


def _peek_clients(condition, in_organization, page):
    query = _where(_listed(), condition, in_organization).order_by(Client.name, Client.id)
    return peek(query, page, PER_PAGE)


def _unsearched_query(offset):
    return _listed().order_by(Client.name, Client.id).limit(PER_PAGE + 1).offset(offset)


def _unsearched_in_organization_query(organization_id, offset):
    return (
        _listed()
        .where(Client.organization == organization_id)
        .order_by(Client.name, Client.id)
        .limit(PER_PAGE + 1)
        .offset(offset)
    )


# a page of the unsearched list (all clients, or one organization's): what ``_peek_clients`` reads, its SQL
# built once per process and prepared on PostgreSQL
_UNSEARCHED = PreparedSelect(_unsearched_query, "checkup_directory_clients", samples=(-2_000_000_003,))
_UNSEARCHED_IN_ORGANIZATION = PreparedSelect(
    _unsearched_in_organization_query,
    "checkup_directory_organization_clients",
    samples=(-2_000_000_001, -2_000_000_003),
)


class ListedOrganization:
    """A listed client's organization: what a list shows of it."""

    __slots__ = ("id", "name")

    def __init__(self, organization_id, name):
        self.id, self.name = organization_id, name


class ListedClient:
    """A client as the unsearched list reads it (``_listed``'s columns as plain values, no model object):
    the attributes the list's template reads of a Client, ``organization`` None or a ListedOrganization."""

    __slots__ = (
        "id",
        "name",
        "sex",
        "birth_date",
        "national_id_cipher",
        "phone",
        "organization_id",
        "employee_no",
        "organization",
        "national_id_masked",
    )

    def __init__(self, row):
        (
            self.id,
            self.name,
            self.sex,
            self.birth_date,
            self.national_id_cipher,
            self.phone,
            self.organization_id,
            self.employee_no,
            organization_id,
            organization_name,
        ) = row
        self.organization = None if organization_id is None else ListedOrganization(organization_id, organization_name)
        self.national_id_masked = ""


def _unsearched_page(organization_id, page):
    """``_peek_clients(None, in_organization, page)``: ``organization_id`` None for every client. The rows
    read as plain values (core/plain_rows) into ListedClient objects."""
    number = min(max(1, page or 1), MAX_PAGE)
    offset = (number - 1) * PER_PAGE
    if organization_id is None:
        rows = _UNSEARCHED.plain(offset)
    else:
        rows = _UNSEARCHED_IN_ORGANIZATION.plain(organization_id, offset)
    return page_of_rows([ListedClient(row) for row in rows], number, PER_PAGE)


def _any_client(condition, in_organization):
    return _where(Client.select(Client.id), condition, in_organization).exists()


def _text_search(condition, in_organization, page):
    """PostgreSQL: the page sorted out of the capped candidates, counted in the same query; too many
    candidates (or SQLite): a plain peeked query."""
    if not client_search.is_postgres():
        return _peek_clients(condition, in_organization, page)
    found = client_search.candidates(condition if in_organization is None else condition & in_organization)
    number = min(max(1, page or 1), MAX_PAGE)
    shown = (
        found.ordered(found.cte.c.name, found.cte.c.id).limit(PER_PAGE).offset((number - 1) * PER_PAGE).alias("shown")
    )
    rows = list(
        _listed()
        .select_extend(found.found.alias("found"))
        .join_from(Client, shown, on=(Client.id == shown.c.id))
        .order_by(shown.c.name, shown.c.id)
        .with_cte(found.cte)
    )
    total = rows[0].found if rows else (found.count() if number > 1 else 0)
    if client_search.too_many(total):
        return _peek_clients(condition, in_organization, page)
    if not rows and total:  # a page past the end (the list shrank, or a forged page): the last one
        return _text_search(condition, in_organization, -(-total // PER_PAGE))
    return Page(rows, number, max(1, -(-total // PER_PAGE)), total, PER_PAGE)


def record_id_lookup(actor, matches):
    """Searching by full ID reveals who holds it, so the lookup is audited (without the number)."""
    audit.record(actor, "directory.client_looked_up_by_national_id", matches=matches)


def _client_query(client_id):
    return _with_organization().where(Client.id == client_id).limit(1)


# built once, prepared on PostgreSQL: every page of a client's record reads it (the detail page the one below)
_CLIENT = PreparedSelect(_client_query, "checkup_directory_client", samples=(-2_000_000_001,))


def _client_with_portal_email_query(client_id):
    """``_client_query`` with the client's portal account's email (``portal_email``, NULL for none)."""
    email = User.select(User.email).where(User.client == Client.id).limit(1)
    return _with_organization().select_extend(email.alias("portal_email")).where(Client.id == client_id).limit(1)


# the detail page's read: the record and its portal email in one statement
_CLIENT_WITH_PORTAL_EMAIL = PreparedSelect(
    _client_with_portal_email_query, "checkup_directory_client_portal_email", samples=(-2_000_000_001,)
)


def get_client(client_id):
    """The client with its organization loaded and ``national_id_masked``; NotFound otherwise."""
    found = _CLIENT.rows(client_id) if valid_id(client_id) else None
    client = found[0] if found else None
    if client is None:
        raise NotFound(_l("No such client."))
    client.national_id_masked = national_id.masked_from_cipher(client.national_id_cipher)
    return client


def view_client(actor, client_id):
    """The client for a detail page, with ``national_id_masked`` and ``portal_email``; the view is audited."""
    found = _CLIENT_WITH_PORTAL_EMAIL.rows(client_id) if valid_id(client_id) else None
    client = found[0] if found else None
    if client is None:
        raise NotFound(_l("No such client."))
    client.national_id_masked = national_id.masked_from_cipher(client.national_id_cipher)
    client.portal_email = client.portal_email or ""
    audit.record(actor, "directory.client_viewed", client)
    return client


# --- writing ---------------------------------------------------------------------------


def normalize_tags(text):
    """'a, b，a ,, c' -> 'a, b, c': trimmed, de-duplicated, in the order given."""
    tags = []
    for tag in re.split(r"[,，]", text or ""):
        tag = tag.strip()
        if tag and tag not in tags:
            tags.append(tag)
    return ", ".join(tags)


def _clean(values):
    data = {}
    for name in CLIENT_FIELDS:
        value = values.get(name)
        data[name] = value.strip() if isinstance(value, str) else value
    for name in ("phone", "address", "occupation", "notes", "employee_no", "department", "email"):
        data[name] = data[name] or ""
    data["email"] = data["email"].lower()
    data["tags"] = normalize_tags(data["tags"])
    errors = length_errors(Client, {k: v for k, v in data.items() if k != "organization"}, long_fields=("notes",))
    if not data["name"]:
        errors["name"] = _l("This field is required.")
    if data["sex"] not in SEXES:
        errors["sex"] = _l("Choose male or female.")
    born = data["birth_date"]
    if not isinstance(born, datetime.date) or not EARLIEST_BIRTH_DATE <= born <= datetime.date.today():
        errors["birth_date"] = _l("Enter a real date of birth.")
    if data["value_tier"] not in VALUE_TIERS:
        errors["value_tier"] = _l("Choose a value tier from the list.")
    organization_id = data["organization"]
    if organization_id is not None and not (
        valid_id(organization_id) and Organization.select().where(Organization.id == organization_id).exists()
    ):
        errors["organization"] = _l("Choose an organization from the list.")
    return data, errors


def _id_errors(number, sex, born):
    """The one most useful complaint about a typed ID number, or None."""
    problem = "format" if not _ID_SHAPE.fullmatch(number) else national_id.problem(number)
    if problem:
        return ID_MESSAGES[problem]
    if sex in SEXES and national_id.sex(number) != sex:
        return ID_MESSAGES["sex"]
    if isinstance(born, datetime.date) and national_id.birth_date(number) != born:
        return ID_MESSAGES["born"]
    return None


def _id_taken(id_hash, exclude_id=None):
    query = Client.select().where(Client.national_id_hash == id_hash)
    if exclude_id:
        query = query.where(Client.id != exclude_id)
    return query.exists()


def _national_id_change(values, data, errors, client=None):
    """{hash, cipher} to store (None when unchanged); adds field errors for a bad number."""
    number = typed_national_id(values.get("national_id"))
    remove = bool(values.get("remove_national_id")) and client is not None
    if number and remove:
        errors["national_id"] = _l("Either enter a new ID number or remove the recorded one, not both.")
        return None
    if remove:
        return {"national_id_hash": None, "national_id_cipher": None} if client.national_id_hash else None
    if not number:
        recorded = national_id.decrypt(client.national_id_cipher) if client is not None else ""
        if recorded and not national_id.problem(recorded):
            if data["sex"] in SEXES and national_id.sex(recorded) != data["sex"]:
                errors.setdefault("sex", _l("This does not match the recorded ID number."))
            if isinstance(data["birth_date"], datetime.date) and national_id.birth_date(recorded) != data["birth_date"]:
                errors.setdefault("birth_date", _l("This does not match the recorded ID number."))
        return None
    complaint = _id_errors(number, data["sex"], data["birth_date"])
    if complaint:
        errors["national_id"] = complaint
        return None
    id_hash = national_id.lookup_hash(number)
    if client is not None and client.national_id_hash == id_hash:
        return None
    if _id_taken(id_hash, exclude_id=client.id if client is not None else None):
        errors["national_id"] = ID_MESSAGES["taken"]
        return None
    return {"national_id_hash": id_hash, "national_id_cipher": national_id.encrypt(number)}


def _raise(errors):
    raise ValidationError(_l("Please correct the marked fields."), errors)


def _id_conflict():
    return ValidationError(_l("Please correct the marked fields."), {"national_id": ID_MESSAGES["taken"]})


def create_client(actor, values):
    """Create a client record and audit which fields were filled in (never the ID number itself)."""
    data, errors = _clean(values)
    id_change = _national_id_change(values, data, errors)
    if errors:
        _raise(errors)
    filled = [k for k, v in data.items() if v not in ("", None)] + (["national_id"] if id_change else [])
    try:
        with db.atomic():
            client = Client.create(**data, **(id_change or {}))
            audit.record(actor, "directory.client_created", client, fields=sorted(filled))
    except IntegrityError:  # a concurrent save recorded the same number between the check and the insert
        raise _id_conflict()
    return client


def update_client(actor, client_id, values):
    """Save the changed fields and audit their names; the ID number changes only when typed or removed."""
    client = get_client(client_id)
    data, errors = _clean(values)
    id_change = _national_id_change(values, data, errors, client)
    if errors:
        _raise(errors)
    changed = changed_fields(
        {name: getattr(client, name) for name in CLIENT_FIELDS if name != "organization"}
        | {"organization": client.organization_id},
        data,
    )
    updates = {name: data[name] for name in changed}
    if id_change is not None:
        updates.update(id_change)
        changed = sorted(changed + ["national_id"])
    try:
        with db.atomic():
            if updates:
                Client.update(**updates).where(Client.id == client.id).execute()
            audit.record(actor, "directory.client_updated", client, fields=changed)
    except IntegrityError:
        raise _id_conflict()
    return get_client(client.id)
