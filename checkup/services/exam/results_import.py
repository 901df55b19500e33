"""Instrument import: a lab analyser's CSV export, validated row by row, then committed all or nothing.

An import never overwrites silently (result_conflicts.py): a value for an empty result is stored, the
same value as the one entered is a no-op, a different one waits in the station's conflict list. Rows
for derived items (an analyser's own eGFR, say) are ignored and counted: those items are computed
here from their inputs. ``preview_instrument_csv`` tells all of this before anything is written."""

import csv
import datetime
import io
import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from checkup.core import audit
from checkup.core.errors import Conflict, ValidationError
from checkup.models import Appointment, AppointmentItem, Client, ExamItem, ReferenceRange, Report, Result
from checkup.models.base import db
from checkup.services.exam import derived_items, result_conflicts
from checkup.services.exam.results import (
    LOCKED_REPORT_STATUSES,
    Entry,
    client_age,
    entry_refusal,
    numeric_flag,
    parse_value,
    range_for,
    recompute_derived,
)

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 20000
IMPORT_COLUMNS = ("exam_code", "item_code", "value", "unit", "time")


class ImportFileError(ValidationError):
    """The file as a whole cannot be used: not CSV, unreadable, empty, too large, no header."""


class ImportRejected(ValidationError):
    """Some rows are wrong; ``problems`` lists each one. Nothing was written."""

    def __init__(self, problems):
        super().__init__(
            _l("%(n)s problems found. Nothing was imported; correct the file and upload it again.", n=len(problems))
        )
        self.problems = problems


@dataclass
class RowProblem:
    row: int  # as a spreadsheet shows it: the header is row 1
    column: str
    message: object


@dataclass
class ImportResult:
    rows: int = 0  # rows with a value to apply (ignored rows not counted)
    created: int = 0  # values for empty results, stored
    unchanged: int = 0  # the same value as the one entered: nothing written
    conflicts: int = 0  # differing from an entered value: waiting for the station doctor
    critical: int = 0
    appointments: int = 0
    ignored: int = 0  # rows for derived items
    derived: int = 0  # derived results computed or changed by the new values


@dataclass
class ImportPreview:
    """What importing the file would do, counted from the database as it is now; nothing written."""

    rows: int = 0
    new: int = 0
    unchanged: int = 0
    conflicts: int = 0
    appointments: int = 0
    ignored: int = 0


def _import_rows(filename, data_bytes):
    """[(row number, {column: text})] under the header; ImportFileError for a file that cannot be used."""
    if not (filename or "").strip().lower().endswith(".csv"):
        raise ImportFileError(_l("Upload the analyser's CSV export (a file name ending in .csv)."))
    if not data_bytes:
        raise ImportFileError(_l("The file is empty."))
    if len(data_bytes) > MAX_IMPORT_BYTES:
        raise ImportFileError(_l("The file is larger than 2 MB. Split it into smaller files."))
    unreadable = _l("This file is not a readable CSV file. Export it as CSV (UTF-8) and try again.")
    if b"\x00" in data_bytes[:4096]:
        raise ImportFileError(unreadable)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data_bytes.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError(unreadable)
    header, rows = None, []
    try:
        for number, record in enumerate(csv.reader(io.StringIO(text, newline="")), 1):
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                names = [cell.strip().lstrip("\ufeff").lower() for cell in record[:30]]
                missing = [c for c in IMPORT_COLUMNS if c not in names]
                if missing:
                    raise ImportFileError(
                        _l(
                            "The first row must be the header: %(columns)s (missing: %(missing)s).",
                            columns=", ".join(IMPORT_COLUMNS),
                            missing=", ".join(missing),
                        )
                    )
                header = {c: names.index(c) for c in IMPORT_COLUMNS}
                continue
            if len(rows) >= MAX_IMPORT_ROWS:
                raise ImportFileError(
                    _l("The file has more than %(max)s rows. Split it into smaller files.", max=MAX_IMPORT_ROWS)
                )
            rows.append((number, {c: (record[i].strip() if i < len(record) else "") for c, i in header.items()}))
    except csv.Error:
        raise ImportFileError(unreadable)
    if header is None:
        raise ImportFileError(_l("The file is empty."))
    if not rows:
        raise ImportFileError(_l("The file has a header but no rows under it."))
    return rows


def _parse_time(text):
    """An instrument timestamp: ISO date-time ("2026-03-02 08:15[:30]", "T" allowed) or HH:MM[:SS]."""
    text = text.strip()
    if not text:
        return None
    if len(text) > 40:
        raise ValueError
    if re.fullmatch(r"[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?", text):
        return datetime.time.fromisoformat(text.zfill(8) if text.count(":") == 2 else text.zfill(5))
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?", text):
        return datetime.datetime.fromisoformat(text)
    raise ValueError


@dataclass
class _ImportContext:
    appointments: dict  # exam code -> Appointment (with client)
    items: dict  # item code -> ExamItem
    planned: set  # (appointment id, item id) of AppointmentItems
    locked: set  # appointment ids with a signed report
    ranges: dict  # item id -> [ReferenceRange]
    existing: dict  # (appointment id, item id) -> Result
    ignored: list = field(default_factory=list)  # row numbers of derived items


def _import_context(rows):
    """Everything the rows refer to, in a fixed number of queries whatever the file's length."""
    codes = sorted({v["exam_code"] for _n, v in rows if v["exam_code"]})
    item_codes = sorted({v["item_code"] for _n, v in rows if v["item_code"]})
    appointments, items = {}, {}
    for chunk in range(0, len(codes), 500):
        for a in (
            Appointment.select(Appointment, Client)
            .join(Client)
            .where(Appointment.exam_code.in_(codes[chunk : chunk + 500]))
        ):
            appointments[a.exam_code] = a
    for chunk in range(0, len(item_codes), 500):
        for i in ExamItem.select().where(ExamItem.code.in_(item_codes[chunk : chunk + 500])):
            items[i.code] = i
    appointment_ids = [a.id for a in appointments.values()] or [0]
    item_ids = [i.id for i in items.values()] or [0]
    planned, locked, ranges, existing = set(), set(), {}, {}
    for chunk in range(0, len(appointment_ids), 500):
        ids = appointment_ids[chunk : chunk + 500]
        planned |= {
            (r.appointment_id, r.item_id)
            for r in AppointmentItem.select(AppointmentItem.appointment, AppointmentItem.item).where(
                AppointmentItem.appointment.in_(ids), AppointmentItem.item.in_(item_ids)
            )
        }
        locked |= {
            r.appointment_id
            for r in Report.select(Report.appointment).where(
                Report.appointment.in_(ids), Report.status.in_(LOCKED_REPORT_STATUSES)
            )
        }
        existing.update(
            {
                (r.appointment_id, r.item_id): r
                for r in Result.select().where(Result.appointment.in_(ids), Result.item.in_(item_ids))
            }
        )
    for row in ReferenceRange.select().where(ReferenceRange.item.in_(item_ids)):
        ranges.setdefault(row.item_id, []).append(row)
    return _ImportContext(appointments, items, planned, locked, ranges, existing)


def unit_matches(given, expected):
    """An analyser's unit against the item's: without case, the micro sign and Greek mu as one, and ``u``
    for micro where the item's unit has it (``umol/L`` for µmol/L; ``U/L`` stays units, not micro)."""
    if derived_items.same_unit(given, expected):
        return True
    micro = expected.replace("\u03bc", "\u00b5")
    return "\u00b5" in micro and derived_items.same_unit(given, micro.replace("\u00b5", "u"))


def validate_instrument_rows(rows):
    """(good rows [(number, appointment, Entry, time)], problems) — reads only."""
    context = _import_context(rows)
    good, problems, seen = [], [], {}
    for number, values in rows:
        row_problems = []
        for column in ("exam_code", "item_code", "value"):
            if not values[column]:
                row_problems.append(RowProblem(number, column, _l("This cell is empty.")))
        appointment = context.appointments.get(values["exam_code"])
        item = context.items.get(values["item_code"])
        if item is not None and derived_items.is_derived(item.code):
            context.ignored.append(number)  # computed here from its inputs; the analyser's own is not taken
            continue
        if values["exam_code"] and appointment is None:
            row_problems.append(RowProblem(number, "exam_code", _l("No appointment has this exam code.")))
        if values["item_code"] and item is None:
            row_problems.append(RowProblem(number, "item_code", _l("No exam item has this code.")))
        if appointment is not None and item is not None:
            if (appointment.id, item.id) not in context.planned:
                row_problems.append(
                    RowProblem(number, "item_code", _l("This item is not part of this client's checkup."))
                )
            elif item.result_type != "numeric":
                row_problems.append(
                    RowProblem(number, "item_code", _l("This item is not a numeric result; enter it at the station."))
                )
        if appointment is not None:
            refusal = entry_refusal(appointment, appointment.id in context.locked)
            if refusal:
                row_problems.append(RowProblem(number, "exam_code", refusal))
        if item is not None and not unit_matches(values["unit"], item.unit):
            row_problems.append(
                RowProblem(number, "unit", _l("The unit must be “%(unit)s” for this item.", unit=item.unit))
            )
        try:
            measured = _parse_time(values["time"])
        except ValueError:
            measured = None
            row_problems.append(RowProblem(number, "time", _l("Not a time. Write it as YYYY-MM-DD HH:MM or HH:MM.")))
        entry = None
        if values["value"] and (item is None or item.result_type == "numeric"):
            try:
                number_value = parse_value(values["value"])
            except ValidationError as exc:
                row_problems.append(RowProblem(number, "value", exc.message))
            else:
                if item is not None and appointment is not None and not row_problems:
                    client = appointment.client
                    row = range_for(context.ranges.get(item.id, []), client.sex, client_age(appointment, client))
                    entry = Entry(
                        item,
                        value_text=format(number_value, "f"),
                        value_num=number_value,
                        flag=numeric_flag(number_value, row),
                        ref_low=row.low if row else None,
                        ref_high=row.high if row else None,
                    )
        if appointment is not None and item is not None:
            key = (appointment.id, item.id)
            if key in seen:
                row_problems.append(
                    RowProblem(
                        number, "item_code", _l("Row %(row)s already has this item for this exam code.", row=seen[key])
                    )
                )
            else:
                seen[key] = number
        problems += row_problems
        if not row_problems and entry is not None:
            good.append((number, appointment, entry, measured))
    return good, problems, context


def _checked_rows(filename, data_bytes):
    rows = _import_rows(filename, data_bytes)
    good, problems, context = validate_instrument_rows(rows)
    if problems:
        order = {c: i for i, c in enumerate(IMPORT_COLUMNS)}
        problems.sort(key=lambda p: (p.row, order.get(p.column, len(order))))
        raise ImportRejected(problems)
    if not good:
        raise ImportFileError(_l("Every row of the file is for a computed item; there is nothing to import."))
    return good, context


def preview_instrument_csv(filename, data_bytes):
    """Check the file as ``import_instrument_csv`` does and count what it would do — new values, values
    equal to the entered ones, values that would wait as conflicts, ignored rows. Reads only.
    Raises ImportFileError or ImportRejected like the import."""
    good, context = _checked_rows(filename, data_bytes)
    preview = ImportPreview(
        rows=len(good), appointments=len({a.id for _n, a, _e, _t in good}), ignored=len(context.ignored)
    )
    for _number, appointment, entry, _measured in good:
        kind = result_conflicts.classify(context.existing.get((appointment.id, entry.item.id)), entry)
        preview.new += kind == result_conflicts.NEW
        preview.unchanged += kind == result_conflicts.SAME
        preview.conflicts += kind == result_conflicts.CONFLICT
    return preview


def import_instrument_csv(actor, filename, data_bytes):
    """Validate every row of an analyser's CSV export, then apply all its values in one transaction.

    Columns: exam_code, item_code, value, unit, time. Each value follows the conflict rule
    (result_conflicts.apply_instrument_value): stored when the result is empty, nothing when equal,
    a conflict for the station doctor when it differs — never a silent overwrite. Derived items
    reading the new values are recomputed in the same transaction. Returns an ImportResult. Raises
    ImportFileError (the file as a whole), ImportRejected (each bad row by number and
    column; nothing written) or Conflict (a report was signed while importing; nothing written).
    """
    good, context = _checked_rows(filename, data_bytes)
    result = ImportResult(
        rows=len(good), appointments=len({a.id for _n, a, _e, _t in good}), ignored=len(context.ignored)
    )
    source_ref = (filename or "")[:200]
    with db.atomic():
        appointment_ids = sorted({a.id for _n, a, _e, _t in good})
        for chunk in range(0, len(appointment_ids), 500):
            # a signature that landed after validation wins: import nothing
            signed = (
                Report.select()
                .where(
                    Report.appointment.in_(appointment_ids[chunk : chunk + 500]),
                    Report.status.in_(LOCKED_REPORT_STATUSES),
                )
                .exists()
            )
            if signed:
                raise Conflict(
                    _l(
                        "A report was signed while the file was being imported. Nothing was imported; "
                        "upload the file again."
                    )
                )
        # the results as they are now, in this transaction: a station may have saved one since validation
        current = {}
        item_ids = sorted({e.item.id for _n, _a, e, _t in good})
        for chunk in range(0, len(appointment_ids), 500):
            current.update(
                {
                    (r.appointment_id, r.item_id): r
                    for r in Result.select().where(
                        Result.appointment.in_(appointment_ids[chunk : chunk + 500]), Result.item.in_(item_ids)
                    )
                }
            )
        appointments, changed = {}, {}
        for _number, appointment, entry, _measured in good:
            received = result_conflicts.apply_instrument_value(
                actor,
                appointment,
                entry,
                current.get((appointment.id, entry.item.id)),
                result_conflicts.INSTRUMENT,
                source_ref,
            )
            if received.kind == result_conflicts.NEW:
                result.created += 1
                result.critical += received.alert is not None
                appointments[appointment.id] = appointment
                changed.setdefault(appointment.id, set()).add(entry.item.code)
            elif received.kind == result_conflicts.SAME:
                result.unchanged += 1
            else:
                result.conflicts += 1
        result.derived = len(recompute_derived(actor, appointments, changed))
        audit.record(
            actor,
            "results.imported",
            None,
            file=(filename or "")[:100],
            rows=result.rows,
            created=result.created,
            unchanged=result.unchanged,
            conflicts=result.conflicts,
            critical=result.critical,
            appointments=result.appointments,
            ignored=result.ignored,
            derived=result.derived,
        )
    return result
