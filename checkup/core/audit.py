"""Audit events: who, when, what, from where."""
import json
from dataclasses import dataclass

from peewee import ForeignKeyField

from checkup.models import Appointment, AuditEvent, Client


@dataclass(frozen=True)
class Actor:
    """The user acting and the address they act from; views build it, services record it."""

    user: object = None
    ip: str = ""

    @property
    def user_id(self):
        return self.user.id if self.user is not None else None


SYSTEM = Actor()


def record(actor, action, obj=None, **detail):
    """Write one audit event. ``obj`` is a model instance (its table name and id are kept); the client
    whose record it touches is kept too (see ``client_of``)."""
    return AuditEvent.create(
        user=actor.user_id,
        action=action,
        object_type=obj._meta.table_name if obj is not None else "",
        object_id=str(obj._pk) if obj is not None else "",  # not get_id(): User overrides it
        ip=(actor.ip or "")[:64],
        detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else "",
        client_id=client_of(obj, detail.get("client")),
    )


def client_of(obj, named=None):
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
    for name in ("client", "appointment"):
        field = fields.get(name)
        if not isinstance(field, ForeignKeyField) or field.rel_model not in (Client, Appointment):
            continue
        if name == "client":
            if "client" in obj.__data__ or obj._pk is None:
                return obj.__data__.get("client")
            model = type(obj)  # a bare ``Model(id=…)``: its client was not loaded
            return model.select(model.client).where(model._meta.primary_key == obj._pk).scalar()
        loaded = obj.__rel__.get("appointment")
        if loaded is not None:
            return loaded.client_id
        appointment_id = obj.__data__.get("appointment")
        if appointment_id is None:
            return None
        return Appointment.select(Appointment.client).where(Appointment.id == appointment_id).scalar()
    return None
