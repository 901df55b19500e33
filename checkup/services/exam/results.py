"""Exam results: flags from reference ranges and the rules of entry (a station's sheet: station_sheets.py;
worklists and alerts: stations.py; analyser files: results_import.py).

Flag convention (one rule everywhere, reports included):

* a value exactly at ``low`` or ``high`` is NORMAL ("N"); strictly below ``low`` is "L",
  strictly above ``high`` is "H";
* a value exactly at ``critical_low`` / ``critical_high`` is CRITICAL ("LL" / "HH"),
  as is anything beyond it — a critical limit is the first value that needs action now;
* no range for the client's sex and age (or a range with no limits) gives "" (not flagged);
* text and choice results are "A" when the physician marks them abnormal, else "N".

Results can be written while the appointment is checked in (or completed, while no
report is signed). Once a report version is signed the results are locked: only an
amendment (the review service) changes them. Every write is audited; a critical value
opens a ``CriticalAlert`` at once — it does not wait for the report.

Derived items (BMI, eGFR, … — formulas in derived_items.py) are never typed: storing one of their
inputs recomputes them in the same transaction (``recompute_derived``), stored with source "derived"
and flagged like any result.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

from checkup.core import audit
from checkup.core.errors import NotFound, ValidationError
from checkup.core.i18n import localized
from checkup.models import (
    Appointment,
    AppointmentItem,
    Client,
    CriticalAlert,
    ExamItem,
    ReferenceRange,
    Report,
    Result,
)
from checkup.models.appointments import CHECKED_IN, COMPLETED
from checkup.models.base import db, utcnow
from checkup.models.results import ABNORMAL, CRITICAL_FLAGS, CRITICAL_HIGH, CRITICAL_LOW, HIGH, LOW, NORMAL
from checkup.reports.fonts import text_language
from checkup.services.catalog.packages import age_on
from checkup.services.exam import derived_items, events

# A report in one of these states froze the results (superseded versions were signed once too).
LOCKED_REPORT_STATUSES = ("signed", "published", "superseded")
ENTRY_STATUSES = (CHECKED_IN, COMPLETED)
SOURCES = ("station", "instrument")
DERIVED_SOURCE = "derived"  # computed from other results (derived_items.py), never typed
DERIVED_REFUSAL = _l("This item is computed from other results; it cannot be typed.")
MAX_RAW_LENGTH = 32  # a number longer than this is a typing accident, not a measurement
MAX_TEXT_LENGTH = Result.value_text.max_length
MAX_SKIP_REASON = Result.skip_reason.max_length
MAX_NOTE_LENGTH = CriticalAlert.note.max_length
# Up to 10 integer digits and 4 decimals: what Result.value_num (14, 4) holds.
NUMBER_PATTERN = re.compile(r"[+-]?(?:[0-9]{1,10}(?:\.[0-9]{0,4})?|\.[0-9]{1,4})")
TOO_MANY_DECIMALS = re.compile(r"[+-]?[0-9]*\.[0-9]{5,}")
OTHER_REASON = "other"
SKIP_REASONS = {
    "declined": _l("Declined by the client"),
    "pregnant": _l("Pregnant"),
    "not_possible": _l("Not possible today"),
}


def skip_reason_label(reason, names=None):
    """The reason as a person reads it, in the language of the moment: a listed code or a derived item's
    reason key ("derived:unmeasured:HIP", see ``derived_items.reason_text``; ``names`` {item code: name} of
    the inputs) translated, free text as typed."""
    if derived_items.is_reason_key(reason):
        return derived_items.reason_text(reason, names)
    return SKIP_REASONS.get(reason, reason)


FLAG_LABELS = {
    NORMAL: _l("Normal"),
    HIGH: _l("High"),
    LOW: _l("Low"),
    CRITICAL_HIGH: _l("Critical high"),
    CRITICAL_LOW: _l("Critical low"),
    ABNORMAL: _l("Abnormal"),
    "": _l("Not flagged"),
}

# --- flags ----------------------------------------------------------------------------------------


def parse_value(raw):
    """Text (or a Decimal/int) -> Decimal, strictly; raises ValidationError with a message for people.

    Accepts an optional sign, up to 10 integer digits and up to 4 decimals ("12", "-0.5",
    ".25"). Refuses blanks, letters, NaN/Infinity, exponents, thousands separators, more
    than 4 decimals (rounding could move a value across a limit) and absurdly long input.
    """
    if isinstance(raw, bool):
        raise ValidationError(_l("Enter a number, such as 5.4."), {"value": _l("Enter a number, such as 5.4.")})
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            raise _not_a_number()
        text = format(raw, "f")
    elif isinstance(raw, int):
        text = str(raw)
    else:
        text = "" if raw is None else str(raw).strip()
    if not text:
        raise ValidationError(_l("Enter a value."), {"value": _l("Enter a value.")})
    if len(text) > MAX_RAW_LENGTH:
        raise _not_a_number()
    if TOO_MANY_DECIMALS.fullmatch(text):
        message = _l("Use at most 4 decimal places.")
        raise ValidationError(message, {"value": message})
    if not NUMBER_PATTERN.fullmatch(text):
        raise _not_a_number()
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern already refuses what Decimal cannot read
        raise _not_a_number()
    return value + Decimal(0)  # normalises "-0" to "0"


def _not_a_number():
    message = _l("Enter a number, such as 5.4 (digits and a decimal point only).")
    return ValidationError(message, {"value": message})


def _range_key(row, client_sex):
    # a sex-specific row beats an "any" row; then the narrower age band; then the older row
    return (0 if row.sex == client_sex else 1, row.age_max - row.age_min, row.id)


def range_for(ranges, client_sex, client_age):
    """The reference range that applies to a client among ``ranges`` (one item's rows), or None."""
    matching = [r for r in ranges if r.sex in ("any", client_sex) and r.age_min <= client_age <= r.age_max]
    return min(matching, key=lambda r: _range_key(r, client_sex)) if matching else None


def numeric_flag(value, row):
    """The flag of a numeric value against one range row (see the module docstring)."""
    if row is None or all(getattr(row, f) is None for f in ("low", "high", "critical_low", "critical_high")):
        return ""
    if row.critical_low is not None and value <= row.critical_low:
        return CRITICAL_LOW
    if row.critical_high is not None and value >= row.critical_high:
        return CRITICAL_HIGH
    if row.low is not None and value < row.low:
        return LOW
    if row.high is not None and value > row.high:
        return HIGH
    return NORMAL


def flag_for(item, client_sex, client_age, value, abnormal=False, ranges=None):
    """(flag, range row or None, numeric value or None) for one item's value for one client.

    Numeric items: ``value`` is parsed strictly (``parse_value``; ValidationError when it
    is not a number) and compared with the range for the client's sex and age. Text and
    choice items: "A" when ``abnormal`` else "N". ``ranges`` may be passed in to save a query.
    """
    if item.result_type != "numeric":
        return (ABNORMAL if abnormal else NORMAL), None, None
    number = parse_value(value)
    if ranges is None:
        ranges = list(ReferenceRange.select().where(ReferenceRange.item == item.id))
    row = range_for(ranges, client_sex, client_age)
    return numeric_flag(number, row), row, number


def client_age(appointment, client):
    """The client's age in whole years on the exam day (the age the reference ranges mean)."""
    return age_on(client.birth_date, appointment.day)


# --- checks shared by station entry and instrument import ----------------------------------------


def is_locked(appointment_id):
    """True once any report version of the appointment has been signed."""
    return (
        Report.select().where(Report.appointment == appointment_id, Report.status.in_(LOCKED_REPORT_STATUSES)).exists()
    )


def entry_refusal(appointment, locked):
    if locked:
        return _l("Results are locked; use an amendment.")
    if appointment.status not in ENTRY_STATUSES:
        return _l("Results can be entered only for a checked-in client.")
    return None


def _check_text(item, raw_value):
    text = "" if raw_value is None else str(raw_value).strip()
    if not text:
        raise ValidationError(_l("Enter a value."), {"value": _l("Enter a value.")})
    if len(text) > MAX_TEXT_LENGTH:
        message = _l("Use at most %(max)d characters.", max=MAX_TEXT_LENGTH)
        raise ValidationError(message, {"value": message})
    if item.result_type == "choice" and item.choice_list and text not in item.choice_list:
        message = _l("Choose one of: %(choices)s.", choices=", ".join(item.choice_list))
        raise ValidationError(message, {"value": message})
    return text


def _check_skip_reason(skip_reason):
    reason = " ".join(str(skip_reason or "").split())
    if not reason or reason == OTHER_REASON:
        message = _l("Give a reason for skipping this item.")
        raise ValidationError(message, {"skip_reason": message})
    if len(reason) > MAX_SKIP_REASON:
        message = _l("Use at most %(max)d characters.", max=MAX_SKIP_REASON)
        raise ValidationError(message, {"skip_reason": message})
    return reason


@dataclass
class Entry:
    """A checked value, ready to store."""

    item: ExamItem
    value_text: str = ""
    value_num: Decimal | None = None
    flag: str = ""
    ref_low: Decimal | None = None
    ref_high: Decimal | None = None
    skipped: bool = False
    skip_reason: str = ""
    language: str = ""  # the language free text is written in ("zh" | "en"), "" for numbers and neutral text


def written_in(item, text):
    """The language a text or choice result is written in, read from the script of what the doctor typed
    ("zh", "en"), or "" when it has no words ("1+", "—"), when its lines are written in both languages (the
    report keeps the lines of its own) or the item is numeric. The report marks a text that exists only in the
    other language "(original in …)" by it. The script, not the screen's language: a doctor on the Chinese
    screen may well type an English finding, and "1+" is in no language."""
    if item.result_type == "numeric":
        return ""
    spoken = {text_language(line) for line in str(text or "").splitlines()} - {""}
    return spoken.pop() if len(spoken) == 1 else ""


def check_entry(item, client, appointment, raw_value, abnormal=False, skipped=False, skip_reason="", ranges=None):
    """An Entry for the value, or ValidationError — reads only, so the live flag can use it."""
    if skipped:
        return Entry(item, skipped=True, skip_reason=_check_skip_reason(skip_reason))
    if item.result_type == "numeric":
        flag, row, number = flag_for(item, client.sex, client_age(appointment, client), raw_value, ranges=ranges)
        return Entry(
            item,
            value_text=format(number, "f"),
            value_num=number,
            flag=flag,
            ref_low=row.low if row else None,
            ref_high=row.high if row else None,
        )
    text = _check_text(item, raw_value)
    return Entry(item, value_text=text, flag=ABNORMAL if abnormal else NORMAL, language=written_in(item, text))


def store_result(actor, appointment, entry, source, existing=None, update_on_race=True):
    """Insert or update the Result for ``entry``; opens a CriticalAlert when a critical value is new.

    Returns (result, created, alert or None). Runs inside the caller's transaction. When another
    writer inserted the row a moment ago, it is updated — or, with ``update_on_race=False`` (an
    instrument value must not replace an entered one), IntegrityError is raised and nothing written.
    """
    item = entry.item
    values = _stored_values(actor, entry, source)
    created = existing is None
    if created:
        try:
            with db.atomic():
                result = Result.create(appointment=appointment.id, item=item.id, **values)
        except IntegrityError:  # another station saved it a moment ago: update that row instead
            if not update_on_race:
                raise
            existing = Result.get(Result.appointment == appointment.id, Result.item == item.id)
            created = False
    if not created:
        changed = (
            existing.skipped != entry.skipped or existing.value_text != entry.value_text or existing.flag != entry.flag
        )
        Result.update(**values).where(Result.id == existing.id).execute()
        result = Result.get_by_id(existing.id)
    alert = None
    if entry.flag in CRITICAL_FLAGS and (created or changed):
        alert = _raise_alert(actor, appointment, result, entry)
    return result, created, alert


def _stored_values(actor, entry, source):
    """The columns a Result holds for ``entry`` besides its appointment and item."""
    return dict(
        value_text=entry.value_text,
        value_num=entry.value_num,
        unit=entry.item.unit,
        flag=entry.flag,
        ref_low=entry.ref_low,
        ref_high=entry.ref_high,
        skipped=entry.skipped,
        skip_reason=entry.skip_reason,
        entered_by=actor.user_id,
        entered_at=utcnow(),
        source=source,
        language=entry.language,
    )


def _raise_alert(actor, appointment, result, entry):
    """A new critical value's CriticalAlert, audited ``results.critical`` and announced (webhooks)."""
    alert = CriticalAlert.create(result=result.id, appointment=appointment.id)
    audit.record(
        actor,
        "results.critical",
        result,
        appointment=appointment.id,
        item=entry.item.code,
        flag=entry.flag,
        alert=alert.id,
    )
    events.critical_value_raised.send(alert, result=result, appointment=appointment)  # integrations: webhook
    return alert


def insert_new_results(actor, appointment, entries, source):
    """Insert the Results of ``entries`` (at most one per item, each with no result when the caller read)
    in one statement; a critical value opens its CriticalAlert as ``store_result`` does.

    An item another writer stored after the caller's read is left as that writer stored it and is not in
    the answer: the caller applies its own rule to that row. Returns {item id: (result, alert or None)} for
    the rows inserted. Runs inside the caller's transaction.
    """
    if not entries:
        return {}
    by_item = {entry.item.id: entry for entry in entries}
    if len(by_item) != len(entries):
        raise ValueError("insert_new_results takes at most one entry per item")
    rows = {
        item_id: dict(appointment=appointment.id, item=item_id, **_stored_values(actor, entry, source))
        for item_id, entry in by_item.items()
    }
    # ON CONFLICT on the (appointment, item) key only: a race is no error (that would abort a PostgreSQL
    # transaction, hence a savepoint per row), any other refusal still is
    taken = (
        Result.insert_many(list(rows.values()))
        .on_conflict(conflict_target=(Result.appointment, Result.item), action="nothing")
        .returning(Result.id, Result.item)
        .tuples()
        .execute()
    )
    stored = {}
    for result_id, item_id in taken:
        result = Result(id=result_id, **rows[item_id])
        entry = by_item[item_id]
        alert = _raise_alert(actor, appointment, result, entry) if entry.flag in CRITICAL_FLAGS else None
        stored[item_id] = (result, alert)
    return stored


# --- station entry --------------------------------------------------------------------------------


def get_appointment(appointment_id):
    appointment = Appointment.select(Appointment, Client).join(Client).where(Appointment.id == appointment_id).first()
    if appointment is None:
        raise NotFound(_l("We could not find that appointment."))
    return appointment


def appointment_item(appointment_id, item_code_or_id):
    query = (
        ExamItem.select()
        .join(AppointmentItem, on=(AppointmentItem.item == ExamItem.id))
        .where(AppointmentItem.appointment == appointment_id)
    )
    if isinstance(item_code_or_id, int) and not isinstance(item_code_or_id, bool):
        query = query.where(ExamItem.id == item_code_or_id)
    else:
        query = query.where(ExamItem.code == str(item_code_or_id or "")[: ExamItem.code.max_length])
    item = query.first()
    if item is None:
        message = _l("This item is not part of the client's checkup.")
        raise ValidationError(message, {"item": message})
    return item


def record_result(
    actor, appointment_id, item_code_or_id, raw_value, abnormal=False, skipped=False, skip_reason="", source="station"
):
    """Store one item's result (insert or update) and return the Result.

    Guarantees: only items of the appointment; only while it is checked in (or completed
    with no signed report); values parsed strictly and flagged against the client's range,
    with the range and unit kept on the row; a new critical value opens a CriticalAlert
    (audited ``results.critical``); every write audited ``results.entered``; the derived
    items reading this item are recomputed in the same transaction (``recompute_derived``).
    A value for a derived item itself is ignored: nothing is written and None is returned
    (the station form refuses it with DERIVED_REFUSAL; see ``save_station``).
    Raises NotFound (no such appointment) or ValidationError (anything refused).
    """
    if source not in SOURCES:
        raise ValueError(f"unknown result source {source!r}")
    appointment = get_appointment(appointment_id)
    item = appointment_item(appointment.id, item_code_or_id)
    if derived_items.is_derived(item.code):
        return None
    with db.atomic():
        refusal = entry_refusal(appointment, is_locked(appointment.id))
        if refusal:
            raise ValidationError(refusal)
        entry = check_entry(item, appointment.client, appointment, raw_value, abnormal, skipped, skip_reason)
        existing = Result.get_or_none(Result.appointment == appointment.id, Result.item == item.id)
        result, created, alert = store_result(actor, appointment, entry, source, existing)
        audit.record(
            actor,
            "results.entered",
            result,
            appointment=appointment.id,
            item=item.code,
            flag=entry.flag,
            skipped=entry.skipped,
            source=source,
            created=created,
        )
        recompute_derived(actor, {appointment.id: appointment}, {appointment.id: {item.code}})
    result.new_alert = alert
    return result


# --- derived items --------------------------------------------------------------------------------


def _same_entry(result, entry):
    return (
        result.source == DERIVED_SOURCE
        and result.skipped == entry.skipped
        and result.value_text == entry.value_text
        and result.flag == entry.flag
        and result.skip_reason == entry.skip_reason
    )


def derived_entry(item, outcome, client_sex, age, ranges):
    """The Entry a derived item's Outcome stores: its value flagged against the client's range, or a
    skip whose reason is the key why it is not computed ("derived:tg"): the same whoever entered the input
    and in whatever language; the station, the review page and the report translate it when showing it
    (``skip_reason_label``)."""
    if outcome.value is None:
        return Entry(item, skipped=True, skip_reason=outcome.reason[:MAX_SKIP_REASON])
    row = range_for(ranges, client_sex, age)
    return Entry(
        item,
        value_text=format(outcome.value, "f"),
        value_num=outcome.value,
        flag=numeric_flag(outcome.value, row),
        ref_low=row.low if row else None,
        ref_high=row.high if row else None,
    )


def recompute_derived(actor, appointments, changed):
    """Recompute the derived items that read the items just entered, changed or imported.

    ``appointments``: {appointment id: Appointment with its client}; ``changed``: {appointment id:
    item codes written}. Runs inside the caller's transaction, in four queries per 500 appointments
    plus the writes. For each derived item of the appointment whose formula reads a changed code:
    every input there → the value, flagged against the range (a critical one opens its alert);
    an input skipped, in another unit, not part of the checkup, or values the formula refuses
    (Friedewald with TG ≥ 4.5 mmol/L) → a skipped result whose reason is the note why; an input not
    entered yet → left pending. An unchanged outcome writes nothing; a change is audited
    ``results.derived``. Returns the Results written.
    """
    wanted = {aid: derived_items.derived_codes_using(codes) for aid, codes in changed.items()}
    wanted = {aid: codes for aid, codes in wanted.items() if codes}
    if not wanted:
        return []
    derived_codes = set().union(*wanted.values())
    codes = sorted(derived_codes | {c for d in derived_codes for c in derived_items.FORMULAS[d].input_codes})
    ids = sorted(wanted)
    written = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        planned = {
            (row.appointment_id, row.item.code): row.item
            for row in AppointmentItem.select(AppointmentItem.appointment, ExamItem)
            .join(ExamItem, on=(AppointmentItem.item == ExamItem.id))
            .where(AppointmentItem.appointment.in_(chunk), ExamItem.code.in_(codes))
        }
        stored = {
            (r.appointment_id, r.item.code): r
            for r in Result.select(Result, ExamItem)
            .join(ExamItem, on=(Result.item == ExamItem.id))
            .where(Result.appointment.in_(chunk), ExamItem.code.in_(codes))
        }
        derived_ids = [item.id for (_a, code), item in planned.items() if code in derived_codes]
        ranges = {}
        for row in ReferenceRange.select().where(ReferenceRange.item.in_(derived_ids or [0])):
            ranges.setdefault(row.item_id, []).append(row)
        for aid in chunk:
            appointment = appointments[aid]
            client = appointment.client
            age = client_age(appointment, client)
            for code in sorted(wanted[aid]):
                item = planned.get((aid, code))
                if item is None:  # the derived item is not part of this checkup
                    continue
                inputs, unplanned = {}, None
                for input_code in derived_items.FORMULAS[code].input_codes:
                    result = stored.get((aid, input_code))
                    if result is not None:
                        inputs[input_code] = derived_items.InputValue(
                            result.value_num, result.unit, result.skipped, localized(result.item)
                        )
                    elif (aid, input_code) not in planned:
                        unplanned = input_code
                outcome = derived_items.compute(code, inputs, client.sex, age)
                if outcome is None and unplanned is not None:
                    outcome = derived_items.Outcome(reason=derived_items.reason_key("unplanned", unplanned))
                if outcome is None:
                    continue
                entry = derived_entry(item, outcome, client.sex, age, ranges.get(item.id, []))
                current = stored.get((aid, code))
                if current is not None and _same_entry(current, entry):
                    continue
                result, created, _alert = store_result(actor, appointment, entry, DERIVED_SOURCE, current)
                audit.record(
                    actor,
                    "results.derived",
                    result,
                    appointment=aid,
                    item=code,
                    flag=entry.flag,
                    skipped=entry.skipped,
                    created=created,
                )
                written.append(result)
    return written
