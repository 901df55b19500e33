"""Helpers of the money journey (tests/browser/test_money_journey.py): the run's own clients, packages,
slots and group contract arranged in the stack's database, the operator's scheduler (`flask cron`) run for
a while beside the stack's worker, and figures read off the pages."""

import contextlib
import datetime
import re
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal

from playwright.sync_api import expect

from tests.browser.care_journey_helpers import unique
from tests.support.live_server import ROOT

PASSWORD = "Money-journey-1357!"
CENT = Decimal("0.01")
# items every package of the journey is made of: no limited resource, any sex and age
BODY_ITEMS = ("HEIGHT", "WEIGHT")


def cents(value):
    """``value`` to the cent, half-up (四舍五入, as a Chinese center's finance rounds)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def shown_amount(text):
    """An amount as a page prints it ("¥1,136.63", "2342.59", "¥-10.00") → Decimal."""
    return Decimal(text.replace("¥", "").replace(",", "").strip())


# --- arranging data ------------------------------------------------------------------------------------


def client_with_login(name, sex="female", birth=datetime.date(1986, 5, 20), organization=None):
    """A client with a login of their own (the journey's password). Call inside ``stack.database()``."""
    from checkup.core import passwords
    from checkup.models import Client, User, UserRole
    from checkup.models.accounts import CLIENT

    email = f"money-{unique()}@example.com"
    client = Client.create(
        name=name,
        sex=sex,
        birth_date=birth,
        phone=f"1370013{int(unique(), 16) % 10000:04d}",
        email=email,
        organization=organization,
    )
    user = User.create(email=email, name=name, client=client, password_hash=passwords.hash_password(PASSWORD))
    UserRole.create(user=user, role=CLIENT)
    return client, email


def body_package(prefix, price, name_en, name_zh):
    """A package of the run's own at ``price`` (height and weight). Call inside ``stack.database()``."""
    from checkup.models import ExamItem, Package, PackageItem

    package = Package.create(code=unique(prefix), name_en=name_en, name_zh=name_zh, price=price)
    for code in BODY_ITEMS:
        PackageItem.create(package=package, item=ExamItem.get(ExamItem.code == code))
    return package


def whole_day_slot(day, capacity=5):
    """A slot of the run's own lasting the whole of ``day``, at a first minute no other slot of the day
    starts at (the desk may book and check in at any hour). Call inside ``stack.database()``."""
    from checkup.models import Slot

    taken = {s.start_time for s in Slot.select(Slot.start_time).where(Slot.day == day)}
    start = next(datetime.time(0, minute) for minute in range(60) if datetime.time(0, minute) not in taken)
    return Slot.create(day=day, start_time=start, end_time=datetime.time(23, 59), capacity=capacity)


def hold_runs_out(appointment_id):
    """The prepaid hold's time has come: its expiry and its task's due time put in the past, as if the
    minutes had gone by. Returns the hold task's id. Call inside ``stack.database()``."""
    from checkup.models import Task
    from checkup.models.base import utcnow
    from checkup.models.money import PaymentHold

    past = utcnow() - datetime.timedelta(seconds=5)
    hold = PaymentHold.get(PaymentHold.appointment == appointment_id)
    booked_at = past - (hold.expires_at - hold.created_at)  # the whole hold moves back: it lasted as long
    assert PaymentHold.update(created_at=booked_at, expires_at=past).where(PaymentHold.id == hold.id).execute() == 1
    task = Task.get(Task.dedupe_key == f"payment-hold:{appointment_id}")
    Task.update(next_attempt_at=past).where(Task.id == task.id).execute()
    return task.id


@contextlib.contextmanager
def scheduler_running(stack):
    """`flask cron` — the operator's one scheduler — beside the stack's gunicorn and rq worker: every tick it
    owes the periodic tasks and wakes the dispatcher, whose drain job the worker runs (every due task row)."""
    log = open(stack.folder / "cron.log", "a")
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "cron"],
        cwd=ROOT,
        env=stack.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


# --- the group contract ----------------------------------------------------------------------------------


def group_contract(stack, plan):
    """A company with an HR login and an active contract whose one category ("高管体检") pays the executive
    package at ``plan.discount`` percent off; three employees booked under it today: one who does it all, one
    whose checkup has two items skipped, and one who did the cheaper package. Returns ids and names."""
    from checkup.core import clock, passwords
    from checkup.core.audit import SYSTEM
    from checkup.models import Enrollment, ExamItem, Organization, User, UserRole
    from checkup.models.accounts import HR
    from checkup.services.booking import booking
    from checkup.services.groups import group_booking
    from tests import factories

    suffix = unique()
    with stack.database():
        department = ExamItem.get(ExamItem.code == BODY_ITEMS[0]).department
        items = {
            key: factories.make_item(
                f"MJ{key}{suffix}".upper(), department, price=str(price), name_en=f"{name} {suffix}", name_zh=name
            )
            for key, (name, price) in plan.items.items()
        }
        executive = factories.make_package(
            f"MJEX{suffix}".upper(),
            list(items.values()),
            price=str(plan.executive_price),
            name_en="Executive check",
            name_zh="高管体检套餐",
        )
        cheaper = factories.make_package(
            f"MJST{suffix}".upper(),
            [items[key] for key in plan.cheaper_items],
            price=str(plan.cheaper_price),
            name_en="Standard check",
            name_zh="标准体检套餐",
        )
        organization = Organization.create(name=f"金算盘科技有限公司{suffix}")
        hr_email = f"hr-{suffix}@example.com"
        hr = User.create(
            email=hr_email,
            name="人事 钱敏",
            organization=organization,
            password_hash=passwords.hash_password(PASSWORD),
        )
        UserRole.create(user=hr, role=HR)
        contract = factories.make_contract(
            organization,
            name=f"{clock.today().year}年度员工体检 {suffix}",
            discount_percent=plan.discount,
            categories=[{"label": "高管体检", "package": executive}],
        )
        category = contract.categories[0]
        slot = whole_day_slot(clock.today(), capacity=5)
        employees = {}
        for n, (key, name) in enumerate(plan.employees.items(), 1):
            client, _email = client_with_login(name, organization=organization)
            enrollment = Enrollment.create(
                contract=contract, client=client, category=category, employee_no=f"MJ-{suffix}-{n}", department="财务部"
            )
            offer = group_booking.quote(enrollment, day=slot.day)  # the category's package at the contract's terms
            if key == "cheaper":  # the employee did the standard package instead, at the same terms
                done = booking.quote(client, cheaper.code, day=slot.day)
                lines = [booking.Line(line.item, line.price, group_booking.COMPANY) for line in done.lines]
                offer = booking.Quote(done.package, lines, discount_percent=plan.discount, company_pays=True)
            appointment = booking.book(
                SYSTEM,
                client.id,
                slot.id,
                offer.package.code,
                source="group",
                offer=offer,
                allow_started=True,
                on_booked=_linked_to(enrollment.id),  # in the booking's transaction, before its charges
            )
            employees[key] = {"name": name, "appointment": appointment.id, "employee_no": enrollment.employee_no}
        return {
            "contract": contract.id,
            "name": contract.name,
            "hr_email": hr_email,
            "employees": employees,
            "items": {key: item.id for key, item in items.items()},
            "item_names": [item.name_en for item in items.values()] + [item.name_zh for item in items.values()],
        }


def _linked_to(enrollment_id):
    """The booking's ``on_booked`` step of a group booking: the enrollment points at its appointment (so the
    charges are posted to the contract)."""
    from checkup.models import Enrollment

    def link(appointment):
        Enrollment.update(appointment=appointment.id).where(Enrollment.id == enrollment_id).execute()

    return link


def checkups_done(stack, group, skipped):
    """Every employee's checkup is done today: a result for each item, except the ``skipped`` items of the
    "skipper", which the station marked not performed (the employee declined them). Call after booking."""
    from checkup.models import Appointment, AppointmentItem, Result, User
    from checkup.models.appointments import COMPLETED

    with stack.database():
        physician = User.get(User.email == "physician@demo.test")
        for key, employee in group["employees"].items():
            appointment_id = employee["appointment"]
            for line in AppointmentItem.select().where(AppointmentItem.appointment == appointment_id):
                declined = key == "skipper" and line.item_id in [group["items"][k] for k in skipped]
                Result.create(
                    appointment=appointment_id,
                    item=line.item_id,
                    value_text="" if declined else "未见异常",
                    skipped=declined,
                    skip_reason="受检者本人放弃" if declined else "",
                    entered_by=physician,
                )
            Appointment.update(status=COMPLETED, live_day=None).where(Appointment.id == appointment_id).execute()


# --- reading pages ---------------------------------------------------------------------------------------


def closing_rows(page):
    """The closing page's table: {method label: (payments, received, refunded, net)}."""
    found = {}
    rows = page.locator("main table tbody tr")
    for i in range(rows.count()):
        row = rows.nth(i)
        if not row.locator("th").count():
            continue  # "Nothing taken or refunded on this day."
        cells = row.locator("td").all_inner_texts()
        found[row.locator("th").inner_text().strip()] = (int(cells[0]), *(shown_amount(c) for c in cells[1:]))
    return found


def dashboard_revenue(page, url):
    """The management dashboard's revenue card: {"total", "individual", "group"} as Decimal."""
    page.goto(url + "/admin/management")
    card = page.locator("article", has=page.get_by_role("heading", name="Revenue", exact=True))
    expect(card).to_have_count(1)
    text = card.inner_text()
    parts = re.search(r"Individual: ([\d,.\-]+) · Group: ([\d,.\-]+)", text)
    assert parts, text
    total = shown_amount(card.locator(".big-number").inner_text())
    return {"total": total, "individual": shown_amount(parts.group(1)), "group": shown_amount(parts.group(2))}
