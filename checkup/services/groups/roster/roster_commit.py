"""Roster rows against the contract's own roster, and writing the roster in bulk.

A roster never looks at the center's other clients (DESIGN: matching a roster row to an existing client is
the center's business, never visible to HR): every new row gets its own client record, made from what HR
typed and marked ``roster_unverified_since``, with the roster's national ID kept as ``roster_id_hash``
(the unique ``national_id_hash`` stays empty, so the insert cannot collide with anyone's record). So the
answers, counts and timings of an import are the same whether or not the center knows the person; the
person joins that record to their own only with their proof (``enrollment_identity``).

Rows are matched to the contract's enrollments only, and only to what HR itself gave: a row whose employee
number is on the roster is that employee (category and department updated) when the name agrees, and the
ID too while the enrollment's record is still the roster's; a row naming (by ID, or by name and phone)
someone whose roster record is on the roster under another number is refused. Once a person has joined
the enrollment to their own record, that record's ID and phone are theirs, not HR's, and are never
compared. Re-importing a file never duplicates anyone. Reads are prefetched once and writes batched, so a
10,000-row roster costs a few dozen statements.
"""

from collections import defaultdict, namedtuple
from dataclasses import dataclass, field

from checkup.core import national_id
from checkup.models import Client, ContractCategory, Enrollment
from checkup.models.base import db, utcnow
from checkup.services.groups.roster.roster_rules import RowError

# values per IN (...) and rows per INSERT: fewer round trips, still far inside SQLite's 32,766 bound variables
CHUNK = 2000
INSERT_CHUNK = 1000
# one enrollment of the contract and what the matching needs of its person (plain tuples: cheap at 10,000 rows)
Enrolled = namedtuple("Enrolled", "id client_id employee_no category_id department name id_hash phone")


class RosterChanged(Exception):
    """The roster changed since the rows were checked; the transaction must roll back."""


@dataclass
class Plan:
    hashes: dict = field(default_factory=dict)  # row number -> keyed hash of its national ID
    new_rows: list = field(default_factory=list)  # rows that become a roster record and an enrollment
    enrollment_updates: list = field(default_factory=list)  # (enrollment id, category id, department)
    unchanged: int = 0
    errors: list = field(default_factory=list)  # RowError, for rows the roster makes impossible
    rejected: set = field(default_factory=set)  # their row numbers


def chunks(items, size=CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _roster(contract_id):
    """The contract's enrollments by employee number, and those whose record is still the roster's by ID hash
    and by (phone, name): the ID and phone of a record someone joined are never compared (see module doc)."""
    by_employee, by_hash, by_phone = {}, {}, {}
    query = (
        Enrollment.select(
            Enrollment.id,
            Enrollment.client,
            Enrollment.employee_no,
            Enrollment.category,
            Enrollment.department,
            Client.name,
            Client.roster_unverified_since,
            Client.roster_id_hash,
            Client.phone,
        )
        .join(Client)
        .where(Enrollment.contract == contract_id)
        .tuples()
    )
    for enrollment_id, client_id, employee_no, category_id, department, name, roster_since, roster_hash, phone in query:
        from_roster = roster_since is not None
        enrolled = Enrolled(
            enrollment_id,
            client_id,
            employee_no,
            category_id,
            department,
            name,
            roster_hash if from_roster else None,
            phone if from_roster else "",
        )
        by_employee[employee_no] = enrolled
        if enrolled.id_hash:
            by_hash[enrolled.id_hash] = enrolled
        if enrolled.phone:
            by_phone.setdefault((enrolled.phone, name), enrolled)
    return by_employee, by_hash, by_phone


def _same_person(enrolled, row, id_hash):
    return enrolled.name == row["name"] and (not id_hash or enrolled.id_hash in (None, id_hash))


def _enrolled_as_other(row, id_hash, by_hash, by_phone):
    """The enrollment (under another employee number) of the person this row names, or None."""
    if id_hash and id_hash in by_hash:
        return by_hash[id_hash]
    found = by_phone.get((row["phone"], row["name"])) if row["phone"] else None
    if found is not None and not (id_hash and found.id_hash and found.id_hash != id_hash):
        return found
    return None


def plan(contract, rows):
    """How ``rows`` (checked rows of roster_rules) land on the contract; reads the contract's roster only."""
    hashes = {row["row"]: national_id.lookup_hash(row["national_id"]) for row in rows if row["national_id"]}
    result = Plan(hashes=hashes)
    by_employee, by_hash, by_phone = _roster(contract.id)

    def reject(rejected, column, code, **params):
        result.errors.append(RowError(rejected["row"], column, code, params or None))
        result.rejected.add(rejected["row"])

    for row in rows:
        id_hash = hashes.get(row["row"])
        enrolled = by_employee.get(row["employee_no"])
        if enrolled is None:
            other = _enrolled_as_other(row, id_hash, by_hash, by_phone)
            if other is not None:
                reject(row, "employee_no", "already_enrolled", number=other.employee_no)
            else:
                result.new_rows.append(row)
            continue
        holder = by_hash.get(id_hash) if id_hash else None
        if not _same_person(enrolled, row, id_hash) or (holder is not None and holder.id != enrolled.id):
            reject(row, "employee_no", "employee_taken")
            continue
        if (enrolled.category_id, enrolled.department) != (row["category"], row["department"]):
            result.enrollment_updates.append((enrolled.id, row["category"], row["department"]))
        else:
            result.unchanged += 1
    return result


NEW_CLIENT_COLUMNS = (
    "name",
    "sex",
    "birth_date",
    "phone",
    "email",
    "organization",
    "employee_no",
    "department",
    "roster_id_hash",
    "national_id_cipher",
    "roster_unverified_since",
    "created_at",
)
ENROLLMENT_COLUMNS = ("contract", "client", "category", "employee_no", "department", "created_at")


def _new_client_values(row, id_hash, organization_id, now):
    cipher = national_id.encrypt(row["national_id"]) if row["national_id"] else None
    return (
        row["name"],
        row["sex"],
        row["birth_date"],
        row["phone"],
        row["email"],
        organization_id,
        row["employee_no"],
        row["department"],
        id_hash,
        cipher,
        now,
        now,
    )


def _quoted(model, names):
    return ", ".join(f'"{model._meta.fields[name].column_name}"' for name in names)


def _insert(model, columns, rows, returning=()):
    """One multi-row INSERT per chunk, written directly: peewee's per-value query nodes cost more than the
    database itself at this size. Columns not given get the model's Python defaults. Returns the
    RETURNING rows (SQLite 3.35+ and PostgreSQL have RETURNING)."""
    defaulted = [
        f
        for name, f in model._meta.fields.items()
        if name not in columns and not f.primary_key and f.default is not None and not callable(f.default)
    ]
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


def write(contract, rows):
    """Write the roster rows; call inside ``db.atomic()``. Returns counts; raises RosterChanged."""
    result = plan(contract, rows)
    categories = {
        c.id for c in ContractCategory.select(ContractCategory.id).where(ContractCategory.contract == contract.id)
    }
    if result.errors or any(row["category"] not in categories for row in rows):
        raise RosterChanged()
    now = Client.created_at.db_value(utcnow())
    inserted = _insert(
        Client,
        NEW_CLIENT_COLUMNS,
        [
            _new_client_values(row, result.hashes.get(row["row"]), contract.organization_id, now)
            for row in result.new_rows
        ],
        returning=("id", "employee_no"),
    )
    new_ids = {employee_no: client_id for client_id, employee_no in inserted}
    enrollments = [
        (contract.id, new_ids[row["employee_no"]], row["category"], row["employee_no"], row["department"], now)
        for row in result.new_rows
    ]
    _insert(Enrollment, ENROLLMENT_COLUMNS, enrollments)
    by_values = defaultdict(list)
    for enrollment_id, category_id, department in result.enrollment_updates:
        by_values[(category_id, department)].append(enrollment_id)
    for (category_id, department), ids in by_values.items():
        for part in chunks(ids):
            Enrollment.update(category=category_id, department=department).where(Enrollment.id.in_(part)).execute()
    return {
        "rows": len(rows),
        "enrolled": len(enrollments),
        "updated": len(result.enrollment_updates),
        "unchanged": result.unchanged,
    }
