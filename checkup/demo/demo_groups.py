"""Demo group checkups: Acme's contract of last year (closed) and this year (active, three categories) with
a roster of employees in every state, and a neighbour company's contract coming up for renewal."""

import datetime
import random
from decimal import Decimal

from checkup.core import clock
from checkup.models import (
    Appointment,
    AppointmentItem,
    Client,
    ContractCategory,
    Enrollment,
    GroupContract,
    Organization,
    Package,
    Slot,
    User,
)
from checkup.models.appointments import BOOKED, COMPLETED, NO_SHOW
from checkup.models.base import db, utcnow
from checkup.services.booking import booking
from checkup.services.catalog.packages import age_on
from checkup.services.groups import summary_releases

GROUP_SEED = 20261129
# (label, sex, age_min, age_max, package code, company pays, add-ons allowed)
CATEGORIES = [
    ("Management", "", 30, None, "EXEC", True, True),
    ("Men", "male", None, None, "BASIC-M", True, True),
    ("Women", "female", None, None, "BASIC-F", True, False),
]
MANAGEMENT_DEPARTMENTS = ("Finance", "Human Resources", "Sales")
# the employees beyond those with checkups on record, by the state HR sees: (state, how many)
NEW_EMPLOYEES = [("invited", 6), ("booked", 5), ("no_show", 3), ("not_invited", 2)]
NEW_NAMES = [
    ("male", "郭", "振宇"),
    ("female", "何", "静怡"),
    ("male", "高", "俊峰"),
    ("female", "罗", "晓雯"),
    ("male", "梁", "子轩"),
    ("female", "宋", "佳琪"),
    ("male", "郑", "浩然"),
    ("female", "谢", "雨桐"),
    ("male", "韩", "立伟"),
    ("female", "唐", "诗涵"),
    ("male", "冯", "志远"),
    ("female", "于", "梦瑶"),
    ("male", "董", "明杰"),
    ("female", "萧", "可欣"),
    ("male", "程", "宏伟"),
    ("female", "曹", "婉清"),
]
NEW_DEPARTMENTS = ["Assembly", "Quality", "Engineering", "Warehouse", "Sales", "Finance"]


def _contract(organization, name, year, start, end, status, creator, **fields):
    now = utcnow()
    contract = GroupContract.create(
        organization=organization,
        name=name,
        year=year,
        window_start=start,
        window_end=end,
        status=status,
        discount_percent=Decimal("12.00"),
        no_show_charge_percent=Decimal("50.00"),
        reservation_release_days=3,
        hr_confirmed_at=now,
        activated_at=now,
        closed_at=now if status == "closed" else None,
        created_by=creator,
        **fields,
    )
    packages = {p.code: p for p in Package.select()}
    categories = {}
    for position, (label, sex, age_min, age_max, code, pays, addons) in enumerate(CATEGORIES):
        categories[label] = ContractCategory.create(
            contract=contract,
            label=label,
            sex=sex,
            age_min=age_min,
            age_max=age_max,
            package=packages[code],
            company_pays=pays,
            addons_allowed=addons,
            position=position,
        )
    return contract, categories


def _category_for(client, categories, today):
    if client.department in MANAGEMENT_DEPARTMENTS and age_on(client.birth_date, today) >= 30:
        return categories["Management"]
    return categories["Men" if client.sex == "male" else "Women"]


def _group_priced(appointment_ids, discount):
    """Appointments of a company-paid contract: the company pays the package at the contract discount."""
    for appointment in Appointment.select().where(Appointment.id.in_(appointment_ids)):
        package_total = sum(
            (
                i.price
                for i in AppointmentItem.select().where(
                    AppointmentItem.appointment == appointment.id, AppointmentItem.is_addon == False
                )
            ),
            Decimal(0),
        )
        company = (package_total * (100 - discount) / 100).quantize(Decimal("0.01"))
        Appointment.update(
            source="group", company_amount=company, self_amount=max(Decimal(0), appointment.total_price - package_total)
        ).where(Appointment.id == appointment.id).execute()
        AppointmentItem.update(payer="company").where(
            AppointmentItem.appointment == appointment.id, AppointmentItem.is_addon == False
        ).execute()


def _slot(day, start):
    end = (datetime.datetime.combine(day, start) + datetime.timedelta(hours=1)).time()
    return Slot.get_or_none(Slot.day == day, Slot.start_time == start) or Slot.create(
        day=day, start_time=start, end_time=end, capacity=20
    )


def _new_employees(rng, acme, today):
    people = []
    index = 0
    for state, count in NEW_EMPLOYEES:
        for _ in range(count):
            sex, surname, given = NEW_NAMES[index % len(NEW_NAMES)]
            born = datetime.date(1970 + rng.randint(0, 30), rng.randint(1, 12), rng.randint(1, 28))
            client = Client.create(
                name=surname + given,
                sex=sex,
                birth_date=born,
                phone=f"1370021{index:04d}",
                email=f"employee{index + 1:02d}@acme.example.com",
                organization=acme,
                employee_no=f"A{201 + index:04d}",
                department=NEW_DEPARTMENTS[index % len(NEW_DEPARTMENTS)],
            )
            people.append((state, client))
            index += 1
    return people


def _appointment(client, category, slot, status, scheduler):
    offer = booking.quote(client, category.package.code)
    appointment = Appointment.create(
        exam_code=booking._new_exam_code(slot.day),
        client=client,
        slot=slot,
        day=slot.day,
        live_day=slot.day if status == BOOKED else None,
        package=offer.package,
        status=status,
        source="group",
        total_price=offer.total,
        company_amount=0,
        self_amount=offer.total,
        booked_by=scheduler.id,
    )
    AppointmentItem.insert_many(
        [
            {
                "appointment": appointment.id,
                "item": line.item.id,
                "price": line.price,
                "payer": "company",
                "is_addon": False,
                "resource": line.item.resource_id,
            }
            for line in offer.lines
        ]
    ).execute()
    return appointment


def seed_groups(scheduler):
    """Acme's contracts and roster; returns the active contract. Call after the history is seeded."""
    rng = random.Random(GROUP_SEED)
    today = clock.today()
    admin = User.get(User.email == "admin@demo.test")
    with db.atomic():
        acme = Organization.get(Organization.name == "Acme Manufacturing")
        employees = list(
            Client.select().where(Client.organization == acme.id, Client.employee_no != "").order_by(Client.employee_no)
        )
        completed = {}  # client id -> [appointments, oldest first]
        for appointment in (
            Appointment.select()
            .where(Appointment.client.in_([c.id for c in employees]), Appointment.status == COMPLETED)
            .order_by(Appointment.day)
        ):
            completed.setdefault(appointment.client_id, []).append(appointment)
        last_year = today.year - 1
        old, old_categories = _contract(
            acme,
            f"{last_year} annual checkup",
            last_year,
            today - datetime.timedelta(days=365 + 80),
            today - datetime.timedelta(days=365 - 20),
            "closed",
            admin,
            notes="Company pays the package; add-ons at the employee's cost.",
        )
        this, categories = _contract(
            acme,
            f"{today.year} annual checkup",
            today.year,
            today - datetime.timedelta(days=70),
            today + datetime.timedelta(days=40),
            "active",
            admin,
            notes="Men and women by package; management on the executive package. Reminders every Monday.",
        )
        invited = utcnow() - datetime.timedelta(days=65)
        for client in employees:
            visits = completed.get(client.id, [])
            if len(visits) >= 1:
                Enrollment.create(
                    contract=old,
                    client=client,
                    category=_category_for(client, old_categories, today),
                    employee_no=client.employee_no,
                    department=client.department,
                    appointment=visits[0],
                    invited_at=invited - datetime.timedelta(days=365),
                    invite_count=1,
                )
            Enrollment.create(
                contract=this,
                client=client,
                category=_category_for(client, categories, today),
                employee_no=client.employee_no,
                department=client.department,
                appointment=visits[-1] if len(visits) >= 2 else None,
                invited_at=invited,
                invite_count=1,
            )
        _group_priced([v.id for visits in completed.values() for v in visits], Decimal("12"))

        open_slots = list(
            Slot.select()
            .where(Slot.day > today + datetime.timedelta(days=2), Slot.closed == False)
            .order_by(Slot.day, Slot.start_time)
            .limit(40)
        )
        for index, (state, client) in enumerate(_new_employees(rng, acme, today)):
            category = _category_for(client, categories, today)
            appointment = None
            if state == "booked":
                appointment = _appointment(
                    client, category, open_slots[(index * 3) % len(open_slots)], BOOKED, scheduler
                )
            elif state == "no_show":
                day = today - datetime.timedelta(days=8 + 7 * (index % 3))
                while day.weekday() >= 5:
                    day -= datetime.timedelta(days=1)
                appointment = _appointment(client, category, _slot(day, datetime.time(13, 30)), NO_SHOW, scheduler)
            if appointment is not None:
                _group_priced([appointment.id], Decimal("12"))
            Enrollment.create(
                contract=this,
                client=client,
                category=category,
                employee_no=client.employee_no,
                department=client.department,
                appointment=appointment,
                invited_at=None if state == "not_invited" else invited + datetime.timedelta(days=index),
                invite_count=0 if state == "not_invited" else 1,
            )

        huaxin = Organization.get(Organization.name == "Huaxin Logistics Co., Ltd.")
        # eleven months ago: its anniversary is a month away, so a renewal task opens for the account manager
        _contract(
            huaxin,
            f"{last_year} drivers' checkup",
            last_year,
            today - datetime.timedelta(days=335),
            today - datetime.timedelta(days=280),
            "closed",
            admin,
        )

    # last year's closed contract has its final summary released (PDF and XLSX), small cells suppressed
    summary_releases.release_final(old.id)
    return this
