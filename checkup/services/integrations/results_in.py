"""Results from an outside system (a LIS over REST): a batch of values for one checkup, each matched to an item
of the checkup by its code or LOINC, converted to the catalog's unit where the catalog knows how
(services/catalog/units.py), then put through the one rule for instrument values
(services/exam/result_conflicts.py): stored when new (a critical value opens its alert), nothing when equal, a
conflict for the station doctor when different — never silently replaced.

A value is idempotent by the sender's external id: sent again, it changes nothing and answers as before.

A batch is read in a fixed number of queries whatever its length (the checkup and its client, its items, the
external ids already used, the lock, the ranges, the results already there) and written in one transaction:
the new values in one INSERT (``result_conflicts.apply_instrument_values``; a value meeting one already there
goes through the rule alone), then the external ids, the ``results.entered`` audit rows and the
``results.received`` webhook in one statement each, and the derived items recomputed once. Each value keeps its
own outcome: every refusal is found before anything is written, so it leaves the others stored.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from flask_babel import lazy_gettext as _l

from checkup.core import audit
from checkup.core.errors import NotFound, ValidationError
from checkup.models import Appointment, AppointmentItem, AuditEvent, Client, ExamItem, ReferenceRange, Result
from checkup.models.base import db, utcnow
from checkup.models.integrations import ExternalResult, IntegrationClient
from checkup.services.catalog import units
from checkup.services.exam import derived_items, result_conflicts, results
from checkup.services.integrations import webhooks

STORED, SAME, CONFLICT, DUPLICATE, REFUSED = "stored", "same", "conflict", "duplicate", "refused"
_KIND_OUTCOME = {result_conflicts.NEW: STORED, result_conflicts.SAME: SAME, result_conflicts.CONFLICT: CONFLICT}


@dataclass
class IncomingResult:
    """One value as a sender sends it (item by ``item_code`` or ``loinc``)."""

    external_id: str
    value: str
    item_code: str = ""
    loinc: str = ""
    unit: str = ""
    reference_text: str = ""
    performed_at: datetime.datetime | None = None
    instrument_id: str = ""


@dataclass
class Outcome:
    external_id: str
    outcome: str
    item_code: str = ""
    result_id: int | None = None
    flag: str = ""
    critical_alert_id: int | None = None
    conflict_id: int | None = None
    value: str = ""
    unit: str = ""
    error: str = ""
    objects: list[Any] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "external_id": self.external_id,
            "outcome": self.outcome,
            "item_code": self.item_code or None,
            "result_id": self.result_id,
            "flag": self.flag or None,
            "critical_alert_id": self.critical_alert_id,
            "conflict_id": self.conflict_id,
            "value": self.value or None,
            "unit": self.unit or None,
            "error": self.error or None,
        }


@dataclass
class ReceivedResults:
    """What a batch did: the checkup it was for and one Outcome per value, in the order sent."""

    appointment: Appointment
    outcomes: list[Outcome]


class _Used(NamedTuple):
    """An external id already taken: stored earlier (its result id), or earlier in this batch (``first``, the
    Outcome of that value, whose result id is known once the batch went through the rule)."""

    appointment_id: int
    value: str
    result_id: int | None
    first: Outcome | None = None


@dataclass
class _Checked:
    """A value that passed the checks, waiting for the rule with the rest of the batch."""

    entry: IncomingResult
    item: ExamItem
    checked: results.Entry
    outcome: Outcome  # completed by the rule's answer


def appointment_by_exam_code(exam_code: str) -> Appointment:
    """The checkup with its client (one query); raises NotFound."""
    appointment = (
        Appointment.select(Appointment, Client)
        .join(Client)
        .where(Appointment.exam_code == (exam_code or "").strip().upper()[:16])
        .first()
    )
    if appointment is None:
        raise NotFound(_l("We could not find that appointment."))
    return appointment


def _items_of(appointment_id: int) -> list[ExamItem]:
    return list(
        ExamItem.select()
        .join(AppointmentItem, on=(AppointmentItem.item == ExamItem.id))
        .where(AppointmentItem.appointment == appointment_id)
    )


def _match(items: list[ExamItem], entry: IncomingResult) -> ExamItem | None:
    code = entry.item_code.strip().upper()
    if code:
        return next((i for i in items if i.code.upper() == code), None)
    loinc = entry.loinc.strip()
    return next((i for i in items if loinc and i.loinc == loinc), None)


def receive_results(
    actor: audit.Actor, client: IntegrationClient, exam_code: str, entries: list[IncomingResult]
) -> ReceivedResults:
    """Apply each entry through the conflict rule, all in one transaction, in a fixed number of reads.

    Guarantees per entry: an external id used before answers ``duplicate`` (same checkup and value) or
    ``refused``; an unknown item, a unit with no known conversion, a derived or non-numeric item, locked
    results and a value that is not a number are ``refused`` with the reason and write nothing; the rest
    are ``stored`` (flagged, a critical value's alert opened at once), ``same`` or ``conflict``, each with
    its external id kept and a new value audited ``results.entered``. Derived items are recomputed once
    for the batch; ``results.received`` is owed to the webhooks when anything was stored or held.
    Raises NotFound for an unknown exam code.
    """
    appointment = appointment_by_exam_code(exam_code)
    with db.atomic():
        batch = _Batch(actor, client, appointment, entries)
        outcomes = batch.receive(entries)
        batch.write()
        received = [o for o in outcomes if o.outcome in (STORED, CONFLICT)]
        if received:
            webhooks.emit(
                "results.received",
                {
                    "appointment_id": appointment.id,
                    "exam_code": appointment.exam_code,
                    "results": [{"external_id": o.external_id, "outcome": o.outcome} for o in received],
                },
            )
    return ReceivedResults(appointment, outcomes)


class _Batch:
    """One batch's reads, done once, and the rows it owes at the end (external ids, audit events, the
    items whose derived items need recomputing)."""

    def __init__(
        self, actor: audit.Actor, client: IntegrationClient, appointment: Appointment, entries: list[IncomingResult]
    ) -> None:
        self.actor, self.client, self.appointment = actor, client, appointment
        items = _items_of(appointment.id)
        self.matched = [_match(items, entry) for entry in entries]
        item_ids = sorted({item.id for item in self.matched if item is not None}) or [0]
        sent_ids = sorted({entry.external_id for entry in entries})
        taken: Any = (  # peewee's rows are untyped: (external id, appointment id, value, result id)
            ExternalResult.select(
                ExternalResult.external_id, ExternalResult.appointment, ExternalResult.value, ExternalResult.result
            )
            .where(ExternalResult.client == client.id, ExternalResult.external_id.in_(sent_ids))
            .tuples()
        )
        self.used = {row[0]: _Used(row[1], row[2], row[3]) for row in taken}
        self.refusal = results.entry_refusal(appointment, results.is_locked(appointment.id))
        self.ranges: dict[int, list[ReferenceRange]] = {item_id: [] for item_id in item_ids}
        row: Any
        for row in ReferenceRange.select().where(ReferenceRange.item.in_(item_ids)):
            self.ranges[row.item_id].append(row)
        # read in the transaction: a value the station saved a moment ago meets the rule (one saved after
        # this read meets it too: the batch insert leaves it be and the rule applies to it)
        self.current: dict[int, Result] = {}
        for row in Result.select().where(Result.appointment == appointment.id, Result.item.in_(item_ids)):
            self.current[row.item_id] = row
        self.pending: list[_Checked] = []
        self.duplicates: list[tuple[Outcome, Outcome]] = []  # (a duplicate, the value it repeats in this batch)
        self.external_rows: list[dict[str, Any]] = []
        self.entered: list[tuple[Result, results.Entry]] = []

    def receive(self, entries: list[IncomingResult]) -> list[Outcome]:
        """Each entry's Outcome, in the order sent: the checks value by value, then the values that passed
        them through the rule together (``result_conflicts.apply_instrument_values``: the new values in one
        INSERT, a later value for an item meeting the earlier one as if sent alone after it)."""
        outcomes = [self._check_one(entry, item) for entry, item in zip(entries, self.matched, strict=True)]
        received = result_conflicts.apply_instrument_values(
            self.actor,
            self.appointment,
            [(pending.checked, pending.entry.external_id) for pending in self.pending],
            self.current,
            source=self.client.name,
        )
        for pending, answer in zip(self.pending, received, strict=True):
            self._settle(pending, answer)
        for duplicate, first in self.duplicates:
            duplicate.result_id = first.result_id
        return outcomes

    def _check_one(self, entry: IncomingResult, item: ExamItem | None) -> Outcome:
        """The Outcome of a value refused or already received; else the Outcome the rule completes later."""
        external_id = entry.external_id
        seen = self.used.get(external_id)
        if seen is not None:
            if seen.appointment_id != self.appointment.id or seen.value != entry.value.strip():
                return Outcome(external_id, REFUSED, error="This external id was already used for another value.")
            duplicate = Outcome(external_id, DUPLICATE, result_id=seen.result_id)
            if seen.first is not None:
                self.duplicates.append((duplicate, seen.first))
            return duplicate
        if item is None:
            return Outcome(external_id, REFUSED, error="No item of this checkup has that code or LOINC code.")
        try:
            value = units.convert(item.code, item.loinc or "", item.unit or "", entry.unit, entry.value)
        except units.UnknownConversion:
            return Outcome(
                external_id,
                REFUSED,
                item_code=item.code,
                error=f"Unit {entry.unit!r} differs from the catalog's {item.unit!r} and no conversion is known.",
            )
        try:
            checked = self._check(item, value)
        except ValidationError as error:
            return Outcome(external_id, REFUSED, item_code=item.code, error=str(error.message))
        outcome = Outcome(external_id, "", item_code=item.code, value=value.strip(), unit=item.unit or "")
        self.pending.append(_Checked(entry, item, checked, outcome))
        self.used[external_id] = _Used(self.appointment.id, entry.value.strip(), None, outcome)
        return outcome

    def _settle(self, pending: _Checked, received: result_conflicts.Received) -> None:
        """Complete a checked value's Outcome with the rule's answer and owe its external id row."""
        result, entry = received.result, pending.entry
        if received.kind == result_conflicts.NEW and result is not None:
            self.entered.append((result, pending.checked))
        result_id = result.id if result is not None else None
        self.external_rows.append(
            dict(
                client=self.client.id,
                external_id=entry.external_id,
                appointment=self.appointment.id,
                item=pending.item.id,
                result=result_id,
                value=entry.value.strip()[:500],
                outcome=_KIND_OUTCOME[received.kind],
                instrument_id=entry.instrument_id[:80],
                performed_at=entry.performed_at,
                received_at=utcnow(),
            )
        )
        outcome = pending.outcome
        outcome.outcome = _KIND_OUTCOME[received.kind]
        outcome.result_id = result_id
        outcome.flag = result.flag if result is not None and received.kind == result_conflicts.NEW else ""
        outcome.critical_alert_id = getattr(received.alert, "id", None)
        outcome.conflict_id = received.conflict.id if received.conflict is not None else None
        outcome.objects = [o for o in (result, received.conflict) if o is not None]

    def _check(self, item: ExamItem, value: str) -> results.Entry:
        """The checks an instrument value passes (as result_conflicts.receive_instrument_result makes them);
        raises ValidationError. Reads nothing: the batch read the lock and the ranges."""
        if derived_items.is_derived(item.code):
            raise ValidationError(results.DERIVED_REFUSAL)
        if item.result_type != "numeric":
            raise ValidationError(_l("This item is not a numeric result; enter it at the station."))
        if self.refusal:
            raise ValidationError(self.refusal)
        appointment = self.appointment
        return results.check_entry(item, appointment.client, appointment, value, ranges=self.ranges[item.id])

    def write(self) -> None:
        """The external ids and the audit events of the new values (one INSERT each), then the derived
        items reading the new values, recomputed once."""
        if self.external_rows:
            ExternalResult.insert_many(self.external_rows).execute()
        if not self.entered:
            return
        now, appointment, actor = utcnow(), self.appointment, self.actor
        source = self.client.name
        AuditEvent.insert_many(
            [
                dict(
                    at=now,
                    user=actor.user_id,
                    action="results.entered",
                    object_type=Result._meta.table_name,
                    object_id=str(result.id),
                    ip=(actor.ip or "")[:64],
                    detail=json.dumps(
                        dict(
                            appointment=appointment.id,
                            item=entry.item.code,
                            flag=entry.flag,
                            skipped=False,
                            source=source,
                            created=True,
                        ),
                        ensure_ascii=False,
                    ),
                    client_id=appointment.client.id,
                )
                for result, entry in self.entered
            ]
        ).execute()
        results.recompute_derived(
            actor, {appointment.id: appointment}, {appointment.id: {entry.item.code for _r, entry in self.entered}}
        )
