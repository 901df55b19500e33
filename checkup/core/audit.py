"""Audit events: who, when, what, from where."""

from __future__ import annotations

import json
from dataclasses import dataclass

from peewee import ForeignKeyField, Model, PostgresqlDatabase

from checkup.models import Appointment, AuditEvent, Client, User
from checkup.models.base import db, utcnow


@dataclass(frozen=True)
class Actor:
    """The user acting and the address they act from; views build it, services record it."""

    user: User | None = None
    ip: str = ""

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user is not None else None


SYSTEM = Actor()


def record(actor: Actor, action: str, obj: Model | None = None, **detail: object) -> AuditEvent:
    """Write one audit event. ``obj`` is a model instance (its table name and id are kept); the client
    whose record it touches is kept too (see ``client_of``)."""
    event = AuditEvent(
        at=utcnow(),
        user=actor.user_id,
        action=action,
        object_type=obj._meta.table_name if obj is not None else "",
        object_id=str(_key(obj)) if obj is not None else "",
        ip=(actor.ip or "")[:64],
        detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else "",
        client_id=client_of(obj, detail.get("client")),
    )
    event.id = _insert([field.db_value(event.__data__.get(field.name)) for field in _FIELDS])
    event._dirty.clear()  # type: ignore[attr-defined]  # as peewee leaves a row it read: nothing to save
    return event


# the columns an event is written with, in the INSERT's order (every field but the id)
_FIELDS = tuple(field for field in AuditEvent._meta.sorted_fields if field is not AuditEvent._meta.primary_key)
# {database kind: the INSERT's SQL}: pages that show results write an event on every view, and peewee would
# build the same INSERT each time
_INSERTS: dict[type, str] = {}


def _insert(values: list) -> int:
    """The new event's id, its row written with ``values`` (in _FIELDS' order, as the database takes them)."""
    database = db.obj
    sql = _INSERTS.get(type(database))
    if sql is None:
        sql, params = AuditEvent.insert({field: value for field, value in zip(_FIELDS, values, strict=True)}).sql()
        if params != values:
            raise ValueError(f"the audit INSERT's parameters {params!r} are not the ones given {values!r}")
        _INSERTS[type(database)] = sql
    cursor = database.execute_sql(sql, values)
    if isinstance(database, PostgresqlDatabase):
        return int(cursor.fetchone()[0])  # INSERT … RETURNING id
    return int(cursor.lastrowid)


def client_of(obj: Model | None, named: object = None) -> int | None:
    """The id of the client an event is about, or None: ``named`` (a ``client=`` detail), the client
    itself, the object's own client (appointments, follow-ups, consents, accounts …), or the client of
    its appointment (reports, results, alerts). At most one small query, for an object whose client is
    not loaded."""
    if isinstance(named, int) and not isinstance(named, bool):
        return named
    if isinstance(named, str) and named.isdigit() and len(named) < 10:
        return int(named)
    if obj is None:
        return None
    if isinstance(obj, Client):
        return obj.id
    fields = obj._meta.fields
    client_id: int | None  # read from peewee's row data, which its stubs leave untyped
    for name in ("client", "appointment"):
        field = fields.get(name)
        if not isinstance(field, ForeignKeyField) or field.rel_model not in (Client, Appointment):
            continue
        if name == "client":
            if "client" in obj.__data__ or _key(obj) is None:
                client_id = obj.__data__.get("client")
                return client_id
            model = type(obj)  # a bare ``Model(id=…)``: its client was not loaded
            client_id = model.select(field).where(model._meta.primary_key == _key(obj)).scalar()
            return client_id
        loaded = obj.__rel__.get("appointment")
        if loaded is not None:
            client_id = loaded.client_id
            return client_id
        appointment_id = obj.__data__.get("appointment")
        if appointment_id is None:
            return None
        client_id = Appointment.select(Appointment.client).where(Appointment.id == appointment_id).scalar()
        return client_id
    return None


def _key(obj: Model) -> object:
    """The primary key's value (not get_id(): User overrides it for Flask-Login)."""
    return obj._pk  # type: ignore[attr-defined]  # peewee's stubs leave out Model._pk
