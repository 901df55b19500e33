"""The roster spreadsheet: its columns (English or Chinese headers), its rows as plain text, the template.

``read_roster`` checks the file as a whole (size, real type, zip bombs, XML entities, encoding, header,
row count) through ``upload_files`` and returns every non-blank row as text cells, in ``FIELDS`` order,
with the row number a spreadsheet shows. Cell values are never interpreted beyond that: a cell
starting with "=" stays the text it is. Rows are checked one by one later, by ``roster_rules``.
"""

import csv
import datetime
import io
import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font

from checkup.core.upload_files import XLSX, UploadRefused, open_records

FIELDS = ("employee_no", "name", "sex", "birth_date", "national_id", "phone", "email", "department", "category")
REQUIRED = ("employee_no", "name", "sex", "birth_date")
MAX_ROWS = 20_000
MAX_COLUMNS = 40
MAX_CELL_CHARS = 500  # longer cells are cut here; every column's own limit is far below
BLANK_RUN_END = 1000  # this many blank rows in a row end the data (styled but empty rows below a table)
MAX_RECORDS = 100_000  # rows looked at, blank ones included
EXCEL_EPOCH = datetime.date(1899, 12, 30)
LAST_EXCEL_SERIAL = 80_000  # 2119: a larger number in the birth date column is not a serial date

# The template's header row, in English and in Chinese; both (and the aliases below) are understood.
HEADERS_EN = ("employee number", "name", "sex", "birth date", "national ID", "phone", "email", "department", "category")
HEADERS_ZH = ("工号", "姓名", "性别", "出生日期", "身份证号", "手机", "邮箱", "部门", "类别")
ALIASES = {
    "employee_no": (
        "employee no",
        "employee no.",
        "employee id",
        "staff number",
        "staff no",
        "员工编号",
        "员工号",
        "职工号",
        "工号编号",
    ),
    "name": ("full name", "employee name", "员工姓名"),
    "sex": ("gender", "性别（男/女）"),
    "birth_date": ("date of birth", "birthday", "dob", "birth", "生日", "出生年月日"),
    "national_id": ("national id number", "id number", "id no", "resident id", "身份证", "身份证号码", "证件号码"),
    "phone": ("mobile", "mobile phone", "phone number", "cell phone", "手机号", "手机号码", "电话", "联系电话"),
    "email": ("e-mail", "email address", "电子邮箱", "电子邮件", "邮件"),
    "department": ("dept", "所属部门"),
    "category": ("category label", "group", "体检类别", "分类", "类别名称"),
}
_PARENTHESES = re.compile(r"[(（][^)）]*[)）]")
_SPACES = re.compile(r"[\s_]+")


def _key(text):
    """A header cell reduced to compare: case, BOM, '*' marks, '(hints)' and spacing do not matter."""
    text = _PARENTHESES.sub("", str(text or "").replace("\ufeff", "")).replace("*", "")
    return _SPACES.sub(" ", text).strip().casefold()


HEADER_FIELDS = {}
for _field, _en, _zh in zip(FIELDS, HEADERS_EN, HEADERS_ZH):
    for _name in (_en, _zh, _field, *ALIASES[_field]):
        HEADER_FIELDS[_key(_name)] = _field


@dataclass
class RosterFile:
    kind: str  # csv | xlsx
    columns: tuple  # the FIELDS the header names
    rows: list  # [(row number, [text per FIELDS])]


def max_bytes():
    return current_app.config["UPLOAD_MAX_BYTES"]


def cell_text(value, field=None, kind=None):
    """A cell as trimmed text: dates as YYYY-MM-DD, whole numbers without '.0', formulas as their text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time(0) else value.isoformat(" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (int, float)):
        if field == "birth_date" and kind == XLSX and 1 <= value <= LAST_EXCEL_SERIAL:
            return (EXCEL_EPOCH + datetime.timedelta(days=int(value))).isoformat()  # a date cell without format
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e18:
            return str(int(value))
        return str(value)
    return str(value).strip()[:MAX_CELL_CHARS]


def _blank(record):
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in record)


def _pick(record, index):
    return record[index] if index is not None and index < len(record) else None


def _header(record):
    """{field: column index} of a header row; UploadRefused if a required column is missing or doubled."""
    positions = {}
    for index, value in enumerate(record):
        field = HEADER_FIELDS.get(_key(value))
        if field is None:
            continue
        if field in positions:
            raise UploadRefused(
                _l('The column "%(column)s" appears twice in the header row. Keep one.', column=cell_text(value))
            )
        positions[field] = index
    missing = [HEADERS_EN[FIELDS.index(f)] for f in REQUIRED if f not in positions]
    if missing:
        raise UploadRefused(
            _l(
                "The first row must be the header with at least: employee number, name, sex, "
                "birth date (missing: %(missing)s). Download the template to see the layout.",
                missing=", ".join(missing),
            )
        )
    return positions


def read_roster(filename, content):
    """The roster's rows as text, or UploadRefused for a file that cannot be used at all (nothing kept)."""
    kind, records = open_records(filename, content, max_bytes(), MAX_COLUMNS)
    positions, rows, blank_run, last, seen = None, [], 0, 0, 0
    try:
        for number, record in records:
            seen += 1
            if seen > MAX_RECORDS:
                raise _too_many()
            blank_run += max(0, number - last - 1)  # rows a workbook leaves out are blank rows
            last = number
            if _blank(record):
                blank_run += 1
            if positions is not None and blank_run >= BLANK_RUN_END:
                break
            if _blank(record):
                continue
            blank_run = 0
            if positions is None:
                positions = _header(record)
                continue
            if len(rows) >= MAX_ROWS:
                raise _too_many()
            rows.append((number, [cell_text(_pick(record, positions.get(f)), f, kind) for f in FIELDS]))
    finally:
        records.close()  # closes the workbook even when reading stopped early
    if positions is None:
        raise UploadRefused(_l("The file is empty."))
    if not rows:
        raise UploadRefused(_l("The file has a header but no rows under it."))
    return RosterFile(kind, tuple(f for f in FIELDS if f in positions), rows)


def _too_many():
    return UploadRefused(_l("The file has more than %(max)s rows. Split it into smaller files.", max=MAX_ROWS))


# --- the template to download ----------------------------------------------------------------------


def _headers(chinese):
    return list(HEADERS_ZH if chinese else HEADERS_EN)


def example_row(category_label=""):
    """One made-up employee (a valid ID number for her birth date and sex)."""
    return [
        "E0001",
        "王芳",
        "女",
        "1988-03-15",
        "110105198803152024",
        "13800138000",
        "wang.fang@example.com",
        "财务部",
        category_label,
    ]


def template_csv(category_label="", chinese=False):
    """A CSV with the header and one example row (UTF-8 with BOM, so Excel opens the Chinese correctly)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_headers(chinese))
    writer.writerow(example_row(category_label))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(category_label="", chinese=False):
    """An XLSX with the header and one example row; ID, phone and employee number columns are text."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "roster"
    sheet.append(_headers(chinese))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    example = example_row(category_label)
    example[3] = datetime.date.fromisoformat(example[3])
    sheet.append(example)
    sheet.cell(2, 4).number_format = "yyyy-mm-dd"
    for column in (1, 5, 6):  # long digit strings must stay text, or Excel rounds them
        sheet.cell(2, column).number_format = "@"
    for letter, width in zip("ABCDEFGHI", (16, 12, 8, 14, 22, 16, 28, 16, 18)):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
