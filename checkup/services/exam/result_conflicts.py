"""Imports never overwrite silently: what an instrument value does when it meets a result already there.

The rule (one function, ``apply_instrument_value``, for the analyser CSV import and one value from an
interface such as HL7, and its batch form ``apply_instrument_values`` for a REST batch — each passes its own
``source``):

* no result for the item yet → the value is stored as an instrument result, flagged like any result
  (a critical value opens its alert), and the derived items reading it are recomputed;
* the same value as the one entered (numerically: 5.40 = 5.4) → nothing is written;
* a different value, or an item the station skipped → the entered result stays and a
  ``ResultConflict`` waits for the station doctor, who keeps the entered value or takes the
  instrument's (``resolve_conflict``; both audited). One conflict is open per result at a time: a
  later different instrument value replaces the one waiting.
"""

import datetime
import json
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from peewee import JOIN, IntegrityError, fn

from checkup.core import audit, clock
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.core.pagination import Page
from checkup.core.prepared import PerShape, PreparedSelect
from checkup.models import Appointment, AuditEvent, Client, ExamItem, ReferenceRange, Result, User
from checkup.models.base import db, utcnow
from checkup.models.result_conflicts import CHOICES, KEEP_ENTERED, TAKE_INSTRUMENT, ResultConflict
from checkup.services.access import care_access
from checkup.services.exam import derived_items, results, station_staff

NEW, SAME, CONFLICT = "new", "same", "conflict"
INSTRUMENT = "instrument"  # the Result.source of every value an instrument interface delivers
PER_PAGE = 25
STATES = ("open", "resolved", "all")
CHOICE_LABELS = {KEEP_ENTERED: _l("Kept the entered value"), TAKE_INSTRUMENT: _l("Took the instrument value")}


def classify(existing, entry):
    """NEW (no result yet), SAME (the entered number equals the instrument's) or CONFLICT — reads nothing."""
    if existing is None:
        return NEW
    if not existing.skipped and existing.value_num is not None and existing.value_num == entry.value_num:
        return SAME
    return CONFLICT


@dataclass
class Received:
    """What one instrument value did: NEW (stored: ``result``, maybe ``alert``), SAME, or CONFLICT."""

    kind: str
    result: Result | None = None
    alert: object = None
    conflict: ResultConflict | None = None


def apply_instrument_value(actor, appointment, entry, existing, source=INSTRUMENT, source_ref=""):
    """Apply the rule above to one checked instrument value (``entry``: a results.Entry with a number).

    Runs inside the caller's transaction; the caller has checked that the appointment takes results
    (``results.entry_refusal``) and that the item is one of its numeric, non-derived items.
    ``existing`` is the item's Result as the caller read it (or None). Returns a Received; the caller
    recomputes derived items for NEW values (``results.recompute_derived``), so a file does it once.
    """
    kind = classify(existing, entry)
    if kind == NEW:
        try:
            with db.atomic():
                result, _created, alert = results.store_result(
                    actor, appointment, entry, INSTRUMENT, None, update_on_race=False
                )
            return Received(NEW, result, alert)
        except IntegrityError:  # the station saved this item a moment ago: the rule applies to that value
            existing = Result.get(Result.appointment == appointment.id, Result.item == entry.item.id)
            kind = classify(existing, entry)
    if kind == SAME:
        return Received(SAME, existing)
    return Received(CONFLICT, existing, conflict=_hold(actor, appointment, entry, existing, source, source_ref))


def apply_instrument_values(actor, appointment, values, existing, source=INSTRUMENT):
    """Apply the rule above to a batch of checked instrument values of one appointment, in the order given.

    ``values``: (entry, source_ref) pairs, each checked as for ``apply_instrument_value``; ``existing``:
    {item id: Result} as the caller read them in its transaction (left unchanged). Returns one Received per
    value, what ``apply_instrument_value`` would answer value by value: a later value for an item meets the
    earlier one (SAME or CONFLICT). The first new value of each item without a result is inserted in one
    statement for the batch (``results.insert_new_results``); an item another writer stored after the
    caller's read meets that writer's value through the per-value path, as do all the other values. Runs
    inside the caller's transaction; the caller audits the NEW values and recomputes derived items.
    """
    current = dict(existing)
    first_new = {}  # item id -> index of the value that stores it
    for index, (entry, _ref) in enumerate(values):
        if entry.item.id not in current and entry.item.id not in first_new:
            first_new[entry.item.id] = index
    inserted = results.insert_new_results(
        actor, appointment, [values[index][0] for index in first_new.values()], INSTRUMENT
    )
    raced = [item_id for item_id in first_new if item_id not in inserted]
    if raced:  # stored by another writer since the caller's read: the rule applies to that value
        for row in Result.select().where(Result.appointment == appointment.id, Result.item.in_(raced)):
            current[row.item_id] = row
    received = []
    for index, (entry, source_ref) in enumerate(values):
        item_id = entry.item.id
        if first_new.get(item_id) == index and item_id in inserted:
            result, alert = inserted[item_id]
            current[item_id] = result
            received.append(Received(NEW, result, alert))
            continue
        outcome = apply_instrument_value(actor, appointment, entry, current.get(item_id), source, source_ref)
        if outcome.kind == NEW:  # a raced row gone again by the read above: stored here after all
            current[item_id] = outcome.result
        received.append(outcome)
    return received


def _hold(actor, appointment, entry, existing, source, source_ref):
    values = dict(
        instrument_value=entry.value_text[: ResultConflict.instrument_value.max_length],
        instrument_num=entry.value_num,
        source=source[: ResultConflict.source.max_length],
        source_ref=(source_ref or "")[: ResultConflict.source_ref.max_length],
        created_by=actor.user_id,
        created_at=utcnow(),
    )
    waiting = ResultConflict.get_or_none(ResultConflict.open_result == existing.id)
    if waiting is None:
        try:
            with db.atomic():
                waiting = ResultConflict.create(
                    result=existing.id,
                    open_result=existing.id,
                    appointment=appointment.id,
                    item=entry.item.id,
                    department=entry.item.department_id,
                    day=appointment.day,
                    entered_value=existing.value_text,
                    entered_skipped=existing.skip_reason if existing.skipped else "",
                    entered_source=existing.source,
                    **values,
                )
            replaced = False
        except IntegrityError:  # opened by another import a moment ago: this value meets that conflict
            waiting = ResultConflict.get(ResultConflict.open_result == existing.id)
            replaced = True
    else:
        replaced = True
    if replaced:
        if waiting.instrument_num == entry.value_num:
            return waiting  # the same instrument value again: already waiting
        values.update(
            entered_value=existing.value_text,
            entered_skipped=existing.skip_reason if existing.skipped else "",
            entered_source=existing.source,
        )
        ResultConflict.update(**values).where(ResultConflict.id == waiting.id).execute()
        waiting = ResultConflict.get_by_id(waiting.id)
    audit.record(  # ids only: the values are clinical data, the audit log is read without a care relationship
        actor,
        "results.conflict",
        waiting,
        appointment=appointment.id,
        item=entry.item.id,
        result=existing.id,
        source=source,
        replaced=replaced,
    )
    return waiting


def receive_instrument_result(actor, appointment_id, item_code, raw_value, source=INSTRUMENT, source_ref=""):
    """One value from an instrument interface (a REST or HL7 endpoint): checked like an import row, then
    the rule above, derived items recomputed. Returns a Received. Raises NotFound (no such appointment)
    or ValidationError (item not in the checkup, not numeric, derived, results locked, not a number)."""
    appointment = results.get_appointment(appointment_id)
    item = results.appointment_item(appointment.id, item_code)
    if derived_items.is_derived(item.code):
        raise ValidationError(results.DERIVED_REFUSAL)
    if item.result_type != "numeric":
        raise ValidationError(_l("This item is not a numeric result; enter it at the station."))
    with db.atomic():
        refusal = results.entry_refusal(appointment, results.is_locked(appointment.id))
        if refusal:
            raise ValidationError(refusal)
        entry = results.check_entry(item, appointment.client, appointment, raw_value)
        existing = Result.get_or_none(Result.appointment == appointment.id, Result.item == item.id)
        received = apply_instrument_value(actor, appointment, entry, existing, source, source_ref)
        if received.kind == NEW:
            audit.record(
                actor,
                "results.entered",
                received.result,
                appointment=appointment.id,
                item=item.code,
                flag=entry.flag,
                skipped=False,
                source=source,
                created=True,
            )
            results.recompute_derived(actor, {appointment.id: appointment}, {appointment.id: {item.code}})
    return received


# --- the station doctor's list and choice ---------------------------------------------------------


def get_conflict(conflict_id):
    conflict = (
        ResultConflict.select(ResultConflict, Appointment, Client, ExamItem)
        .join(Appointment, on=(ResultConflict.appointment == Appointment.id))
        .join(Client, on=(Appointment.client == Client.id))
        .switch(ResultConflict)
        .join(ExamItem, on=(ResultConflict.item == ExamItem.id))
        .where(ResultConflict.id == conflict_id)
        .first()
    )
    if conflict is None:
        raise NotFound(_l("We could not find that conflict."))
    return conflict


def resolve_conflict(actor, conflict_id, choice):
    """The station doctor's choice: KEEP_ENTERED (nothing changes) or TAKE_INSTRUMENT (the instrument
    value replaces the entered one, flagged against the client's range, derived items recomputed).

    Only at a station the doctor works at (else station_staff.NotThisStation) and for a client they care for
    (else NoCareRelationship); taking the value only while
    results may be written (not after signing: use an amendment). Audited ``results.conflict_resolved``.
    Raises NotFound, ValidationError (unknown choice, results locked) or Conflict (already resolved).
    """
    if choice not in CHOICES:
        raise ValidationError(_l("Choose to keep the entered value or to take the instrument value."))
    conflict = get_conflict(conflict_id)
    station_staff.require(actor, conflict.department)
    care_access.require(actor, conflict.appointment.client_id)
    with db.atomic():
        appointment = results.get_appointment(conflict.appointment_id)
        if choice == TAKE_INSTRUMENT:
            refusal = results.entry_refusal(appointment, results.is_locked(appointment.id))
            if refusal:
                raise ValidationError(refusal)
        claimed = (
            ResultConflict.update(resolved_by=actor.user_id, resolved_at=utcnow(), choice=choice, open_result=None)
            .where(ResultConflict.id == conflict.id, ResultConflict.resolved_at.is_null())
            .execute()
        )
        if not claimed:
            raise Conflict(_l("This conflict was resolved already."))
        current = Result.get_by_id(conflict.result_id)
        if choice == TAKE_INSTRUMENT:
            item = conflict.item
            ranges = list(ReferenceRange.select().where(ReferenceRange.item == item.id))
            entry = results.check_entry(item, appointment.client, appointment, conflict.instrument_value, ranges=ranges)
            results.store_result(actor, appointment, entry, INSTRUMENT, current)
            results.recompute_derived(actor, {appointment.id: appointment}, {appointment.id: {item.code}})
        audit.record(
            actor,
            "results.conflict_resolved",
            conflict,
            appointment=appointment.id,
            item=conflict.item_id,
            result=conflict.result_id,
            choice=choice,
        )
    return ResultConflict.get_by_id(conflict.id)


def _open_count_query(department_id, day):
    return ResultConflict.select(fn.COUNT(ResultConflict.id)).where(
        ResultConflict.department == department_id, ResultConflict.day == day, ResultConflict.choice == ""
    )


_SAMPLE_STATION = -2_000_000_001  # ids and a day nothing has: where the values go in a prepared select
_SAMPLE_DAY = datetime.date(1901, 2, 3)
_SAMPLE_OFFSET = -2_000_000_003
# the station page's badge and today's conflict list are read on every view: built once per process
_OPEN_COUNT = PreparedSelect(_open_count_query, "checkup_conflicts_open_count", (_SAMPLE_STATION, _SAMPLE_DAY))


def open_count(department_id, day=None):
    """Open conflicts at a station on ``day`` (today): the badge on the station page (one query)."""
    return _OPEN_COUNT.plain(department_id, day or clock.today())[0][0]


def parse_day(text):
    """(day, error message or None) from a ``day`` argument: today when it is absent or not a date."""
    text = (text or "").strip()[:10]
    if not text:
        return clock.today(), None
    try:
        return datetime.date.fromisoformat(text), None
    except ValueError:
        return clock.today(), _l("That is not a date (YYYY-MM-DD); showing today.")


@dataclass
class ConflictList:
    department: object
    day: datetime.date
    state: str
    page: Page
    open_count: int

    @property
    def today(self):
        return self.day == clock.today()


def _visible(actor, day, query):
    """Today's conflicts are the station's own (its clients are on the floor); another day's are listed
    only for the clients the physician has a care relationship with (a report they sign or signed, a
    consultation, a running break-the-glass access …): a row without one is not listed at all."""
    if day == clock.today():
        return query
    return query.where(care_access.related_condition(actor.user, Appointment.client))


def _record_viewed(actor, department, day, rows):
    """One ``results.conflicts_viewed`` event per client shown, naming the appointments shown, so each
    client's access log lists the view (one INSERT whatever the page holds)."""
    by_client = {}
    for conflict in rows:
        by_client.setdefault(conflict.appointment.client_id, []).append(conflict.appointment_id)
    now = utcnow()
    AuditEvent.insert_many(
        [
            dict(
                at=now,
                user=actor.user_id,
                action="results.conflicts_viewed",
                object_type=Appointment._meta.table_name,
                object_id=str(appointment_ids[0]),
                ip=(actor.ip or "")[:64],
                detail=json.dumps(
                    dict(department=department.code, day=day.isoformat(), appointments=sorted(set(appointment_ids)))
                ),
                client_id=client_id,
            )
            for client_id, appointment_ids in by_client.items()
        ]
    ).execute()


def _listed_query(department_id, day):
    resolver = User.alias()
    return (
        ResultConflict.select(ResultConflict, Appointment, Client, ExamItem, Result, resolver)
        .join(Appointment, on=(ResultConflict.appointment == Appointment.id))
        .join(Client, on=(Appointment.client == Client.id))
        .switch(ResultConflict)
        .join(ExamItem, on=(ResultConflict.item == ExamItem.id))
        .switch(ResultConflict)
        .join(Result, on=(ResultConflict.result == Result.id))
        .switch(ResultConflict)
        .join(resolver, JOIN.LEFT_OUTER, on=(ResultConflict.resolved_by == resolver.id), attr="resolver")
        .where(ResultConflict.department == department_id, ResultConflict.day == day)
        .order_by(ResultConflict.choice, ResultConflict.id)
    )


def _counted_query(department_id, day):
    # counted without the joins that only bring columns (every one of them is a required foreign key, so
    # none drops a row): PostgreSQL plans a count over two tables, not six, on every view
    counted = ResultConflict.select().join(Appointment, on=(ResultConflict.appointment == Appointment.id))
    return counted.where(ResultConflict.department == department_id, ResultConflict.day == day)


def _in_state(query, state):
    if state == "open":
        return query.where(ResultConflict.choice == "")
    if state == "resolved":
        return query.where(ResultConflict.choice != "")
    return query


def _new_todays_selects(state):
    """Today's (count, page) selects of conflicts in ``state``: (department id, day) and (department id,
    day, offset)."""

    def count(department_id, day):
        return _in_state(_counted_query(department_id, day), state).select(fn.COUNT(ResultConflict.id))

    def page(department_id, day, offset):
        return _in_state(_listed_query(department_id, day), state).limit(PER_PAGE).offset(offset)

    return (
        PreparedSelect(count, f"checkup_conflicts_today_count_{state}", (_SAMPLE_STATION, _SAMPLE_DAY)),
        PreparedSelect(page, f"checkup_conflicts_today_{state}", (_SAMPLE_STATION, _SAMPLE_DAY, _SAMPLE_OFFSET)),
    )


_todays_selects = PerShape(_new_todays_selects)


def _todays_page(department, day, state, page):
    """Today's page of the station's conflicts in ``state`` (two queries: the count, the rows)."""
    count, rows = _todays_selects(state)
    total = count.plain(department.id, day)[0][0]
    pages = max(1, -(-total // PER_PAGE))
    number = min(max(1, page or 1), pages)  # clamped as core.pagination.paginate does
    return Page(rows.rows(department.id, day, (number - 1) * PER_PAGE), number, pages, total, PER_PAGE)


def _other_days_page(actor, department, day, state, page):
    """(page, open count) of another day's conflicts: only those of clients the physician cares for
    (three queries)."""
    query = _in_state(_visible(actor, day, _listed_query(department.id, day)), state)
    counted = _in_state(_visible(actor, day, _counted_query(department.id, day)), state)
    total = counted.count()
    pages = max(1, -(-total // PER_PAGE))
    number = min(max(1, page or 1), pages)  # clamped as core.pagination.paginate does
    shown = Page(list(query.paginate(number, PER_PAGE)), number, pages, total, PER_PAGE)
    waiting = _visible(
        actor,
        day,
        ResultConflict.select()
        .join(Appointment, on=(ResultConflict.appointment == Appointment.id))
        .where(ResultConflict.department == department.id, ResultConflict.day == day, ResultConflict.choice == ""),
    ).count()
    return shown, waiting


def conflict_list(actor, department, day, state="open", page=1):
    """A station's conflicts of one day, open ones first then oldest first, a page at a time: today's
    all, another day's only those of clients the physician cares for (``_visible``).

    Only for a physician of the station (else station_staff.NotThisStation). Five queries whatever the page
    holds: the physician's stations, the page (count and rows, with the appointment, client, item,
    current result and resolver joined), the open count (today's open ones: the page's count), and the
    audit events ``results.conflicts_viewed`` (one per client shown, written when the page shows any value).
    """
    station_staff.require(actor, department)
    state = state if state in STATES else "open"
    if day == clock.today():
        shown = _todays_page(department, day, state, page)
        # the open ones the page counted are the station's open ones: counted once
        waiting = shown.total if state == "open" else open_count(department.id, day)
    else:
        shown, waiting = _other_days_page(actor, department, day, state, page)
    if shown.items:
        _record_viewed(actor, department, day, shown.items)
    return ConflictList(department, day, state, shown, waiting)
