"""Audit events: who, when, what, from where."""
import json
from dataclasses import dataclass

from checkup.models import AuditEvent


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
    """Write one audit event. ``obj`` is a model instance (its table name and id are kept)."""
    return AuditEvent.create(
        user=actor.user_id,
        action=action,
        object_type=obj._meta.table_name if obj is not None else "",
        object_id=str(obj._pk) if obj is not None else "",  # not get_id(): User overrides it
        ip=(actor.ip or "")[:64],
        detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else "",
    )
