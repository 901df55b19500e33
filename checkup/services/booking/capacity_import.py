"""Capacity import: a CSV or XLSX of slots (date, start, end, capacity), validated row by row, all or nothing.

Every row is checked before anything is written (format, order, duplicates, overlaps,
the past, closed days, places already booked); one bad row rejects the whole file,
with each problem reported by row number and column. A clean file is written in one
transaction: new slots are created, existing ones get the file's end time and
capacity, and every active limited resource gets its default capacity on the file's
days where it has none yet.
"""

import csv
import datetime
import io
import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from peewee import IntegrityError

from checkup.core import audit, clock, tasks, upload_files
from checkup.core.errors import Conflict, ValidationError
from checkup.models import Slot
from checkup.models.base import db
from checkup.services.booking.capacity import (
    DEFAULT_SLOTS,
    FIRST_YEAR,
    LAST_YEAR,
    MAX_CAPACITY,
    default_resource_capacities,
    open_resource_days,
)

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 30
COLUMNS = ("date", "start", "end", "capacity")
# Header names understood besides the English ones (a Chinese spreadsheet may use these).
HEADER_ALIASES = {
    "日期": "date",
    "开始": "start",
    "开始时间": "start",
    "结束": "end",
    "结束时间": "end",
    "容量": "capacity",
    "名额": "capacity",
}
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
TIME_PATTERN = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::(00))?")
WHOLE_PATTERN = re.compile(r"[0-9]{1,9}")


class ImportFileError(ValidationError):
    """The file as a whole cannot be used: wrong type, unreadable, empty, too large, no header."""


class ImportRejected(ValidationError):
    """Some rows are wrong; ``problems`` lists each one. Nothing was written."""

    def __init__(self, problems):
        message = _l(
            "%(n)s problems found. Nothing was imported; correct the file and upload it again.", n=len(problems)
        )
        super().__init__(message)
        self.problems = problems


@dataclass
class RowProblem:
    row: int  # the row number as a spreadsheet shows it (the header is row 1)
    column: str  # one of COLUMNS, or "" for the whole row
    message: object


@dataclass
class SlotRow:
    """One good row of the file."""

    row: int
    day: datetime.date
    start: datetime.time
    end: datetime.time
    capacity: int


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    resource_days: int = 0
    days: list = field(default_factory=list)


# --- reading the file ---------------------------------------------------------------------------


def read_rows(filename, content):
    """[(row number, {column: raw value})] of a CSV or XLSX file's non-blank data rows.

    The file is checked by upload_files (size, real type by content, zip bombs, XML entities, encoding);
    raises ImportFileError for any file that cannot be used, a missing header or more than MAX_ROWS rows.
    """
    try:
        kind = upload_files.file_kind(filename, content, MAX_BYTES)
        if kind == upload_files.XLSX:
            records = _xlsx_records(content)
        else:
            records = upload_files.csv_records(upload_files.decode_text(content), MAX_COLUMNS)
        try:
            return _rows_under_header(records)
        finally:
            records.close()  # closes the workbook even when reading stopped early
    except upload_files.UploadRefused as refused:
        raise ImportFileError(refused.message) from None


def _xlsx_records(content):
    """Rows of the first sheet through openpyxl, which gives spreadsheet dates and times as Python values."""
    unreadable = _l("This file is not a readable XLSX workbook. Save it again from Excel as .xlsx, or as CSV.")

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (KeyError, InvalidFileException, XML errors) on a bad file
        raise ImportFileError(unreadable)
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise ImportFileError(_l("The file is empty."))
        try:
            for number, record in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), 1):
                yield number, list(record)
        except ImportFileError:
            raise
        except Exception:
            raise ImportFileError(unreadable)
    finally:
        workbook.close()


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _header_name(value):
    text = str(value or "").strip().lstrip("\ufeff").lower()
    return HEADER_ALIASES.get(text, text)


def _rows_under_header(records):
    header = None
    rows = []
    for number, record in records:
        if all(_blank(v) for v in record):
            continue
        if header is None:
            names = [_header_name(v) for v in record]
            missing = [c for c in COLUMNS if c not in names]
            if missing:
                raise ImportFileError(
                    _l(
                        "The first row must be the header: date, start, end, capacity "
                        "(missing: %(missing)s). Download the template to see the layout.",
                        missing=", ".join(missing),
                    )
                )
            header = {c: names.index(c) for c in COLUMNS}
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(_l("The file has more than %(max)s rows. Split it into smaller files.", max=MAX_ROWS))
        rows.append((number, {c: (record[i] if i < len(record) else None) for c, i in header.items()}))
    if header is None:
        raise ImportFileError(_l("The file is empty."))
    if not rows:
        raise ImportFileError(_l("The file has a header but no rows under it."))
    return rows


# --- checking the values ------------------------------------------------------------------------


def parse_date(value):
    """A cell → date, or ValueError. Text must be YYYY-MM-DD."""
    if isinstance(value, datetime.datetime):
        if value.time() != datetime.time(0):
            raise ValueError
        value = value.date()
    elif isinstance(value, datetime.date):
        pass
    elif isinstance(value, str) and DATE_PATTERN.fullmatch(value.strip()):
        value = datetime.date.fromisoformat(value.strip())
    else:
        raise ValueError
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError
    return value


def parse_time(value):
    """A cell → time on the minute, or ValueError. Text must be HH:MM."""
    if isinstance(value, datetime.datetime):
        raise ValueError
    if isinstance(value, datetime.time):
        if value.second or value.microsecond:
            raise ValueError
        return value.replace(tzinfo=None)
    if isinstance(value, float) and not isinstance(value, bool) and 0 <= value < 1:
        minutes = value * 24 * 60  # a spreadsheet time stored as a fraction of a day
        if abs(minutes - round(minutes)) > 0.01:
            raise ValueError
        return datetime.time(int(round(minutes)) // 60, int(round(minutes)) % 60)
    if isinstance(value, str):
        match = TIME_PATTERN.fullmatch(value.strip())
        if match:
            return datetime.time(int(match.group(1)), int(match.group(2)))  # ValueError past 23:59
    raise ValueError


def parse_capacity(value):
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, str) and WHOLE_PATTERN.fullmatch(value.strip()):
        value = int(value.strip())
    if not isinstance(value, int) or not 0 <= value <= MAX_CAPACITY:
        raise ValueError
    return value


def _hhmm(value):
    return value.strftime("%H:%M")


def check_rows(raw_rows, today):
    """(good rows, problems) from the file's values alone: formats, order, duplicates, the past."""
    good, problems = [], []
    seen = {}
    for number, values in raw_rows:
        row_problems = []
        parsed = {}
        for column, parser, message in (
            ("date", parse_date, _l("Not a date. Write it as YYYY-MM-DD, such as 2026-03-02.")),
            ("start", parse_time, _l("Not a time. Write it as HH:MM, such as 07:30.")),
            ("end", parse_time, _l("Not a time. Write it as HH:MM, such as 08:30.")),
            (
                "capacity",
                parse_capacity,
                _l("The capacity must be a whole number from 0 to %(max)s.", max=MAX_CAPACITY),
            ),
        ):
            if _blank(values[column]):
                row_problems.append(RowProblem(number, column, _l("This cell is empty.")))
                continue
            try:
                parsed[column] = parser(values[column])
            except (ValueError, TypeError, OverflowError):
                row_problems.append(RowProblem(number, column, message))
        if "date" in parsed and parsed["date"] < today:
            row_problems.append(RowProblem(number, "date", _l("This date is in the past.")))
        if "start" in parsed and "end" in parsed and parsed["end"] <= parsed["start"]:
            row_problems.append(RowProblem(number, "end", _l("The end is not after the start.")))
        if "date" in parsed and "start" in parsed:
            key = (parsed["date"], parsed["start"])
            if key in seen:
                row_problems.append(
                    RowProblem(
                        number, "start", _l("Row %(row)s already has a slot on this date at this time.", row=seen[key])
                    )
                )
            else:
                seen[key] = number
        problems += row_problems
        if not row_problems:
            good.append(SlotRow(number, parsed["date"], parsed["start"], parsed["end"], parsed["capacity"]))
    return good, problems


def _existing_slots(days):
    """{day: {start: Slot}} for the given days, in one query."""
    by_day = {}
    if not days:
        return by_day
    ordered = sorted(days)
    for slot in Slot.select().where(Slot.day.between(ordered[0], ordered[-1])):
        if slot.day in days:
            by_day.setdefault(slot.day, {})[slot.start_time] = slot
    return by_day


def check_against_database(rows):
    """Problems of good rows with what is stored: closed days, bookings above capacity, overlaps."""
    problems = []
    existing = _existing_slots({r.day for r in rows})
    by_day = {}
    for row in rows:
        by_day.setdefault(row.day, []).append(row)
    for day, day_rows in by_day.items():
        slots = existing.get(day, {})
        if slots and all(s.closed for s in slots.values()):
            problems += [
                RowProblem(r.row, "date", _l("The center is closed on this day. Reopen it first.")) for r in day_rows
            ]
            continue
        for row in day_rows:
            slot = slots.get(row.start)
            if slot is not None and slot.booked + slot.held + slot.reserved > row.capacity:
                problems.append(
                    RowProblem(
                        row.row,
                        "capacity",
                        _l(
                            "%(n)s places are already booked in this slot; the capacity cannot be lower. Move them first.",
                            n=slot.booked + slot.held + slot.reserved,
                        ),
                    )
                )
        # The day as it would be after the import: the file's slots plus the stored ones it leaves alone.
        intervals = [(r.start, r.end, r) for r in day_rows]
        intervals += [
            (s.start_time, s.end_time, None) for start, s in slots.items() if start not in {r.start for r in day_rows}
        ]
        intervals.sort(key=lambda i: (i[0], i[1]))
        latest = None
        for interval in intervals:
            if latest is not None and interval[0] < latest[1]:
                culprit = interval[2] or latest[2]
                if culprit is not None:
                    other = latest if culprit is interval[2] else interval
                    where = _l("row %(row)s", row=other[2].row) if other[2] is not None else _l("the existing slot")
                    problems.append(
                        RowProblem(
                            culprit.row,
                            "start",
                            _l(
                                "Overlaps %(where)s (%(start)s–%(end)s).",
                                where=where,
                                start=_hhmm(other[0]),
                                end=_hhmm(other[1]),
                            ),
                        )
                    )
            if latest is None or interval[1] > latest[1]:
                latest = interval
    return problems


def validate(filename, content, today=None):
    """Good rows of the file, or ImportFileError / ImportRejected with every problem (nothing written)."""
    raw_rows = read_rows(filename, content)
    rows, problems = check_rows(raw_rows, today or clock.today())
    problems += check_against_database(rows)
    if problems:
        problems.sort(key=lambda p: (p.row, COLUMNS.index(p.column) if p.column in COLUMNS else len(COLUMNS)))
        raise ImportRejected(problems)
    return rows


def import_capacity(actor, filename, content):
    """Validate the whole file, then write all of it in one transaction, or nothing.

    Returns an ImportResult. Raises ImportFileError (the file), ImportRejected (its
    rows, each problem listed) or Conflict (bookings changed while importing).
    """
    rows = validate(filename, content)
    result = ImportResult(days=sorted({r.day for r in rows}))
    try:
        with db.atomic():
            existing = _existing_slots(set(result.days))
            new_slots = []
            for row in rows:
                slot = existing.get(row.day, {}).get(row.start)
                if slot is None:
                    new_slots.append(
                        {"day": row.day, "start_time": row.start, "end_time": row.end, "capacity": row.capacity}
                    )
                elif (slot.capacity, slot.end_time) == (row.capacity, row.end):
                    result.unchanged += 1
                else:
                    changed = (
                        Slot.update(capacity=row.capacity, end_time=row.end)
                        .where(Slot.id == slot.id, Slot.booked + Slot.held + Slot.reserved <= row.capacity)
                        .execute()
                    )
                    if not changed:  # a booking arrived since the check
                        raise _Changed()
                    result.updated += 1
            for chunk in range(0, len(new_slots), 200):
                Slot.insert_many(new_slots[chunk : chunk + 200]).execute()
            result.created = len(new_slots)
            result.resource_days = open_resource_days(result.days, default_resource_capacities())
            audit.record(
                actor,
                "capacity.imported",
                None,
                file=(filename or "")[:100],
                rows=len(rows),
                created=result.created,
                updated=result.updated,
                resource_days=result.resource_days,
                first=str(result.days[0]),
                last=str(result.days[-1]),
            )
            tasks.defer("waitlist.offer_places_between", result.days[0].isoformat(), result.days[-1].isoformat())
    except (_Changed, IntegrityError):
        raise Conflict(
            _l(
                "Bookings or slots changed while the file was being imported. Nothing was imported; "
                "upload the file again."
            )
        )
    return result


class _Changed(Exception):
    """Rolls the import back when a row can no longer be written as checked."""


# --- the template to download -------------------------------------------------------------------


def _example_rows(today):
    day = today + datetime.timedelta(days=7 + (7 - today.weekday()) % 7)  # a Monday at least a week ahead
    return [(day, start, end, capacity) for start, end, capacity in DEFAULT_SLOTS[:2]]


def template_csv(today=None):
    """A CSV with the header and two example rows (UTF-8 with BOM, so Excel opens it correctly)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for day, start, end, capacity in _example_rows(today or clock.today()):
        writer.writerow([day.isoformat(), _hhmm(start), _hhmm(end), capacity])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(today=None):
    """An XLSX workbook with the header and two example rows (real date and time cells)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "capacity"
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for day, start, end, capacity in _example_rows(today or clock.today()):
        sheet.append([day, start, end, capacity])
        row = sheet.max_row
        sheet.cell(row, 1).number_format = "yyyy-mm-dd"
        sheet.cell(row, 2).number_format = "hh:mm"
        sheet.cell(row, 3).number_format = "hh:mm"
    for letter, width in zip("ABCD", (14, 10, 10, 10)):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
