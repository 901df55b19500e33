"""What counselors do with a follow-up: assign (one or many), take, log contact attempts, close.

Every function checks visibility first (``followups.get_visible``: NotFound for what the actor may not
see), writes inside one transaction and records an audit event. Closed follow-ups take no more work.
"""

from flask_babel import lazy_gettext as _l

from checkup.core import audit
from checkup.core.arguments import valid_id
from checkup.core.errors import Conflict, ValidationError
from checkup.models import ContactAttempt, FollowUp
from checkup.models.base import db, utcnow
from checkup.models.care import CONTACT_CHANNELS, CONTACT_OUTCOMES
from checkup.models.results import FOLLOW_UP_OUTCOMES
from checkup.services.care import followup_assignment, followups

# "recheck_normal" is set only by the re-check's signed normal result (services/recheck.py)
CLOSING_OUTCOMES = tuple(code for code in FOLLOW_UP_OUTCOMES if code != "recheck_normal")
MAX_BULK = 200
MAX_NOTES = 2000
MAX_CLOSING_NOTE = 500


def _closed():
    return Conflict(_l("This follow-up is already closed."))


def _check_assignee(assignee_id):
    if assignee_id is not None and not followup_assignment.is_counselor(assignee_id):
        message = _l("Follow-ups go to active counselors only.")
        raise ValidationError(message, {"assignee": message})


def assign(actor, follow_up_ids, assignee_id):
    """Give the open follow-ups ``follow_up_ids`` to counselor ``assignee_id`` (None: back to the pool).

    All or nothing: any id the actor may not see is NotFound, any closed one a Conflict; nothing changes
    then. One audit event "followup.assigned" per follow-up. Returns how many changed hands.
    """
    ids = sorted({i for i in follow_up_ids or () if valid_id(i)})
    if len(ids) != len(set(follow_up_ids or ())):
        raise followups.not_found()
    if not ids:
        message = _l("Tick at least one follow-up.")
        raise ValidationError(message, {"ids": message})
    if len(ids) > MAX_BULK:
        message = _l("Assign at most %(n)s follow-ups at a time.", n=MAX_BULK)
        raise ValidationError(message, {"ids": message})
    _check_assignee(assignee_id)
    viewer = followups.viewer_for(actor)
    with db.atomic():
        rows = list(FollowUp.select().where(FollowUp.id.in_(ids), followups.visible_condition(viewer)))
        if len(rows) != len(ids):
            raise followups.not_found()
        if any(row.status != followups.OPEN for row in rows):
            raise Conflict(_l("Closed follow-ups cannot be reassigned."))
        changed = 0
        for row in rows:
            if row.assignee_id == assignee_id:
                continue
            FollowUp.update(assignee=assignee_id).where(FollowUp.id == row.id).execute()
            audit.record(
                actor, "followup.assigned", row, before=row.assignee_id, assignee=assignee_id, bulk=len(ids) > 1
            )
            changed += 1
    return changed


def take(actor, follow_up_id):
    """Assign a visible open follow-up to the acting counselor."""
    if actor.user is None or not followup_assignment.is_counselor(actor.user_id):
        message = _l("Follow-ups go to active counselors only.")
        raise ValidationError(message, {"assignee": message})
    return assign(actor, [follow_up_id], actor.user_id)


def log_attempt(actor, follow_up_id, channel, outcome, notes=""):
    """Record a contact attempt (channel, outcome, notes) on an open follow-up; counts it in ``attempt_count``."""
    notes = (notes or "").strip()
    errors = {}
    if channel not in CONTACT_CHANNELS:
        errors["channel"] = _l("Choose how you contacted the client.")
    if outcome not in CONTACT_OUTCOMES:
        errors["outcome"] = _l("Choose the outcome of the attempt.")
    if len(notes) > MAX_NOTES:
        errors["notes"] = _l("Use at most %(max)d characters.", max=MAX_NOTES)
    viewer = followups.viewer_for(actor)
    with db.atomic():
        follow_up = followups.get_visible(viewer, follow_up_id)
        if errors:
            raise ValidationError(next(iter(errors.values())), errors)
        if follow_up.status != followups.OPEN:
            raise _closed()
        attempt = ContactAttempt.create(
            follow_up=follow_up.id, channel=channel, outcome=outcome, notes=notes, by=actor.user_id, at=utcnow()
        )
        (FollowUp.update(attempt_count=FollowUp.attempt_count + 1).where(FollowUp.id == follow_up.id).execute())
        audit.record(actor, "followup.contact_logged", follow_up, channel=channel, outcome=outcome, attempt=attempt.id)
    return attempt


def close(actor, follow_up_id, outcome_code, note):
    """Close an open follow-up with an outcome and a closing note.

    "unreachable" needs at least ``followup.unreachable_after`` contact attempts (default 3); the re-check
    outcome "recheck_normal" is the system's alone. Raises ValidationError, NotFound or Conflict.
    """
    note = " ".join((note or "").split())
    errors = {}
    if outcome_code not in CLOSING_OUTCOMES:
        errors["outcome_code"] = _l("Choose the outcome.")
    if not note:
        errors["note"] = _l("Write a closing note: what was agreed or why it ends here.")
    elif len(note) > MAX_CLOSING_NOTE:
        errors["note"] = _l("Use at most %(max)d characters.", max=MAX_CLOSING_NOTE)
    viewer = followups.viewer_for(actor)
    with db.atomic():
        follow_up = followups.get_visible(viewer, follow_up_id)
        if follow_up.status != followups.OPEN:
            raise _closed()
        needed = followup_assignment.unreachable_after()
        if outcome_code == "unreachable" and follow_up.attempt_count < needed:
            errors["outcome_code"] = _l(
                "Unreachable needs at least %(n)s contact attempts; %(done)s so far.",
                n=needed,
                done=follow_up.attempt_count,
            )
        if errors:
            raise ValidationError(next(iter(errors.values())), errors)
        closed = (
            FollowUp.update(
                status=followups.CLOSED,
                outcome_code=outcome_code,
                outcome=note,
                closed_at=utcnow(),
                closed_by=actor.user_id,
            )
            .where(FollowUp.id == follow_up.id, FollowUp.status == followups.OPEN)
            .execute()
        )
        if closed != 1:
            raise _closed()
        audit.record(actor, "followup.closed", follow_up, outcome=outcome_code, attempts=follow_up.attempt_count)
    return FollowUp.get_by_id(follow_up.id)


def close_by_system(actor, follow_up_id, outcome_code, note):
    """Close a follow-up without a person's visibility check (the re-check hook); False if already closed."""
    closed = (
        FollowUp.update(
            status=followups.CLOSED,
            outcome_code=outcome_code,
            outcome=note[:MAX_CLOSING_NOTE],
            closed_at=utcnow(),
            closed_by=None,
        )
        .where(FollowUp.id == follow_up_id, FollowUp.status == followups.OPEN)
        .execute()
    )
    if closed:
        audit.record(actor, "followup.closed", FollowUp(id=follow_up_id), outcome=outcome_code, automatic=True)
    return bool(closed)
