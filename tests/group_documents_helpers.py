"""A company contract with a roster of ~40 employees in every state, and signed reports with findings.

Figures of the roster (ages on the contract's first day; "done" = completed with a signed report):

    band    enrolled  done  LDL-C high  glucose high  sex of the done (m/f)
    <30         3       3       2            0           2 / 1
    30–39      14      12       5            3           6 / 6     (+1 booked, +1 not booked)
    40–49      12      11       6            3           6 / 5     (+1 no-show)
    50–59      10      10       7            4           5 / 5
    60+         0       0       0            0

so 39 enrolled, 36 completed, LDL-C high in 20, glucose high in 10. Everyone in "<30" works in
"Lab" (a department of 3). ALT high in 4 people (never listed: fewer than k). Ten people once had
"Haemoglobin low" on a superseded report version, and two have it on a draft: neither counts.
"""

import datetime
from decimal import Decimal

from checkup.models import Appointment, AppointmentItem, ContractCategory, Enrollment, Finding, Report, Result, Slot
from checkup.models.appointments import BOOKED, COMPLETED, NO_SHOW
from checkup.services.groups import billing
from tests import factories

BANDS = {"<30": 25, "30–39": 35, "40–49": 45, "50–59": 55}


class GroupWorld:
    def __init__(self, organization=None, discount="10.00", no_show_percent="50.00", status="closed"):
        self.organization = organization or factories.make_organization("Acme Manufacturing")
        lab = factories.make_department("LAB")
        self.ldl = factories.make_item("LDL", lab, name_en="LDL-C", name_zh="低密度脂蛋白胆固醇")
        self.glu = factories.make_item("GLU", lab, name_en="Fasting glucose")
        self.alt = factories.make_item("ALT", lab, name_en="ALT")
        self.hb = factories.make_item("HB", lab, name_en="Haemoglobin")
        self.addon = factories.make_item("TUMOR", lab, price="120.00", name_en="Tumour markers")
        self.staff_package = factories.make_package("STAFF", [self.ldl, self.glu, self.alt, self.hb], price="300.00")
        self.manager_package = factories.make_package("MGMT", [self.ldl, self.glu, self.alt, self.hb], price="555.55")
        self.contract = factories.make_contract(
            self.organization,
            name="Annual checkup",
            status=status,
            discount_percent=Decimal(discount),
            no_show_charge_percent=Decimal(no_show_percent),
            categories=[
                {"label": "Staff", "package": self.staff_package},
                {"label": "Management", "package": self.manager_package},
                {"label": "Interns", "company_pays": False},
            ],
        )
        self.staff, self.management, self.interns = list(
            ContractCategory.select()
            .where(ContractCategory.contract == self.contract.id)
            .order_by(ContractCategory.position)
        )
        self.day = self.contract.window_start
        self.slot = Slot.create(
            day=self.day, start_time=datetime.time(8, 0), end_time=datetime.time(9, 0), capacity=100
        )
        self.enrollments = []
        self.completed = []
        self.physician = factories.make_user("physician", name="Dr. Lin")
        self._n = 0
        self._build()

    # --- building ------------------------------------------------------------------------------

    def birth_date(self, age):
        start = self.contract.window_start
        return start.replace(year=start.year - age) - datetime.timedelta(days=30)

    def employee(self, band, sex, department="Assembly", status=COMPLETED, category=None, name=None):
        self._n += 1
        n = self._n
        client = factories.make_client(
            name=name or f"Employee {n:02d}",
            sex=sex,
            birth_date=self.birth_date(BANDS[band]),
            organization=self.organization,
        )
        category = category or self.staff
        appointment = None
        if status is not None:
            # booked as group booking books: the category's package at the contract's discount
            price = billing.category_price(category.package.price, self.contract.discount_percent)
            company = price if category.company_pays else Decimal("0")
            appointment = Appointment.create(
                exam_code=f"G{self.contract.id:03d}{n:04d}",
                client=client,
                slot=self.slot,
                day=self.day,
                package=category.package,
                status=status,
                source="group",
                total_price=price,
                company_amount=company,
                self_amount=price - company,
            )
        enrollment = Enrollment.create(
            contract=self.contract,
            client=client,
            category=category,
            employee_no=f"E{n:03d}",
            department=department,
            appointment=appointment,
        )
        self.enrollments.append(enrollment)
        if status == COMPLETED:
            self.completed.append(appointment)
        return enrollment, appointment

    def report(self, appointment, findings=(), status="signed", version=1):
        """A report version with findings [(item, flag)] (results created once per appointment and item)."""
        report = Report.create(appointment=appointment, status=status, version=version)
        for item, flag in findings:
            result = Result.get_or_none(Result.appointment == appointment.id, Result.item == item.id) or Result.create(
                appointment=appointment, item=item, value_text="x", flag=flag
            )
            Finding.create(report=report, result=result, item=item, text=f"{item.name_en} {flag}", level="C")
        return report

    def _build(self):
        plan = [  # band, people done, LDL high, GLU high, males among the done
            ("<30", 3, 2, 0, 2),
            ("30–39", 12, 5, 3, 6),
            ("40–49", 11, 6, 3, 6),
            ("50–59", 10, 7, 4, 5),
        ]
        alt_left, hb_left, draft_hb_left = 4, 10, 2
        for band, done, ldl, glu, males in plan:
            for i in range(done):
                sex = "male" if i < males else "female"
                department = "Lab" if band == "<30" else ("Office" if i % 3 == 0 else "Assembly")
                category = self.management if band == "50–59" and i < 4 else self.staff
                _enrollment, appointment = self.employee(band, sex, department, category=category)
                findings = []
                if i < ldl:
                    findings.append((self.ldl, "H"))
                if done - glu <= i:
                    findings.append((self.glu, "HH" if i == done - 1 else "H"))
                if band == "30–39" and alt_left and i % 2 == 1:
                    findings.append((self.alt, "H"))
                    alt_left -= 1
                if hb_left and band != "<30":
                    self.report(appointment, findings + [(self.hb, "L")], status="superseded", version=1)
                    self.report(appointment, findings, status="published", version=2)
                    hb_left -= 1
                else:
                    self.report(appointment, findings)
                    if draft_hb_left and band == "50–59":
                        self.report(appointment, [(self.hb, "L")], status="draft", version=2)
                        draft_hb_left -= 1
        self.booked, _a = self.employee("30–39", "male", status=BOOKED)
        self.not_booked, _a = self.employee("30–39", "female", status=None)
        self.no_show, _a = self.employee("40–49", "female", status=NO_SHOW)

    def add_self_paid_addon(self, appointment, price="120.00"):
        return AppointmentItem.create(
            appointment=appointment, item=self.addon, price=Decimal(price), payer="self", is_addon=True
        )
