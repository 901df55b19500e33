"""Roster files for tests: rows of made-up employees as CSV or XLSX bytes, and an HR world with a contract."""

import datetime
import io

from checkup.core.audit import Actor
from checkup.services.groups.roster.roster_file import HEADERS_EN
from tests import factories

SURNAMES = "王李张刘陈杨黄赵吴周"


def employee(n, **changes):
    """A valid roster row (dict by English header) for employee ``n``: a woman born in 1980 + n % 20."""
    born = datetime.date(1980 + n % 20, 1 + n % 12, 1 + n % 28)
    values = {
        "employee number": f"E{n:05d}",
        "name": f"{SURNAMES[n % 10]}员工{n}",
        "sex": "女",
        "birth date": born.isoformat(),
        "national ID": factories.national_id_for(born, "female", sequence=n),
        "phone": f"139{n:08d}",
        "email": f"e{n}@acme.example",
        "department": f"部门{n % 5}",
        "category": "",
    }
    values.update(changes)
    return values


def as_rows(employees, header=HEADERS_EN):
    return [list(header)] + [[e.get(h, "") for h in HEADERS_EN] for e in employees]


def csv_bytes(employees, header=HEADERS_EN, encoding="utf-8"):
    lines = [",".join(f'"{v}"' if "," in str(v) else str(v) for v in row) for row in as_rows(employees, header)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(employees=(), header=HEADERS_EN, rows=None):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows if rows is not None else as_rows(employees, header):
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


class RosterWorld:
    """An organization, its HR contact and an active contract with one catch-all category."""

    def __init__(self, status="active", categories=None, organization=None, hr=None):
        self.organization = organization or factories.make_organization()
        self.hr = hr or factories.make_user("hr", organization=self.organization)
        self.contract = factories.make_contract(self.organization, status=status, categories=categories)
        self.category = self.contract.categories[0]

    def actor(self):
        return Actor(self.hr, "127.0.0.1")
