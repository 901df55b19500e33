"""Translatable labels for the stored codes (sex, tiers, result types), shared by forms and pages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

from checkup.models.accounts import ADMIN, CHIEF, CLIENT, COUNSELOR, HR, PHYSICIAN, SCHEDULER

if TYPE_CHECKING:
    from flask_babel.speaklater import LazyString

ROLE_LABELS: dict[str, LazyString] = {
    CLIENT: _l("Client"),
    HR: _l("HR contact"),
    SCHEDULER: _l("Scheduler"),
    PHYSICIAN: _l("Physician"),
    CHIEF: _l("Chief physician"),
    COUNSELOR: _l("Counselor"),
    ADMIN: _l("Administrator"),
}

LABELS: dict[str, dict[str, LazyString]] = {
    "sex": {"male": _l("Male"), "female": _l("Female"), "any": _l("Any")},
    "size_tier": {"large": _l("Large"), "medium": _l("Medium"), "small": _l("Small")},
    "value_tier": {"vip": _l("VIP"), "important": _l("Important"), "general": _l("General")},
    "result_type": {"numeric": _l("Numeric"), "text": _l("Text"), "choice": _l("Choice")},
    "finding_kind": {
        "critical": _l("Critical value"),
        "significant": _l("Clearly abnormal"),
        "mild": _l("Mildly abnormal"),
        "observation": _l("Physician's observation"),
    },
    "appointment_status": {
        "booked": _l("Booked"),
        "checked_in": _l("Checked in"),
        "completed": _l("Completed"),
        "cancelled": _l("Cancelled"),
        "no_show": _l("No-show"),
    },
    "message_status": {
        "queued": _l("Waiting to be sent"),
        "sending": _l("Sending"),
        "uncertain": _l("Maybe delivered: the connection broke during the send; not sent again"),
        "sent": _l("Sent"),
        "bounced": _l("Bounced: the address was refused"),
        "failed": _l("Not delivered"),
        "withdrawn": _l("Not sent: consent withdrawn"),
    },
}


def choices(kind: str, codes: Iterable[str] | None = None) -> list[tuple[str, LazyString]]:
    """(code, label) pairs for a select field."""
    labels = LABELS[kind]
    return [(code, labels[code]) for code in (codes or labels)]


def choice_label(kind: str, code: str) -> str | LazyString:
    return LABELS.get(kind, {}).get(code, code)
