"""Roster rows against the database: which existing client each row is, and writing the roster in bulk.

A row is the existing client with the same national ID (keyed hash), else the one with the same phone
and name (unless that client holds a different ID), else a new client of the contract's organization.
Its enrollment on the contract is created, or updated (category, department) when the employee is
already on the roster: re-importing a file never duplicates anyone. Reads are prefetched in chunks and
writes batched, so a 10,000-row roster costs a few dozen statements.
"""
from collections import defaultdict, namedtuple
from dataclasses import dataclass, field

from checkup.extensions import db
from checkup.models import Client, ContractCategory, Enrollment
from checkup.models.base import utcnow
from checkup.services import national_id
from checkup.services.roster_rules import RowError

# values per IN (...) and rows per INSERT: fewer round trips, still far inside SQLite's 32,766 bound variables
CHUNK = 2000
INSERT_CHUNK = 1000
# what the matching needs of a stored client (plain tuples: building 20,000 model objects costs seconds)
Known = namedtuple("Known", "id name national_id_hash phone email organization_id employee_no department")
Enrolled = namedtuple("Enrolled", "id client_id employee_no category_id department client")


class RosterChanged(Exception):
    """The roster or the clients changed since the rows were checked; the transaction must roll back."""


@dataclass
class Plan:
    hashes: dict = field(default_factory=dict)  # row number -> keyed hash of its national ID
    new_clients: list = field(default_factory=list)  # rows that become new clients
    client_updates: dict = field(default_factory=dict)  # client id -> {field: value}
    new_enrollments: list = field(default_factory=list)  # (row, client id or None for a new client)
    enrollment_updates: list = field(default_factory=list)  # (enrollment id, category id, department)
    linked: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)  # RowError, for rows the database makes impossible
    rejected: set = field(default_factory=set)  # their row numbers


def chunks(items, size=CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _client_columns():
    return (Client.id, Client.name, Client.national_id_hash, Client.phone, Client.email, Client.organization,
            Client.employee_no, Client.department)


def _clients_by_hash(hashes):
    found = {}
    for part in chunks(sorted(hashes)):
        for row in Client.select(*_client_columns()).where(Client.national_id_hash.in_(part)).tuples():
            client = Known(*row)
            found[client.national_id_hash] = client
    return found


def _clients_by_phone_and_name(phones):
    found = defaultdict(list)
    for part in chunks(sorted(phones)):
        for row in Client.select(*_client_columns()).where(Client.phone.in_(part)).order_by(Client.id).tuples():
            client = Known(*row)
            found[(client.phone, client.name)].append(client)
    return found


def _roster(contract_id):
    """The contract's enrollments by employee number and by client, each with its client."""
    by_employee, by_client = {}, {}
    query = (Enrollment.select(Enrollment.id, Enrollment.client, Enrollment.employee_no, Enrollment.category,
                               Enrollment.department, *_client_columns())
             .join(Client).where(Enrollment.contract == contract_id).tuples())
    for row in query:
        enrollment = Enrolled(*row[:5], Known(*row[5:]))
        by_employee[enrollment.employee_no] = enrollment
        by_client[enrollment.client_id] = enrollment
    return by_employee, by_client


def _candidate(row, id_hash, by_hash, by_phone, organization_id):
    if id_hash and id_hash in by_hash:
        return by_hash[id_hash]
    if not row["phone"]:
        return None
    fitting = [c for c in by_phone.get((row["phone"], row["name"]), [])
               if not (id_hash and c.national_id_hash and c.national_id_hash != id_hash)]
    fitting.sort(key=lambda c: (c.organization_id != organization_id, c.id))  # prefer the company's own
    return fitting[0] if fitting else None


def _client_changes(client, row, id_hash, organization_id):
    """What a linked client takes from the roster: blanks filled in, and the company's employee details."""
    changes = {}
    if id_hash and not client.national_id_hash:
        changes.update(national_id_hash=id_hash, national_id_cipher=national_id.encrypt(row["national_id"]))
    if client.organization_id is None:
        changes["organization"] = organization_id
    if client.organization_id in (None, organization_id):
        if client.employee_no != row["employee_no"]:
            changes["employee_no"] = row["employee_no"]
        if row["department"] and client.department != row["department"]:
            changes["department"] = row["department"]
    if row["phone"] and not client.phone:
        changes["phone"] = row["phone"]
    if row["email"] and not client.email:
        changes["email"] = row["email"]
    return changes


def plan(contract, rows):
    """How ``rows`` (checked rows of roster_rules) land on the contract; reads only."""
    hashes = {row["row"]: national_id.lookup_hash(row["national_id"]) for row in rows if row["national_id"]}
    result = Plan(hashes=hashes)
    by_hash = _clients_by_hash(set(hashes.values()))
    by_phone = _clients_by_phone_and_name({row["phone"] for row in rows if row["phone"]})
    by_employee, by_client = _roster(contract.id)
    organization_id = contract.organization_id
    first_row_of_client = {}

    def reject(rejected, column, code, **params):
        result.errors.append(RowError(rejected["row"], column, code, params or None))
        result.rejected.add(rejected["row"])

    for row in rows:
        id_hash = hashes.get(row["row"])
        client = _candidate(row, id_hash, by_hash, by_phone, organization_id)
        enrolled = by_employee.get(row["employee_no"])
        if enrolled is not None:
            same_person = (enrolled.client_id == client.id if client is not None else
                           enrolled.client.name == row["name"]
                           and (not id_hash or enrolled.client.national_id_hash in (None, id_hash)))
            if not same_person:
                reject(row, "employee_no", "employee_taken")
                continue
            client = client or enrolled.client
        elif client is not None and client.id in by_client:
            reject(row, "employee_no", "already_enrolled", number=by_client[client.id].employee_no)
            continue
        if client is not None:
            if client.id in first_row_of_client:
                reject(row, "name", "same_person", row=first_row_of_client[client.id])
                continue
            first_row_of_client[client.id] = row["row"]
            result.linked += 1
            changes = _client_changes(client, row, id_hash, organization_id)
            if changes:
                result.client_updates[client.id] = changes
        else:
            result.new_clients.append(row)
        if enrolled is None:
            result.new_enrollments.append((row, client.id if client is not None else None))
        elif (enrolled.category_id, enrolled.department) != (row["category"], row["department"]):
            result.enrollment_updates.append((enrolled.id, row["category"], row["department"]))
        else:
            result.unchanged += 1
    return result


NEW_CLIENT_COLUMNS = ("name", "sex", "birth_date", "phone", "email", "organization", "employee_no", "department",
                      "national_id_hash", "national_id_cipher", "created_at")
ENROLLMENT_COLUMNS = ("contract", "client", "category", "employee_no", "department", "created_at")


def _new_client_values(row, id_hash, organization_id, now):
    cipher = national_id.encrypt(row["national_id"]) if row["national_id"] else None
    return (row["name"], row["sex"], row["birth_date"], row["phone"], row["email"], organization_id,
            row["employee_no"], row["department"], id_hash, cipher, now)


def _quoted(model, names):
    return ", ".join(f'"{model._meta.fields[name].column_name}"' for name in names)


def _insert(model, columns, rows, returning=()):
    """One multi-row INSERT per chunk, written directly: peewee's per-value query nodes cost more than the
    database itself at this size. Columns not given get the model's Python defaults. Returns the
    RETURNING rows (SQLite 3.35+ and PostgreSQL have RETURNING)."""
    defaulted = [f for name, f in model._meta.fields.items()
                 if name not in columns and not f.primary_key and f.default is not None and not callable(f.default)]
    names = _quoted(model, list(columns) + [f.name for f in defaulted])
    extra = tuple(f.db_value(f.default) for f in defaulted)
    placeholders = "(" + ", ".join([db.param] * (len(columns) + len(extra))) + ")"
    back = f" RETURNING {_quoted(model, returning)}" if returning else ""
    found = []
    for part in chunks(rows, INSERT_CHUNK):
        sql = f'INSERT INTO "{model._meta.table_name}" ({names}) VALUES {", ".join([placeholders] * len(part))}{back}'
        cursor = db.execute_sql(sql, [value for row in part for value in row + extra])
        if returning:
            found += cursor.fetchall()
    return found


def _update_clients(updates):
    """Batched: one UPDATE … CASE per chunk of clients changing the same set of fields."""
    by_fields = defaultdict(list)
    for client_id, changes in updates.items():
        by_fields[tuple(sorted(changes))].append(Client(id=client_id, **changes))
    for names, clients in by_fields.items():
        Client.bulk_update(clients, fields=[getattr(Client, name) for name in names], batch_size=200)


def write(contract, rows):
    """Write the roster rows; call inside ``db.atomic()``. Returns counts; raises RosterChanged."""
    result = plan(contract, rows)
    categories = {c.id for c in ContractCategory.select(ContractCategory.id)
                  .where(ContractCategory.contract == contract.id)}
    if result.errors or any(row["category"] not in categories for row in rows):
        raise RosterChanged()
    now = Client.created_at.db_value(utcnow())
    inserted = _insert(Client, NEW_CLIENT_COLUMNS,
                       [_new_client_values(row, result.hashes.get(row["row"]), contract.organization_id, now)
                        for row in result.new_clients], returning=("id", "employee_no"))
    new_ids = {employee_no: client_id for client_id, employee_no in inserted}
    _update_clients(result.client_updates)
    enrollments = [(contract.id, client_id or new_ids[row["employee_no"]], row["category"], row["employee_no"],
                    row["department"], now) for row, client_id in result.new_enrollments]
    _insert(Enrollment, ENROLLMENT_COLUMNS, enrollments)
    by_values = defaultdict(list)
    for enrollment_id, category_id, department in result.enrollment_updates:
        by_values[(category_id, department)].append(enrollment_id)
    for (category_id, department), ids in by_values.items():
        for part in chunks(ids):
            Enrollment.update(category=category_id, department=department).where(Enrollment.id.in_(part)).execute()
    return {"rows": len(rows), "created": len(result.new_clients), "linked": result.linked,
            "enrolled": len(enrollments), "updated": len(result.enrollment_updates), "unchanged": result.unchanged}
