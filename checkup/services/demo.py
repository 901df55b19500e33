"""The demo center: catalog, organizations, clients and one account per role."""
import datetime

from checkup import demo_data
from checkup.extensions import db
from checkup.models import (Client, Department, ExamItem, Organization, Package, PackageItem, ReferenceRange,
                            Resource, User, UserRole)
from checkup.models.accounts import ADMIN, CLIENT, COUNSELOR, HR, PHYSICIAN, SCHEDULER
from checkup.services import national_id, passwords
from checkup.services.errors import DomainError

DEMO_PASSWORD = "checkup-demo"
ACCOUNTS = [
    ("admin@demo.test", "陈静 (Admin)", [ADMIN]),
    ("scheduler@demo.test", "赵敏 (Front desk)", [SCHEDULER]),
    ("physician@demo.test", "孙立华 医生", [PHYSICIAN]),
    ("counselor@demo.test", "周晓梅 (Care team)", [COUNSELOR]),
    ("hr@acme.demo.test", "刘芳 (Acme HR)", [HR]),
]
DEMO_CLIENT = dict(email="client@demo.test", name="林晓", sex="female", birth_date=datetime.date(1988, 5, 20),
                   phone="13900139000", national_id="110105198805200026")


def database_is_empty():
    return not (User.select().exists() or ExamItem.select().exists() or Organization.select().exists())


def _catalog():
    departments = {}
    for order, (code, name_en, name_zh) in enumerate(demo_data.DEPARTMENTS):
        departments[code] = Department.create(code=code, name_en=name_en, name_zh=name_zh, sort_order=order)
    resources = {code: Resource.create(code=code, name_en=en, name_zh=zh, daily_capacity=cap)
                 for code, en, zh, cap in demo_data.RESOURCES}
    items = {}
    for row in demo_data.EXAM_ITEMS:
        data = dict(row, department=departments[row["department"]],
                    resource=resources[row["resource"]] if row["resource"] else None)
        items[row["code"]] = ExamItem.create(**data)
    ReferenceRange.insert_many([
        dict(item=items[code], sex=sex, age_min=a0, age_max=a1, low=lo, high=hi, critical_low=clo, critical_high=chi)
        for code, sex, a0, a1, lo, hi, clo, chi in demo_data.REFERENCE_RANGES]).execute()
    for row in demo_data.PACKAGES:
        package = Package.create(**{k: v for k, v in row.items() if k != "items"})
        PackageItem.insert_many([{"package": package.id, "item": items[c].id} for c in row["items"]]).execute()
    return len(items)


def _directory():
    organizations = {row["name"]: Organization.create(**row) for row in demo_data.ORGANIZATIONS}
    for row in demo_data.CLIENTS:
        data = dict(row, birth_date=datetime.date.fromisoformat(row["birth_date"]), tags=",".join(row["tags"]),
                    organization=organizations.get(row["organization"]))
        Client.create(**data)
    return organizations


def _account(email, name, roles, password_hash, **fields):
    user = User.create(email=email, name=name, password_hash=password_hash, **fields)
    UserRole.insert_many([{"user": user.id, "role": r} for r in roles]).execute()
    return user


def seed():
    """Load the whole demo center in one transaction; returns counts of what was made."""
    password_hash = passwords.hash_password(DEMO_PASSWORD)
    with db.atomic():
        item_count = _catalog()
        organizations = _directory()
        acme = organizations["Acme Manufacturing"]
        for email, name, roles in ACCOUNTS:
            _account(email, name, roles, password_hash, organization=acme if HR in roles else None)
        nid = DEMO_CLIENT["national_id"]
        client = Client.create(name=DEMO_CLIENT["name"], sex=DEMO_CLIENT["sex"],
                               birth_date=DEMO_CLIENT["birth_date"], phone=DEMO_CLIENT["phone"],
                               email=DEMO_CLIENT["email"], national_id_hash=national_id.lookup_hash(nid),
                               national_id_cipher=national_id.encrypt(nid), occupation="Teacher")
        _account(DEMO_CLIENT["email"], DEMO_CLIENT["name"], [CLIENT], password_hash, client=client,
                 phone=DEMO_CLIENT["phone"])
    booked = _capacity_and_bookings(client)
    return {"exam items": item_count, "packages": len(demo_data.PACKAGES),
            "organizations": len(organizations), "accounts": len(ACCOUNTS) + 1, "appointments": booked}


def _capacity_and_bookings(demo_client):
    """Weekday capacity for the next 60 days and a few upcoming appointments (one for the demo client)."""
    from checkup.models import Slot
    from checkup.services import booking, capacity, clock
    from checkup.services.audit import SYSTEM

    today = clock.today()
    capacity.apply_template(SYSTEM, today + datetime.timedelta(days=1), today + datetime.timedelta(days=60),
                            {0, 1, 2, 3, 4}, [capacity.SlotSpec(*spec) for spec in capacity.DEFAULT_SLOTS])
    open_slots = list(Slot.select().order_by(Slot.day, Slot.start_time).limit(60))
    plans = [(demo_client, "BASIC-F", ["TSH"], 7)]
    plans += [(c, "BASIC-M" if c.sex == "male" else "BASIC-F", [], 3 + i)
              for i, c in enumerate(Client.select().where(Client.id != demo_client.id).order_by(Client.id).limit(8))]
    booked = 0
    for person, package, addons, index in plans:
        slot = open_slots[index % len(open_slots)]
        try:
            booking.book(SYSTEM, person.id, slot.id, package, addons, source="desk")
            booked += 1
        except DomainError:  # e.g. a demo client too young for the package: leave them unbooked
            continue
    return booked
