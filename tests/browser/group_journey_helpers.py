"""Helpers of the group checkup journey (tests/browser/test_group_journey.py): the roster files HR uploads,
reading HR's pages, and the completed checkups with signed reports arranged in the stack's database."""

import csv
import datetime
import io
import random
import re
from dataclasses import dataclass, field

from playwright.sync_api import expect

from tests.browser.care_journey_helpers import unique

ROSTER_HEADER = [
    "employee number",
    "name",
    "sex",
    "birth date",
    "national ID",
    "phone",
    "email",
    "department",
    "category",
]
STATUS_COLUMNS = ["Not invited", "Invited", "Booked", "Checked in", "Completed", "No-show", "Total"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ["建华", "丽娟", "志强", "秀英", "国平", "海燕", "文博", "静怡", "子豪", "雨桐", "浩然", "梦琪", "俊杰"]


@dataclass
class Employee:
    number: str
    name: str
    sex: str  # male | female
    born: datetime.date
    national_id: str
    phone: str
    email: str
    department: str
    category: str

    def row(self):
        return [
            self.number,
            self.name,
            "男" if self.sex == "male" else "女",
            self.born,
            self.national_id,
            self.phone,
            self.email,
            self.department,
            self.category,
        ]


@dataclass
class Roster:
    """The company's employees (every row correct), and which of them the first, faulty file breaks."""

    suffix: str
    employees: list = field(default_factory=list)

    def by_category(self, label):
        return [e for e in self.employees if e.category == label]


def national_id(born, sex, rng):
    """A valid resident ID number (checksum included) for that birth date and sex."""
    from checkup.core.national_id import check_digit

    sex_digit = rng.choice("13579" if sex == "male" else "02468")
    first17 = f"320102{born:%Y%m%d}{rng.randint(10, 99)}{sex_digit}"
    return first17 + check_digit(first17)


def make_roster(window_start):
    """26 employees in Assembly: 12 men aged 30–39 ("Men") and 11 women aged 40–49 ("Women"); and 3 managers
    aged 50–59 in Finance ("Management": a group smaller than k=10 in its age band, department and category).
    One woman has no email address. Names, phones and emails are unique to this run."""
    suffix = unique()
    rng = random.Random(suffix)
    roster = Roster(suffix)
    plan = (
        [("male", 33, "Assembly", "Men")] * 12
        + [("female", 44, "Assembly", "Women")] * 11
        + [("male", 54, "Finance", "Management")] * 2
        + [("female", 52, "Finance", "Management")]
    )
    ids = set()
    for n, (sex, age, department, category) in enumerate(plan, 1):
        number = None
        while number is None or number in ids:  # unique in the file; random, so no other client has it
            born = datetime.date(window_start.year - age, rng.randint(1, 12), rng.randint(1, 28))
            number = national_id(born, sex, rng)
        ids.add(number)
        name = f"{SURNAMES[n % len(SURNAMES)]}{GIVEN[n % len(GIVEN)]}{suffix[:3]}"
        email = "" if n == 20 else f"emp{n:02d}-{suffix}@example.com"
        roster.employees.append(
            Employee(
                f"J{suffix}-{n:03d}",
                name,
                sex,
                born,
                number,
                f"139{rng.randint(10**7, 10**8 - 1)}",
                email,
                department,
                category,
            )
        )
    return roster


# (row index among the employees, column label shown, reason shown) of each mistake in the first file
FAULTS = [
    (4, "National ID", "The last character does not match the rest of the ID number; check for a typing mistake."),
    (9, "Employee number", "The same employee number is on row 3."),
    (14, "Sex", "Write the sex as male or female (M/F, 男/女)."),
    (19, "Birth date", "This cell is empty; it is required."),
]


def faulty_rows(roster):
    """The roster's rows with the four mistakes of FAULTS: each row number in the sheet is its index + 2."""
    rows = [e.row() for e in roster.employees]
    bad_id = rows[4][4]
    rows[4][4] = bad_id[:17] + ("0" if bad_id[17] != "0" else "1")  # a typing mistake in the check character
    rows[9][0] = rows[1][0]  # the employee number of row 3
    rows[14][2] = "unknown"
    rows[19][3] = None
    return rows


def xlsx_file(rows, name):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(ROSTER_HEADER)
    for row in rows:
        sheet.append(row)
        if isinstance(row[3], datetime.date):
            sheet.cell(sheet.max_row, 4).number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    workbook.save(out)
    return {
        "name": name,
        "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "buffer": out.getvalue(),
    }


def csv_file(rows, name):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(ROSTER_HEADER)
    for row in rows:
        writer.writerow(["" if v is None else v.isoformat() if isinstance(v, datetime.date) else v for v in row])
    return {"name": name, "mimeType": "text/csv", "buffer": ("\ufeff" + out.getvalue()).encode("utf-8")}


# --- reading HR's pages --------------------------------------------------------------------------------


def dashboard_counts(page, stack, contract_id):
    """HR's dashboard, the contract's "All employees" row: {status label: number}."""
    page.goto(stack.url + "/hr")
    section = page.locator(f"section[aria-labelledby='contract-{contract_id}']")
    expect(section).to_be_visible()
    row = section.locator("table", has=page.locator("caption", has_text="Employees by status (the figures")).locator(
        "tbody tr", has=page.get_by_role("rowheader", name="All employees")
    )
    expect(row).to_have_count(1)
    return dict(zip(STATUS_COLUMNS, (int(t) for t in row.locator("td").all_inner_texts())))


def employee_statuses(page, stack, contract_id):
    """The employee list of the contract: {employee number: status shown}."""
    page.goto(f"{stack.url}/hr/employees?contract={contract_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Employees")
    rows = page.locator("#employee-results tbody tr")
    found = {}
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td")
        found[cells.nth(1).inner_text().strip()] = cells.nth(5).inner_text().strip()
    return found


def choose_open_day(page, earliest, months=3):
    """In the booking calendar (``#picker``), click the first day with free places on or after ``earliest``,
    moving on month by month; returns the day once its times are shown."""
    for _ in range(months):
        hrefs = page.locator("#picker table.month td.open a").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        for href in hrefs:
            day = datetime.date.fromisoformat(re.search(r"day=(\d{4}-\d{2}-\d{2})", href).group(1))
            if day >= earliest:
                page.locator(f"#picker table.month td.open a[href*='day={day.isoformat()}']").click()
                expect(page.locator("#slot-heading")).to_have_text(f"Times on {day.isoformat()}")
                return day
        shown = page.locator("#picker .month-nav strong").inner_text()
        page.locator("#picker").get_by_role("link", name="Next month").click()
        expect(page.locator("#picker .month-nav strong")).not_to_have_text(shown)
    raise AssertionError(f"no open day from {earliest} in {months} months of the calendar")


# --- results, arranged in the database ------------------------------------------------------------------


def complete_with_signed_reports(stack, contract_id, skip_client_ids, high_glucose, private_value, private_summary):
    """Every enrollment of the contract except ``skip_client_ids`` gets a completed appointment with a signed
    report: a fasting glucose result (high, with a finding, for every other one until ``high_glucose`` have it;
    the first one's value is ``private_value``) and a normal total cholesterol. Returns the number completed."""
    from decimal import Decimal

    from checkup.core import clock
    from checkup.models import Appointment, Enrollment, ExamItem, Finding, Report, Result, Slot, User
    from checkup.models.appointments import COMPLETED
    from checkup.models.base import utcnow

    with stack.database():
        glucose = ExamItem.get(ExamItem.code == "FPG")
        cholesterol = ExamItem.get(ExamItem.code == "TC")
        physician = User.get(User.email == "physician@demo.test")
        day = clock.today()
        slot = Slot.get_or_none(Slot.day == day, Slot.start_time == datetime.time(0, 5)) or Slot.create(
            day=day, start_time=datetime.time(0, 5), end_time=datetime.time(0, 35), capacity=60, closed=True
        )  # the arranged visits only: nobody can book it
        enrollments = list(
            Enrollment.select()
            .where(Enrollment.contract == contract_id, Enrollment.client.not_in(list(skip_client_ids)))
            .order_by(Enrollment.id)
        )
        for n, enrollment in enumerate(enrollments):
            category = enrollment.category
            price = category.package.price
            appointment = Appointment.create(
                exam_code=f"GJ{contract_id:04d}{n:03d}{unique()[:3]}".upper(),
                client=enrollment.client_id,
                slot=slot,
                day=day,
                package=category.package_id,
                status=COMPLETED,
                source="group",
                total_price=price,
                company_amount=price if category.company_pays else Decimal("0"),
                self_amount=Decimal("0") if category.company_pays else price,
            )
            Enrollment.update(appointment=appointment.id).where(Enrollment.id == enrollment.id).execute()
            high = n % 2 == 0 and n < 2 * high_glucose
            value = private_value if n == 0 else ("8.4" if high else "5.1")
            sugar = Result.create(
                appointment=appointment,
                item=glucose,
                value_text=value,
                value_num=Decimal(value),
                unit="mmol/L",
                flag="H" if high else "",
                ref_low=Decimal("3.9"),
                ref_high=Decimal("6.1"),
                entered_by=physician,
            )
            Result.create(
                appointment=appointment,
                item=cholesterol,
                value_text="4.6",
                value_num=Decimal("4.6"),
                unit="mmol/L",
                ref_high=Decimal("5.2"),
                entered_by=physician,
            )
            report = Report.create(
                appointment=appointment,
                status="signed",
                version=1,
                signed_by=physician,
                signed_at=utcnow(),
                summary=private_summary if n == 0 else "Checked.",
            )
            if high:
                Finding.create(
                    report=report,
                    result=sugar,
                    item=glucose,
                    level="C",
                    text=f"Fasting plasma glucose {value} mmol/L, high",
                )
        return len(enrollments)


def large_roster_rows(count, category):
    """``count`` correct rows (no ID number or email) for the background import: unique to the run."""
    suffix = unique()
    rng = random.Random(suffix)
    rows = []
    for n in range(count):
        sex = "男" if n % 2 else "女"
        born = datetime.date(1970 + n % 30, 1 + n % 12, 1 + n % 28)
        phone = f"139{rng.randrange(10**8):08d}"
        rows.append(
            [
                f"BIG-{suffix}-{n:05d}",
                f"{SURNAMES[n % len(SURNAMES)]}员工{suffix}{n}",
                sex,
                born,
                "",
                phone,
                "",
                "Plant",
                category,
            ]
        )
    return rows


def active_contract_for(stack, hr_email, category):
    """A fresh active contract of the HR account's organization with one catch-all category; its id."""
    from checkup.models import User
    from tests import factories

    with stack.database():
        organization = User.get(User.email == hr_email).organization
        contract = factories.make_contract(
            organization, status="active", categories=[category], name=f"Plant staff {unique()}"
        )
        return contract.id
