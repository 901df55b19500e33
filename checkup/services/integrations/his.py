"""What a HIS does through the API: read appointments and clients, register a walk-in's client record,
book and cancel for them. Every rule is the booking and directory services' own (one per-day checkup,
capacity, cut-offs, ID number checks); this module only shapes pages and JSON."""

from __future__ import annotations

import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from peewee import JOIN

from checkup.core import audit
from checkup.core.errors import NotFound
from checkup.models import Appointment, Client, Package, Slot
from checkup.services.accounts import clients as directory
from checkup.services.booking import booking

HIS_SOURCE = "desk"  # a HIS books for walk-ins as the front desk does


def appointment_json(appointment):
    slot = appointment.slot
    return {
        "appointment_id": appointment.id,
        "exam_code": appointment.exam_code,
        "client_id": appointment.client_id,
        "day": appointment.day.isoformat(),
        "start_time": slot.start_time.strftime("%H:%M"),
        "status": appointment.status,
        "source": appointment.source,
        "package": appointment.package.code if appointment.package_id else None,
        "total_price": str(appointment.total_price),
        "cancelled_at": appointment.cancelled_at.isoformat() + "Z" if appointment.cancelled_at else None,
    }


def _appointments():
    return (
        Appointment.select(Appointment, Slot, Package)
        .join_from(Appointment, Slot)
        .join_from(Appointment, Package, JOIN.LEFT_OUTER)
    )


def appointments_of_day(day: datetime.date, after: int = 0, limit: int = 50) -> tuple[list[Appointment], int | None]:
    rows = list(
        _appointments().where(Appointment.day == day, Appointment.id > after).order_by(Appointment.id).limit(limit + 1)
    )
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def appointment(appointment_id: int) -> Appointment:
    row = _appointments().where(Appointment.id == appointment_id).first()
    if row is None:
        raise NotFound(_l("We could not find that appointment."))
    return row


def book_walk_in(
    actor: audit.Actor, client_id: int, slot_id: int, package_code: str, addon_codes: list[str]
) -> Appointment:
    """Book today's or a later slot for a client on file, as the front desk does (a slot already begun today
    is allowed). Raises what ``booking.book`` raises."""
    booked = booking.book(
        actor, client_id, slot_id, package_code, addon_codes[:30], None, source=HIS_SOURCE, allow_started=True
    )
    return appointment(booked.id)


def cancel(actor: audit.Actor, appointment_id: int, reason: str) -> Appointment:
    """Cancel as staff (a reason always; past the cut-off allowed). Raises what ``booking.cancel`` raises."""
    booking.cancel(actor, appointment_id, reason, staff=True)
    return appointment(appointment_id)


def client_json(client: Client) -> dict[str, Any]:
    return {
        "client_id": client.id,
        "name": client.name,
        "sex": client.sex,
        "birth_date": client.birth_date.isoformat(),
        "phone": client.phone,
        "email": client.email,
        "has_national_id": bool(client.national_id_hash),
        "created_at": client.created_at.isoformat() + "Z" if client.created_at else None,
    }


def clients_page(after: int = 0, limit: int = 50) -> tuple[list[Client], int | None]:
    rows = list(
        Client.select()
        .where(Client.id > after, Client.anonymized_at.is_null(), Client.roster_unverified_since.is_null())
        .order_by(Client.id)
        .limit(limit + 1)
    )
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def client(client_id: int) -> Client:
    row = Client.get_or_none(Client.id == client_id, Client.anonymized_at.is_null())
    if row is None:
        raise NotFound(_l("No such client."))
    return row


def create_client(actor: audit.Actor, values: dict[str, Any]) -> Client:
    """A walk-in's record, checked as the front desk's form is. Raises ValidationError with field errors."""
    data = {name: values.get(name) for name in directory.CLIENT_FIELDS}
    data["organization"] = None
    data["value_tier"] = data.get("value_tier") or "general"
    data["tags"] = data.get("tags") or ""
    data["national_id"] = values.get("national_id") or ""
    return directory.create_client(actor, data)
