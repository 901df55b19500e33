"""The demo center: catalog, organizations, clients and one account per role."""

import datetime
from decimal import Decimal

from checkup.core import clock, national_id, passwords
from checkup.core.audit import SYSTEM, Actor
from checkup.core.errors import DomainError
from checkup.demo import demo_data, demo_loinc, demo_report_texts
from checkup.demo.accounts import ACCOUNTS, DEMO_CLIENT, DEMO_PASSWORD
from checkup.demo.demo_advice import seed_advice
from checkup.demo.demo_care import seed_care
from checkup.demo.demo_derived import add_derived_items
from checkup.demo.demo_floor import seed_floor
from checkup.demo.demo_floor_day import seed_floor_day
from checkup.demo.demo_groups import seed_groups
from checkup.demo.demo_history import seed_history
from checkup.demo.demo_money import seed_money
from checkup.models import (
    Appointment,
    AppointmentItem,
    Client,
    Department,
    ExamItem,
    Organization,
    Package,
    PackageItem,
    ReferenceRange,
    Resource,
    Result,
    Slot,
    User,
    UserRole,
)
from checkup.models.accounts import CLIENT, HR
from checkup.models.appointments import CHECKED_IN
from checkup.models.base import db
from checkup.services.accounts import accounts
from checkup.services.booking import booking, capacity
from checkup.services.care import client_facts
from checkup.services.catalog.packages import age_on
from checkup.services.exam import exam_day, report_pdf, reports, results


def database_is_empty():
    return not (User.select().exists() or ExamItem.select().exists() or Organization.select().exists())


def _catalog():
    departments = {}
    for order, (code, name_en, name_zh) in enumerate(demo_data.DEPARTMENTS):
        departments[code] = Department.create(code=code, name_en=name_en, name_zh=name_zh, sort_order=order)
    resources = {
        code: Resource.create(code=code, name_en=en, name_zh=zh, daily_capacity=cap)
        for code, en, zh, cap in demo_data.RESOURCES
    }
    items = {}
    for row in demo_data.EXAM_ITEMS:
        data = dict(
            row,
            department=departments[row["department"]],
            resource=resources[row["resource"]] if row["resource"] else None,
        )
        items[row["code"]] = ExamItem.create(**data)
    ReferenceRange.insert_many(
        [
            dict(
                item=items[code], sex=sex, age_min=a0, age_max=a1, low=lo, high=hi, critical_low=clo, critical_high=chi
            )
            for code, sex, a0, a1, lo, hi, clo, chi in demo_data.REFERENCE_RANGES
        ]
    ).execute()
    for row in demo_data.PACKAGES:
        package = Package.create(**{k: v for k, v in row.items() if k != "items"})
        PackageItem.insert_many([{"package": package.id, "item": items[c].id} for c in row["items"]]).execute()
    seed_floor(departments, items)
    demo_loinc.fill_loinc_codes()
    return len(items)


def _directory():
    organizations = {row["name"]: Organization.create(**row) for row in demo_data.ORGANIZATIONS}
    for row in demo_data.CLIENTS:
        data = dict(
            row,
            birth_date=datetime.date.fromisoformat(row["birth_date"]),
            tags=",".join(row["tags"]),
            organization=organizations.get(row["organization"]),
        )
        Client.create(**data)
    return organizations


def _account(email, name, roles, password_hash, **fields):
    user = User.create(email=email, name=name, password_hash=password_hash, **fields)
    UserRole.insert_many([{"user": user.id, "role": r} for r in roles]).execute()
    return user


def seed(history=True):
    """Load the demo center; returns counts of what was made. ``history=False`` leaves out the past
    checkups of Acme's employees and the demo client's last-year report (quicker, for tests that need
    only today's portal)."""
    password_hash = passwords.hash_password(DEMO_PASSWORD)
    with db.atomic():
        item_count = _catalog()
        item_count += add_derived_items()
        organizations = _directory()
        acme = organizations["Acme Manufacturing"]
        for email, name, roles in ACCOUNTS:
            _account(email, name, roles, password_hash, organization=acme if HR in roles else None)
        nid = DEMO_CLIENT["national_id"]
        client = Client.create(
            name=DEMO_CLIENT["name"],
            sex=DEMO_CLIENT["sex"],
            birth_date=DEMO_CLIENT["birth_date"],
            phone=DEMO_CLIENT["phone"],
            email=DEMO_CLIENT["email"],
            national_id_hash=national_id.lookup_hash(nid),
            national_id_cipher=national_id.encrypt(nid),
            occupation="Teacher",
        )
        _account(
            DEMO_CLIENT["email"],
            DEMO_CLIENT["name"],
            [CLIENT],
            password_hash,
            client=client,
            phone=DEMO_CLIENT["phone"],
        )
    booked = _capacity_and_bookings(client)
    physician = User.get(User.email == "physician@demo.test")
    scheduler = User.get(User.email == "scheduler@demo.test")
    if history:  # before _exam_day: the demo client's recent report then shows last year's values
        counselor = User.get(User.email == "counselor@demo.test")

        booked += seed_history(client, physician, scheduler, counselor)

        seed_groups(scheduler)  # Acme's contracts and roster, linked to the history's checkups
        seed_care()  # follow-ups worked on, referrals, surveys, a campaign, renewal and re-enrollment material
    booked += _exam_day(client, physician, scheduler)
    seed_advice(physician, clock.today())  # the advice library; today's finished stations signed
    booked += seed_floor_day(physician, scheduler)  # 300 more clients in flight today (boards, review queue)

    capacity.recount_booked()  # the history was written directly: make every counter match it
    client_facts.rebuild_all()  # and every client's facts (last checkup, report in force, re-enrollment)
    seed_money(scheduler)  # the ledger: payments, a refund, invoices, a closed day, group statements
    return {
        "exam items": item_count,
        "packages": len(demo_data.PACKAGES),
        "organizations": len(organizations),
        "accounts": len(ACCOUNTS) + 1,
        "appointments": booked,
    }


def _capacity_and_bookings(demo_client):
    """Weekday capacity for today and the next 60 days and a few upcoming appointments (one for the demo client)."""
    today = clock.today()
    specs = [capacity.SlotSpec(*spec) for spec in capacity.DEFAULT_SLOTS]
    # Today is open too (even on a weekend), so the exam-day screens have a day to show (see _exam_day).
    capacity.apply_template(SYSTEM, today, today + datetime.timedelta(days=60), {0, 1, 2, 3, 4}, specs)
    if today.weekday() >= 5:
        capacity.apply_template(SYSTEM, today, today, {today.weekday()}, specs)
    open_slots = list(Slot.select().where(Slot.day > today).order_by(Slot.day, Slot.start_time).limit(60))
    plans = [(demo_client, "BASIC-F", ["THYROID"], 7)]
    plans += [
        (c, "BASIC-M" if c.sex == "male" else "BASIC-F", [], 3 + i)
        for i, c in enumerate(Client.select().where(Client.id != demo_client.id).order_by(Client.id).limit(8))
    ]
    booked = 0
    for person, package, addons, index in plans:
        slot = open_slots[index % len(open_slots)]
        try:
            booking.book(SYSTEM, person.id, slot.id, package, addons, source="desk")
            booked += 1
        except DomainError:  # e.g. a demo client too young for the package: leave them unbooked
            continue
    return booked


# --- the exam day ------------------------------------------------------------------------------------
# Who is at the center today: (demo client's name, index of today's slot, package, state, results entered
# as {item code: value or (text, abnormal)}; "*" = every item of the package, normal unless listed).
TODAY_VISITS = [
    ("李娜", 0, "BASIC-F", "complete", {"*": None, "ALT": "58", "TC": "5.86", "US-ABD": ("Mild fatty liver.", True)}),
    (
        "王伟",
        0,
        "BASIC-M",
        "critical",
        {"HEIGHT": "172", "WEIGHT": "81.5", "BMI": "27.5", "SBP": "148", "DBP": "92", "FPG": "27.8"},
    ),
    (
        "刘洋",
        1,
        "BASIC-M",
        "partial",
        {
            "HEIGHT": "178",
            "WEIGHT": "70.2",
            "BMI": "22.2",
            "SBP": "122",
            "DBP": "78",
            "WBC": "6.4",
            "RBC": "5.1",
            "HGB": "151",
            "PLT": "236",
        },
    ),
    ("赵敏", 2, "BASIC-F", "booked", {}),
    ("孙浩然", 4, "BASIC-M", "booked", {}),
]
# The demo client's last checkup, ten days ago: every item resulted, a few abnormal, signed.
PAST_RESULTS = {
    "*": None,
    "WEIGHT": "63.0",
    "BMI": "24.6",
    "TC": "5.62",
    "TG": "1.92",
    "ALT": "46",
    "US-ABD": ("Liver echo slightly increased; mild fatty liver.", True),
}
PAST_SUMMARY = (
    "Overall in good health. Blood lipids slightly raised (total cholesterol, triglycerides), ALT mildly "
    "raised and mild fatty liver on ultrasound; BMI at the upper end of normal.\n"
    "总体健康状况良好。血脂轻度升高，谷丙转氨酶轻度升高，腹部超声提示轻度脂肪肝。"
)
PAST_ADVICE = (
    "Reduce fried and sugary food and alcohol, exercise 150 minutes a week, and recheck blood lipids and "
    "liver function in 3 months.\n"
    "减少油炸、甜食及饮酒，每周运动150分钟，3个月后复查血脂和肝功能。"
)
TEXT_NORMAL = {"ECG": "Sinus rhythm, normal ECG.", "DR-CHEST": "No abnormality in heart, lungs or diaphragm."}
NUMERIC_NORMAL = {
    "HEIGHT": "165",
    "WEIGHT": "58.5",
    "BMI": "21.5",
    "SBP": "118",
    "DBP": "76",
    "HR": "72",
    "VA-R": "5.0",
    "VA-L": "5.0",
    "U-PH": "6.0",
    "U-SG": "1.015",
}


def _normal_value(item, ranges, client, day):
    """A plausible in-range value (numbers: the middle of the client's range) for demo results."""
    if item.result_type == "choice" and item.choice_list:
        return item.choice_list[0]
    if item.result_type != "numeric":
        return TEXT_NORMAL.get(item.code, "No abnormality found.")
    if item.code in NUMERIC_NORMAL:
        return NUMERIC_NORMAL[item.code]
    row = results.range_for(ranges.get(item.id, []), client.sex, age_on(client.birth_date, day))
    low, high = (row.low, row.high) if row else (None, None)
    if low is not None and high is not None:
        value = (low + high) / 2
    elif high is not None:
        value = high * Decimal("0.8")
    elif low is not None:
        value = low * Decimal("1.1")
    else:
        return "1"
    places = max(-(low or high).as_tuple().exponent, -(high or low).as_tuple().exponent, 0)
    return format(value.quantize(Decimal(1).scaleb(-places)), "f")


def _enter_results(actor, appointment, client, plan):
    """Record ``plan`` ({item code: value or (text, abnormal)}; "*": every item) through the station service."""
    items = list(
        ExamItem.select()
        .join(AppointmentItem, on=(AppointmentItem.item == ExamItem.id))
        .where(AppointmentItem.appointment == appointment.id)
        .order_by(ExamItem.id)
    )
    ranges = {}
    for row in ReferenceRange.select().where(ReferenceRange.item.in_([i.id for i in items])):
        ranges.setdefault(row.item_id, []).append(row)
    chosen = items if "*" in plan else [i for i in items if i.code in plan]
    for item in chosen:
        value = plan.get(item.code)
        if value is None:
            value = _normal_value(item, ranges, client, appointment.day)
        text, abnormal = value if isinstance(value, tuple) else (value, False)
        text = (
            demo_report_texts.in_language(text, accounts.language_of_client(client.id))
            if item.result_type == "text"
            else text
        )
        results.record_result(actor, appointment.id, item.code, text, abnormal=abnormal)
    return len(chosen)


def _place(client, slot, package_code):
    """Book ``client`` into ``slot`` with the booking rules (places, items, audit) but without its clock checks
    (today's slots may be over already, the past one surely is) and without a confirmation email."""
    offer = booking.quote(client, package_code)
    with db.atomic():
        return booking._create(SYSTEM, client, slot, offer, None, "desk", allow_second=True)  # demo: also booked later


def _exam_day(demo_client, physician, scheduler):
    """Today at the center (booked, checked in with partial results, a critical value, one ready to sign)
    and the demo client's checkup of ten days ago, signed with its PDF. Returns the appointments made."""
    desk, doctor = Actor(scheduler, "127.0.0.1"), Actor(physician, "127.0.0.1")
    today = clock.today()
    slots = list(Slot.select().where(Slot.day == today).order_by(Slot.start_time))
    made = 0
    if slots:
        clients = {c.name: c for c in Client.select().where(Client.name.in_([v[0] for v in TODAY_VISITS]))}
        for name, slot_index, package, state, plan in TODAY_VISITS:
            client = clients.get(name)
            if client is None:
                continue
            appointment = _place(client, slots[slot_index % len(slots)], package)
            made += 1
            if state == "booked":
                continue
            exam_day.check_in(desk, appointment.id, exam_day.IDENTITY_FIELDS)
            with db.atomic():
                _enter_results(doctor, appointment, client, plan)

    day = today - datetime.timedelta(days=10)
    while day.weekday() >= 5:
        day -= datetime.timedelta(days=1)
    with db.atomic():
        slot = Slot.create(day=day, start_time=datetime.time(8, 30), end_time=datetime.time(9, 30), capacity=30)
        capacity.open_resource_days([day], capacity.default_resource_capacities())
    appointment = _place(demo_client, slot, "BASIC-F")
    made += 1
    morning = clock.local(day, datetime.time(9, 0)).astimezone(datetime.UTC).replace(tzinfo=None)
    Appointment.update(status=CHECKED_IN, created_at=morning - datetime.timedelta(days=14)).where(
        Appointment.id == appointment.id
    ).execute()
    with db.atomic():
        _enter_results(doctor, appointment, demo_client, PAST_RESULTS)
        Result.update(entered_at=morning).where(Result.appointment == appointment.id).execute()
    report = reports.sign(doctor, appointment.id, PAST_SUMMARY, PAST_ADVICE)
    report_pdf.render_report_pdf(report.id)  # idempotent: already done when jobs run inline
    return made
