"""The LIS's worklist: the day's checked-in appointments with their items, specimen container barcodes and
LOINC codes. Keyset-paged by appointment id; two queries a page whatever its length."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from peewee import JOIN

from checkup.models import Appointment, AppointmentItem, Client, Department, ExamItem, Package
from checkup.models.appointments import CHECKED_IN
from checkup.models.catalog import CONTAINER_CODES
from checkup.services.exam import specimens


@dataclass(frozen=True)
class WorklistPage:
    orders: list[dict[str, Any]]
    next_after: int | None  # the last appointment id of this page when there is a next page


def item_json(item: ExamItem, exam_code: str) -> dict[str, Any]:
    container = item.container if item.container in CONTAINER_CODES else ""
    return {
        "code": item.code,
        "name": item.name_en,
        "name_zh": item.name_zh,
        "loinc": item.loinc or None,
        "unit": item.unit,
        "result_type": item.result_type,
        "department": item.department.code,
        "container": container or None,
        "barcode": specimens.barcode(exam_code, container) if container else None,
    }


def order_json(appointment, items):
    client = appointment.client
    containers = sorted({i.container for i in items if i.container in CONTAINER_CODES})
    return {
        "appointment_id": appointment.id,
        "exam_code": appointment.exam_code,
        "day": appointment.day.isoformat(),
        "status": appointment.status,
        "package": appointment.package.code if appointment.package_id else None,
        "patient": {
            "client_id": client.id,
            "name": client.name,
            "sex": client.sex,
            "birth_date": client.birth_date.isoformat(),
        },
        "specimens": [
            {"container": code, "barcode": specimens.barcode(appointment.exam_code, code)} for code in containers
        ],
        "items": [item_json(item, appointment.exam_code) for item in items],
    }


def worklist(day, after=0, limit=50):
    """The checked-in appointments of ``day`` with ids above ``after``, ``limit`` at most, oldest first."""
    rows = list(
        Appointment.select(Appointment, Client, Package)
        .join_from(Appointment, Client)
        .join_from(Appointment, Package, JOIN.LEFT_OUTER)
        .where(Appointment.day == day, Appointment.status == CHECKED_IN, Appointment.id > after)
        .order_by(Appointment.id)
        .limit(limit + 1)
    )
    more = len(rows) > limit
    rows = rows[:limit]
    items: dict[int, list[ExamItem]] = {row.id: [] for row in rows}
    if rows:
        for line in (
            AppointmentItem.select(AppointmentItem.appointment, ExamItem, Department)
            .join(ExamItem)
            .join(Department, on=(ExamItem.department == Department.id))
            .where(AppointmentItem.appointment.in_(list(items)))
            .order_by(Department.sort_order, ExamItem.code)
        ):
            items[line.appointment_id].append(line.item)
    return WorklistPage([order_json(row, items[row.id]) for row in rows], rows[-1].id if more else None)
