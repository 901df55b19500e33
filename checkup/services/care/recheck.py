"""Re-check appointments booked from a follow-up, and the follow-up closing itself on a normal result.

A re-check is an appointment without a package: only the chosen items (the follow-up's finding items
by default), at their catalog prices. It goes through booking's own claim: the slot and every limited
resource the items need are claimed by the same conditional UPDATEs in the same transaction that writes
the appointment (source "recheck") and links it to the follow-up — all of it, or nothing.

When the re-check's report is signed and every re-checked item came back normal, the follow-up closes
with the outcome "recheck_normal" (``close_if_normal``, on the exam domain's ``report_signed`` event); otherwise it stays
open for the counselor, and the new report's own findings open their own follow-ups as usual.
"""

from decimal import Decimal
from typing import NamedTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import JOIN, SQL, IntegrityError, fn

from checkup.core import audit, tasks
from checkup.core.arguments import valid_id
from checkup.core.errors import Conflict, ValidationError
from checkup.core.prepared import PreparedSelect
from checkup.models import (
    Appointment,
    AppointmentItem,
    Client,
    ExamItem,
    Finding,
    FollowUp,
    Report,
    Result,
    StaffDepartment,
)
from checkup.models.accounts import ADMIN, COUNSELOR
from checkup.models.appointments import LIVE_STATUSES
from checkup.models.base import db
from checkup.models.results import ABNORMAL_FLAGS
from checkup.services.booking import booking
from checkup.services.care import followup_actions, followups
from checkup.services.exam import events

SOURCE = "recheck"
RECHECK_NORMAL = "recheck_normal"


class RecheckQuote(booking.Quote):
    """A quote without a package: the price is the items' own."""

    @property
    def total(self):
        return sum((line.price for line in self.lines), Decimal("0"))


def _visible_query(follow_up_id, user_id):
    """The follow-up with its client (as ``followups.get_visible`` reads them) and whether ``user_id`` heads
    its department (``viewer_heads_it``): the visibility rule's inputs in one statement."""
    heads_it = StaffDepartment.select(SQL("1")).where(
        StaffDepartment.user == user_id,
        StaffDepartment.department == FollowUp.department,
        StaffDepartment.is_head == SQL("TRUE"),
    )
    return (
        FollowUp.select(FollowUp, Client, fn.EXISTS(heads_it).alias("viewer_heads_it"))
        .join(Client)
        .where(FollowUp.id == follow_up_id)
    )


_VISIBLE = PreparedSelect(_visible_query, "checkup_recheck_follow_up", samples=(-2_000_000_001, -2_000_000_002))


def _visible(actor, follow_up_id):
    """``followups.get_visible(followups.viewer_for(actor), follow_up_id)`` in one statement: the actor's
    head departments are asked about the follow-up's department only."""
    user = actor.user
    if user is None or not valid_id(follow_up_id):
        return followups.get_visible(followups.viewer_for(actor), follow_up_id)
    follow_up = next(iter(_VISIBLE.rows(follow_up_id, user.id)), None)
    is_counselor = user.has_role(COUNSELOR)
    heads = (follow_up.department_id,) if follow_up is not None and follow_up.viewer_heads_it and is_counselor else ()
    viewer = followups.Viewer(user.id, user.has_role(ADMIN), is_counselor, heads)
    if follow_up is None or not followups.can_see(viewer, follow_up):
        raise followups.not_found()
    return follow_up


def _follow_up(actor, follow_up_id):
    follow_up = _visible(actor, follow_up_id)
    if follow_up.status != followups.OPEN:
        raise Conflict(_l("This follow-up is already closed."))
    return follow_up


NO_LEVEL = "-"  # no finding has it: a service-recovery follow-up's findings are none


def _finding_items_query(report_id, level):
    return (
        Finding.select(Finding.item)
        .where(Finding.report == report_id, Finding.level == level, Finding.item.is_null(False))
        .order_by(Finding.id)
    )


def _choices_query(report_id, level, same_report_id):
    # the finding items and the checkup's own items (by the (appointment, item) index, the report's
    # appointment by its key), as one set: a hash semi-join over the small catalog, no subplan
    findings = Finding.select(Finding.item).where(Finding.report == report_id, Finding.level == level)
    performed = (
        AppointmentItem.select(AppointmentItem.item)
        .join(Report, on=(Report.appointment == AppointmentItem.appointment))
        .where(Report.id == same_report_id)
    )
    return (
        # what the form shows and a re-check books (booking._create: the item and its resource; audit: the code)
        ExamItem.select(
            ExamItem.id, ExamItem.code, ExamItem.name_en, ExamItem.name_zh, ExamItem.price, ExamItem.resource
        )
        .where(ExamItem.id.in_(findings | performed))
        .order_by(ExamItem.department, ExamItem.code)
    )


# built once per process, prepared on PostgreSQL: no report snapshot read or parsed, no SQL built per request
_FINDING_ITEMS = PreparedSelect(_finding_items_query, "checkup_recheck_finding_items")
_CHOICES = PreparedSelect(_choices_query, "checkup_recheck_choices")


class ItemChoice(NamedTuple):
    """An item one may re-check, as the booking page shows and quotes it (plain values)."""

    id: int
    code: str
    name_en: str
    name_zh: str
    price: Decimal
    resource_id: int | None
    first_finding: int | None  # the first of the follow-up's findings on it (None: the checkup's own item)


def _page_choices_query(report_id, level):
    """``_choices_query``'s items, each with the first finding of ``level`` naming it (the default ticks, in
    ``_finding_items_query``'s order): one statement instead of two."""
    firsts = (
        Finding.select(Finding.item, fn.MIN(Finding.id).alias("first"))
        .where(Finding.report == report_id, Finding.level == level, Finding.item.is_null(False))
        .group_by(Finding.item)
        .alias("firsts")
    )
    findings = Finding.select(Finding.item).where(Finding.report == report_id, Finding.level == level)
    performed = (
        AppointmentItem.select(AppointmentItem.item)
        .join(Report, on=(Report.appointment == AppointmentItem.appointment))
        .where(Report.id == report_id)
    )
    return (
        ExamItem.select(
            ExamItem.id,
            ExamItem.code,
            ExamItem.name_en,
            ExamItem.name_zh,
            ExamItem.price,
            ExamItem.resource,
            firsts.c.first,
        )
        .join(firsts, JOIN.LEFT_OUTER, on=(firsts.c.item_id == ExamItem.id))
        .where(ExamItem.id.in_(findings | performed))
        .order_by(ExamItem.department, ExamItem.code)
    )


_PAGE_CHOICES = PreparedSelect(_page_choices_query, "checkup_recheck_page_choices", samples=(-2_000_000_001, "\x00-"))


def page_choices(follow_up):
    """``item_choices(follow_up)`` as plain rows (``ItemChoice``), in one statement: what the booking page
    shows and quotes (``book`` quotes with the catalog's items themselves)."""
    level = follow_up.level if follow_up.kind == "finding" else NO_LEVEL
    items = [ItemChoice(*row) for row in _PAGE_CHOICES.plain(follow_up.report_id, level)]
    firsts = sorted((item.first_finding, item.id) for item in items if item.first_finding is not None)
    return items, [item_id for _first, item_id in firsts] if level != NO_LEVEL else []


def item_choices(follow_up):
    """(items one may re-check, ids ticked by default): the original checkup's items and the finding items,
    each with its id, code, names, price and resource."""
    level = follow_up.level if follow_up.kind == "finding" else NO_LEVEL
    finding_ids = [row.item_id for row in _FINDING_ITEMS.rows(follow_up.report_id, level)] if level != NO_LEVEL else []
    items = _CHOICES.rows(follow_up.report_id, level, follow_up.report_id)
    return items, list(dict.fromkeys(finding_ids))


def live_recheck(follow_up, appointment=None):
    """The follow-up's re-check appointment while it is still to happen (booked or checked in), else None.
    ``appointment``: that appointment as the caller read it already (the detail page's), not read again."""
    if not follow_up.recheck_appointment_id:
        return None
    if appointment is not None and appointment.id == follow_up.recheck_appointment_id:
        return appointment if appointment.status in LIVE_STATUSES else None
    return Appointment.get_or_none(
        Appointment.id == follow_up.recheck_appointment_id, Appointment.status.in_(LIVE_STATUSES)
    )


def options(actor, follow_up_id):
    """What the booking form needs: the open follow-up, the items to choose from and the default ticks."""
    follow_up = _follow_up(actor, follow_up_id)
    items, default_ids = page_choices(follow_up)
    return follow_up, items, default_ids


def quote_for(follow_up, item_ids, items=None):
    """The package-less quote for the chosen items; ValidationError for none or an item not on offer.
    ``items``: the follow-up's ``item_choices`` when the caller has them already."""
    if items is None:
        items, _defaults = item_choices(follow_up)
    allowed = {item.id: item for item in items}
    wanted = [i for i in dict.fromkeys(item_ids or ()) if valid_id(i)]
    if not wanted or len(wanted) != len(set(item_ids or ())) or any(i not in allowed for i in wanted):
        message = _l("Tick the items to re-check (from this client's checkup).")
        raise ValidationError(message, {"items": message})
    return RecheckQuote(None, [booking.Line(allowed[i], allowed[i].price, "self") for i in wanted])


def book(actor, follow_up_id, item_ids, slot_id, idempotency_key=None):
    """Book a re-check of ``item_ids`` in ``slot_id`` for the follow-up's client and link it to the follow-up.

    The same ``idempotency_key`` returns the appointment it already made. Raises ValidationError (bad
    items or slot, another appointment that day), booking.PlaceTaken (full), NotFound or Conflict (closed,
    or a re-check already booked).
    """
    key = (idempotency_key or "")[:64] or None
    follow_up = _follow_up(actor, follow_up_id)
    if key:
        existing = Appointment.get_or_none(Appointment.idempotency_key == key)
        if existing is not None and existing.id == follow_up.recheck_appointment_id:
            return existing
    booked = live_recheck(follow_up)
    if booked is not None:
        raise Conflict(_l("A re-check is already booked for %(day)s.", day=booked.day.isoformat()))
    offer = quote_for(follow_up, item_ids)
    if not isinstance(slot_id, int) or not valid_id(slot_id):
        message = _l("Choose a time from the list.")
        raise ValidationError(message, {"slot": message})
    client = Client.get_by_id(follow_up.client_id)
    try:
        with db.atomic():
            slot = booking._bookable_slot(slot_id)
            appointment = booking._create(actor, client, slot, offer, key, SOURCE)
            linked = (
                FollowUp.update(recheck_appointment=appointment.id)
                .where(FollowUp.id == follow_up.id, FollowUp.status == followups.OPEN)
                .execute()
            )
            if linked != 1:
                raise Conflict(_l("This follow-up is already closed."))
            audit.record(
                actor,
                "followup.recheck_booked",
                follow_up,
                appointment=appointment.id,
                items=[line.item.code for line in offer.lines],
                day=str(slot.day),
            )
            tasks.defer("mail.booking_confirmation", appointment.id, caused_by=actor.user_id)
    except IntegrityError:
        if key:
            existing = Appointment.get_or_none(Appointment.idempotency_key == key)
            if existing is not None and existing.client_id == client.id:
                return existing
        message = _l("The client already has an appointment on that day. One checkup per day.")
        raise ValidationError(message, {"slot": message})
    return appointment


def close_if_normal(actor, report):
    """After ``report`` is signed: close the open follow-ups whose re-check it is when every re-checked
    item's result is normal (not flagged, not skipped). Returns the ids closed. Runs in the signing transaction."""
    waiting = list(
        FollowUp.select(FollowUp.id).where(
            FollowUp.recheck_appointment == report.appointment_id, FollowUp.status == followups.OPEN
        )
    )
    if not waiting:
        return []
    item_ids = {
        row.item_id
        for row in AppointmentItem.select(AppointmentItem.item).where(
            AppointmentItem.appointment == report.appointment_id
        )
    }
    results = {r.item_id: r for r in Result.select().where(Result.appointment == report.appointment_id)}
    normal = bool(item_ids) and all(
        item in results and not results[item].skipped and results[item].flag not in ABNORMAL_FLAGS for item in item_ids
    )
    if not normal:
        return []
    day = Appointment.get_by_id(report.appointment_id).day
    note = _("Re-check on %(day)s: every re-checked item was normal.", day=day.isoformat())
    return [row.id for row in waiting if followup_actions.close_by_system(actor, row.id, RECHECK_NORMAL, note)]


@events.report_signed.connect
def _close_answered(report, actor):
    close_if_normal(actor, report)
