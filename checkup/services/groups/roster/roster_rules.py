"""The rules every roster row must meet, checked from the file's values and the contract's categories alone.

A problem is a ``RowError(row, column, code, params)``: the row number as the file shows it, the column
(one of ``roster_file.FIELDS``), a reason code and its parameters. Codes, not sentences, are stored, so
the reason is shown in the reader's language (``reason_text``) even when a background job found it.
"""

import datetime
import re
import unicodedata
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask import current_app, has_app_context
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from checkup.core import national_id
from checkup.services.catalog.packages import age_on
from checkup.services.groups.contract_rules import match_category
from checkup.services.groups.roster.roster_file import FIELDS

EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)
LIMITS = {"employee_no": 50, "name": 100, "email": 254, "department": 100, "category": 100}
SEX_VALUES = {
    "male": "male",
    "m": "male",
    "man": "male",
    "男": "male",
    "男性": "male",
    "female": "female",
    "f": "female",
    "woman": "female",
    "女": "female",
    "女性": "female",
}
_DATE_PARTS = re.compile(
    r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?"
    r"(?:[ T]0{1,2}:00(?::00)?)?"
)
_DATE_COMPACT = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_MOBILE = re.compile(r"(?:\+?86)?(1[3-9][0-9]{9})")
_LANDLINE = re.compile(r"(0[0-9]{2,3})-([0-9]{7,8})(?:-([0-9]{1,6}))?")
_LANDLINE_DIGITS = re.compile(r"0[0-9]{9,11}")  # no dash: where the area code ends is not known, keep it as is
_PHONE_NOISE = re.compile(r"[\s()（）\u2010-\u2015]")

COLUMN_LABELS = {
    "employee_no": _l("Employee number"),
    "name": _l("Full name"),
    "sex": _l("Sex"),
    "birth_date": _l("Birth date"),
    "national_id": _l("National ID"),
    "phone": _l("Phone"),
    "email": _l("Email"),
    "department": _l("Company department"),
    "category": _l("Category"),
}
REASONS = {
    "required": _l("This cell is empty; it is required."),
    "too_long": _l("Too long: use at most %(max)s characters."),
    "sex": _l("Write the sex as male or female (M/F, 男/女)."),
    "date": _l("Not a date. Write it as YYYY-MM-DD, such as 1985-06-01 (2026/03/02 and 1985年6月1日 work too)."),
    "date_range": _l("This birth date is not possible (before 1900 or in the future)."),
    "id_format": _l("Not an ID number: 17 digits, then a digit or X."),
    "id_birth_date": _l("Digits 7 to 14 of the ID number are not a real date of birth."),
    "id_checksum": _l("The last character does not match the rest of the ID number; check for a typing mistake."),
    "id_sex": _l("The ID number does not match the sex (its 17th digit is odd for men, even for women)."),
    "id_born": _l("The ID number does not match the birth date (digits 7 to 14 hold the birth date)."),
    "phone": _l(
        "Not a phone number: a mobile number of 11 digits starting with 1, or a landline such as 010-12345678."
    ),
    "email": _l("Not an email address."),
    "duplicate_employee": _l("The same employee number is on row %(row)s."),
    "duplicate_id": _l("The same ID number is on row %(row)s."),
    "duplicate_person": _l("The same name and phone number are on row %(row)s."),
    "employee_taken": _l("This employee number is already on the roster for another person."),
    "already_enrolled": _l("This person is already on the roster with employee number %(number)s."),
    "same_person": _l("Same person as row %(row)s (same ID number, or same name and phone)."),
}
CATEGORY_REASON = "category_rule"  # params: {"msgid": the English message of contract_rules.match_category}


@dataclass
class RowError:
    row: int
    column: str
    code: str
    params: dict | None = None

    def packed(self):
        return [self.row, self.column, self.code, self.params or {}]


def unpack_error(packed):
    row, column, code, params = packed
    return RowError(row, column, code, params or {})


def reason_text(code, params):
    """The reason in the current language."""
    params = params or {}
    if code == CATEGORY_REASON:
        return gettext(params.get("msgid", ""))
    template = REASONS.get(code)
    return str(template) % params if template is not None and params else str(template or code)


def column_label(column):
    return COLUMN_LABELS.get(column, column)


def _msgid(message):
    """The untranslated text of a lazy message (flask-babel keeps it as the first argument)."""
    args = getattr(message, "_args", None)
    return args[0] if args else str(message)


# --- single values -------------------------------------------------------------------------------------


def parse_sex(text):
    return SEX_VALUES.get(unicodedata.normalize("NFKC", text).strip().casefold())


def parse_birth_date(text):
    """A date from the formats a spreadsheet or a person writes, or None."""
    text = unicodedata.normalize("NFKC", text).strip()
    match = _DATE_PARTS.fullmatch(text) or _DATE_COMPACT.fullmatch(text)
    if not match:
        return None
    try:
        return datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def parse_phone(text):
    """A mainland mobile (11 digits) or a landline written 0AA(A)-NNNNNNN(N)[-ext], or None."""
    text = _PHONE_NOISE.sub("", unicodedata.normalize("NFKC", text))
    mobile = _MOBILE.fullmatch(text.replace("-", "")) if not text.startswith("0") else None
    if mobile:
        return mobile.group(1)
    landline = _LANDLINE.fullmatch(text)
    if landline:
        area, number, extension = landline.groups()
        return f"{area}-{number}" + (f"-{extension}" if extension else "")
    return text if _LANDLINE_DIGITS.fullmatch(text) else None


def parse_email(text):
    """The address as email-validator normalizes it, lower-cased, or None; no DNS look-up.

    Special-use domains are refused, except the reserved `test` one where the configuration allows it
    (ALLOW_TEST_EMAIL_DOMAINS: the embedded demo, whose mail only reaches the outbox folder).
    """
    text = unicodedata.normalize("NFKC", text).strip()
    allow_test = has_app_context() and bool(current_app.config.get("ALLOW_TEST_EMAIL_DOMAINS", False))
    try:
        address = validate_email(text, check_deliverability=False, test_environment=allow_test)
    except EmailNotValidError:
        return None
    return address.normalized.lower()


def id_problem(number, sex, born):
    """The reason code of the one most useful complaint about an ID number, or None."""
    if not _ID_SHAPE.fullmatch(number):
        return "id_format"
    problem = national_id.problem(number)
    if problem:
        return {"format": "id_format", "birth_date": "id_birth_date", "checksum": "id_checksum"}[problem]
    if sex and national_id.sex(number) != sex:
        return "id_sex"
    if born and national_id.birth_date(number) != born:
        return "id_born"
    return None


# --- a whole row and the whole file ---------------------------------------------------------------------


def check_row(number, values, categories, age_day, today):
    """(clean row dict or None, [RowError]) for one row; ``values`` follows roster_file.FIELDS."""
    (employee_no, name, sex_text, born_text, id_text, phone_text, email_text, department, label) = values
    errors = []

    def error(column, code, **params):
        errors.append(RowError(number, column, code, params or None))

    employee_no = unicodedata.normalize("NFKC", employee_no).strip()
    for column, value in (("employee_no", employee_no), ("name", name), ("sex", sex_text), ("birth_date", born_text)):
        if not value:
            error(column, "required")
    for column, value in (
        ("employee_no", employee_no),
        ("name", name),
        ("email", email_text),
        ("department", department),
        ("category", label),
    ):
        if len(value) > LIMITS[column]:
            error(column, "too_long", max=LIMITS[column])
    sex = parse_sex(sex_text) if sex_text else None
    if sex_text and sex is None:
        error("sex", "sex")
    born = parse_birth_date(born_text) if born_text else None
    if born_text and born is None:
        error("birth_date", "date")
    elif born is not None and not EARLIEST_BIRTH_DATE <= born <= today:
        error("birth_date", "date_range")
        born = None
    number_id = national_id.normalize(id_text) if id_text else ""
    if number_id:
        problem = id_problem(number_id, sex, born)
        if problem:
            error("national_id", problem)
    phone = parse_phone(phone_text) if phone_text else ""
    if phone is None:
        error("phone", "phone")
    email = parse_email(email_text) if email_text else ""
    if email is None:
        error("email", "email")
    category = None
    if sex and born:
        category, message = match_category(categories, sex, age_on(born, age_day), label)
        if category is None:
            error("category", CATEGORY_REASON, msgid=_msgid(message))
    if errors:
        return None, errors
    return {
        "row": number,
        "employee_no": employee_no,
        "name": name,
        "sex": sex,
        "birth_date": born.isoformat(),
        "national_id": number_id,
        "phone": phone,
        "email": email,
        "department": department,
        "category": category.id,
    }, []


def check_rows(raw_rows, categories, age_day, today, progress=None, every=500):
    """(clean rows, errors) of the whole file: each row's rules, then duplicates across rows.

    ``progress(n)`` is called every ``every`` rows with the number checked so far.
    """
    clean, errors = [], []
    first_employee, first_id, first_person = {}, {}, {}
    for index, (number, values) in enumerate(raw_rows, 1):
        row, row_errors = check_row(number, values, categories, age_day, today)
        duplicates = []
        employee_no = unicodedata.normalize("NFKC", values[0]).strip()
        if employee_no:
            if employee_no in first_employee:
                duplicates.append(
                    RowError(number, "employee_no", "duplicate_employee", {"row": first_employee[employee_no]})
                )
            else:
                first_employee[employee_no] = number
        number_id = national_id.normalize(values[4]) if values[4] else ""
        if number_id:
            if number_id in first_id:
                duplicates.append(RowError(number, "national_id", "duplicate_id", {"row": first_id[number_id]}))
            else:
                first_id[number_id] = number
        phone = parse_phone(values[5]) if values[5] else None
        if phone and values[1]:
            if (phone, values[1]) in first_person:
                duplicates.append(
                    RowError(number, "phone", "duplicate_person", {"row": first_person[(phone, values[1])]})
                )
            else:
                first_person[(phone, values[1])] = number
        errors += sorted(row_errors + duplicates, key=lambda e: column_order(e.column))
        if row is not None and not duplicates:
            clean.append(row)
        if progress is not None and index % every == 0:
            progress(index)
    return clean, errors


def column_order(column):
    return FIELDS.index(column) if column in FIELDS else len(FIELDS)
