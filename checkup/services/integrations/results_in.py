"""Results from an outside system (a LIS over REST, or HL7 ORU through the same function): each value is
matched to the checkup by exam code and to the item by its code or LOINC, then put through the one rule
for instrument values (services/exam/result_conflicts.py): stored when new (a critical value opens its
alert), nothing when equal, a conflict for the station doctor when different — never silently replaced.

A value is idempotent by the sender's external id: sent again, it changes nothing and answers as before.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from checkup.core import audit
from checkup.core.errors import DomainError, NotFound
from checkup.models import Appointment, AppointmentItem, ExamItem
from checkup.models.base import db, utcnow
from checkup.models.integrations import ExternalResult, IntegrationClient
from checkup.services.exam import result_conflicts
from checkup.services.integrations import units, webhooks

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


def appointment_by_exam_code(exam_code: str) -> Appointment:
    appointment = Appointment.get_or_none(Appointment.exam_code == (exam_code or "").strip().upper()[:16])
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
) -> list[Outcome]:
    """Apply each entry (each in its own transaction: one refused value does not undo the others).
    Raises NotFound for an unknown exam code; every other problem is the entry's ``refused`` outcome."""
    appointment = appointment_by_exam_code(exam_code)
    items = _items_of(appointment.id)
    outcomes = [_receive_one(actor, client, appointment, items, entry) for entry in entries]
    received = [o for o in outcomes if o.outcome in (STORED, CONFLICT)]
    if received:
        with db.atomic():
            webhooks.emit(
                "results.received",
                {
                    "appointment_id": appointment.id,
                    "exam_code": appointment.exam_code,
                    "results": [{"external_id": o.external_id, "outcome": o.outcome} for o in received],
                },
            )
    return outcomes


def _receive_one(
    actor: audit.Actor,
    client: IntegrationClient,
    appointment: Appointment,
    items: list[ExamItem],
    entry: IncomingResult,
) -> Outcome:
    seen = ExternalResult.get_or_none(
        ExternalResult.client == client.id, ExternalResult.external_id == entry.external_id
    )
    if seen is not None:
        if seen.appointment_id != appointment.id or seen.value != entry.value.strip():
            return Outcome(entry.external_id, REFUSED, error="This external id was already used for another value.")
        return Outcome(entry.external_id, DUPLICATE, result_id=seen.result_id)
    item = _match(items, entry)
    if item is None:
        return Outcome(entry.external_id, REFUSED, error="No item of this checkup has that code or LOINC code.")
    try:
        value = units.convert(item.code, item.loinc or "", item.unit or "", entry.unit, entry.value)
    except units.UnknownConversion:
        return Outcome(
            entry.external_id,
            REFUSED,
            item_code=item.code,
            error=f"Unit {entry.unit!r} differs from the catalog's {item.unit!r} and no conversion is known.",
        )
    try:
        with db.atomic():
            received = result_conflicts.receive_instrument_result(
                actor,
                appointment.id,
                item.code,
                value,
                source=client.name,
                source_ref=entry.external_id,
            )
            ExternalResult.create(
                client=client.id,
                external_id=entry.external_id,
                appointment=appointment.id,
                item=item.id,
                result=received.result.id if received.result is not None else None,
                value=entry.value.strip()[:500],
                outcome=_KIND_OUTCOME[received.kind],
                instrument_id=entry.instrument_id[:80],
                performed_at=entry.performed_at,
                received_at=utcnow(),
            )
    except DomainError as error:
        return Outcome(entry.external_id, REFUSED, item_code=item.code, error=str(error.message))
    result = received.result
    return Outcome(
        entry.external_id,
        _KIND_OUTCOME[received.kind],
        item_code=item.code,
        result_id=result.id if result is not None else None,
        flag=result.flag if result is not None and received.kind == result_conflicts.NEW else "",
        critical_alert_id=getattr(received.alert, "id", None),
        conflict_id=received.conflict.id if received.conflict is not None else None,
        value=value.strip(),
        unit=item.unit or "",
        objects=[o for o in (result, received.conflict) if o is not None],
    )
