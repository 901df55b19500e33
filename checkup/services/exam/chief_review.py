"""The chief physician's part of signing (主检): who may sign, when, and the follow-up levels of what they sign.

Signing itself stays ``reports.sign`` / ``reports.amend`` (the snapshot, findings, follow-ups, the report_signed
event, the PDF, publication after sign-off). Around it, in the same transaction, this module

* lets only a chief physician draft, sign or amend, and only once every station's conclusion is signed and no
  instrument value waits in a station's conflict list (``report_review.open_conflicts``);
* refuses a chief physician who signed a station conclusion of the same checkup, unless the center allows it
  (``CHECKUP_CHIEF_MAY_SIGN_OWN_STATIONS``);
* lets a chief physician at a checkup only through their relationship to it (``report_review.require_review``:
  in the review queue, claimed or signed by them, else break the glass);
* passes ``reports`` the follow-up level the advice library implies for each finding (a critical value keeps
  the rule table's level A) and the chief physician's own findings with the level they chose, or none — a
  free-text finding never gets a level by default — so each follow-up opens once, at its level;
* keeps who is reviewing what (``ChiefReview``) for the queue and the workload.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from checkup.core import audit
from checkup.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from checkup.models import Report
from checkup.models.accounts import CHIEF
from checkup.models.base import db, utcnow
from checkup.models.review import ChiefReview
from checkup.services.catalog.care_rules import LEVELS
from checkup.services.exam import advice, reports
from checkup.services.exam.report_review import (
    MAX_OBSERVATIONS,
    appointment_for_review,
    conflict_text,
    review_for,
)

TEXT_LIMIT = 500


def may_sign_own_stations():
    return bool(current_app.config.get("CHIEF_MAY_SIGN_OWN_STATIONS", False))


def require_chief(actor):
    if actor.user is None or not actor.user.has_role(CHIEF):
        raise PermissionDenied(_l("Only a chief physician can review and sign a checkup report."))


def clean_observations(observations):
    """[(level, text)] of the chief physician's own findings: text squeezed, duplicates dropped, level A, B, C
    or "" (no follow-up). Raises ValidationError."""
    cleaned, seen = [], set()
    for level, text in observations or ():
        text = " ".join(str(text or "").split())[:TEXT_LIMIT]
        level = (level or "").upper()
        if not text or text in seen:
            continue
        if level and level not in LEVELS:
            message = _l("Choose level A, B or C, or none.")
            raise ValidationError(message, {"observations": message})
        seen.add(text)
        cleaned.append((level, text))
    if len(cleaned) > MAX_OBSERVATIONS:
        message = _l("Write at most %(n)d observations.", n=MAX_OBSERVATIONS)
        raise ValidationError(message, {"observations": message})
    return cleaned


def _check_may_sign(actor, data):
    names = ", ".join(d.name_zh or d.name_en for d in data.unsigned_stations[:10])
    if names:
        raise ValidationError(
            _l(
                "Every station must sign its conclusion before the report is signed. Still unsigned: %(stations)s.",
                stations=names,
            )
        )
    if data.open_conflicts:
        raise ValidationError(
            _l(
                "An instrument value differs from the entered one and waits for the station doctor's choice; sign "
                "once it is settled. Open: %(conflicts)s.",
                conflicts="; ".join(conflict_text(c) for c in data.open_conflicts[:10]),
            )
        )
    if actor.user_id in data.station_doctor_ids and not may_sign_own_stations():
        raise Conflict(
            _l(
                "You signed a station conclusion of this checkup, and this center does not let the same physician "
                "sign the report. Ask another chief physician to review it."
            )
        )


def _claim(actor, appointment_id):
    """The chief physician is now the one reviewing the checkup: one row per checkup, written by
    INSERT … ON CONFLICT (appointment) DO UPDATE, so two chief physicians saving at the same moment both
    succeed (the later one holds the claim) instead of one meeting the unique index."""
    now = utcnow()
    ChiefReview.insert(appointment=appointment_id, chief=actor.user_id, started_at=now, updated_at=now).on_conflict(
        conflict_target=[ChiefReview.appointment],
        update={ChiefReview.chief: actor.user_id, ChiefReview.updated_at: now},
    ).execute()


def save_draft(actor, appointment_id, summary, advice_text):
    """The chief physician's draft of summary and advice (``reports.save_draft``); they are then shown as
    reviewing it. Raises PermissionDenied (not a chief physician; NoCareRelationship without a relationship to
    the checkup), NotFound, Conflict (signed)."""
    require_chief(actor)
    with db.atomic():
        appointment_for_review(actor, appointment_id)
        report = reports.save_draft(actor, appointment_id, summary, advice_text)
        _claim(actor, appointment_id)
    return report


class _LibraryLevels:
    """What ``reports`` asks for the levels: {result id: level} of the advice library, from the review data it
    signs (after an amendment's changes); kept for the audit event."""

    def __init__(self):
        self.levels = {}

    def __call__(self, data):
        self.levels = advice.levels_by_result(data.suggestions)
        return self.levels

    def audited(self):
        return {str(result_id): level for result_id, level in sorted(self.levels.items())}


def sign(actor, appointment_id, summary, advice_text, observations=()):
    """Sign the checkup's report as its chief physician (``reports.sign``), with the follow-up levels of the
    advice library and of the chief physician's own findings (``observations``: [(level or "", text)]).
    The review data is read once, checked and handed to ``reports.sign``.

    Raises PermissionDenied (not a chief physician; NoCareRelationship without a relationship to the checkup),
    ValidationError (a station unsigned, an instrument value waiting in a conflict list, a result missing, no
    summary, a bad level) and Conflict (already signed; the chief physician signed one of its stations and the
    center does not allow it), nothing written."""
    require_chief(actor)
    observations = clean_observations(observations)
    with db.atomic():
        data = review_for(actor, appointment_id)  # the relationship checked before any result is read
        _check_may_sign(actor, data)
        library = _LibraryLevels()
        report = reports.sign(
            actor, appointment_id, summary, advice_text, findings=observations, levels=library, data=data
        )
        ChiefReview.delete().where(ChiefReview.appointment == appointment_id).execute()
        audit.record(
            actor,
            "report.levels_set",
            report,
            appointment=appointment_id,
            library_levels=library.audited(),
            observations=[level or "-" for level, _text in observations],
        )
    return report


def amend(actor, report_id, reason, summary, advice_text, changes=(), observations=(), client_note=""):
    """Amend a signed report as its chief physician (``reports.amend``), with the levels as ``sign`` sets them.
    ``reason`` stays internal; ``client_note`` is what the client's report says about the amendment.
    Raises what ``reports.amend`` raises, PermissionDenied for anyone but a chief physician and
    NoCareRelationship for one without a relationship to the checkup."""
    require_chief(actor)
    observations = clean_observations(observations)
    with db.atomic():
        old = Report.get_or_none(Report.id == report_id) if isinstance(report_id, int) else None
        if old is None:
            raise NotFound(_l("We could not find that report."))
        appointment_for_review(actor, old.appointment_id)
        library = _LibraryLevels()
        report = reports.amend(
            actor,
            report_id,
            reason,
            summary,
            advice_text,
            changes=changes,
            findings=observations,
            client_note=client_note,
            levels=library,
        )
        audit.record(
            actor,
            "report.levels_set",
            report,
            appointment=report.appointment_id,
            library_levels=library.audited(),
            observations=[level or "-" for level, _text in observations],
        )
    return report
