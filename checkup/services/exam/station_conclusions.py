"""Station conclusions (科室小结): the station doctor's conclusion for one checkup at one station, saved as a draft and
signed once every item of the station is done. A signed conclusion is read-only; only a chief physician reopens
it, with a reason (audited). The chief physician's review waits for every station to be signed."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from peewee import JOIN, IntegrityError

from checkup.core import audit
from checkup.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from checkup.models import Appointment, AppointmentItem, Client, Department, ExamItem, Result, StationConclusion, User
from checkup.models.accounts import CHIEF
from checkup.models.appointments import CHECKED_IN
from checkup.models.base import db, utcnow
from checkup.models.review import CONCLUSION_DRAFT, CONCLUSION_SIGNED
from checkup.services.access import care_access
from checkup.services.exam import advice, station_staff
from checkup.services.exam.report_review import is_signed, result_is_done, result_value

TEXT_LIMIT = 2000
REASON_LIMIT = 500
NORMAL_TEXT = {"zh": "未见明显异常。", "en": "No significant abnormality."}


@dataclass
class StationRow:
    item: ExamItem
    result: Result | None

    @property
    def done(self):
        return self.result is not None and result_is_done(self.result)

    @property
    def flag(self):
        return self.result.flag if self.result is not None and not self.result.skipped else ""

    @property
    def value(self):
        return result_value(self.result) if self.result is not None else ""

    @property
    def unit(self):
        return (self.result.unit if self.result is not None and self.result.unit else self.item.unit) or ""

    @property
    def abnormal(self):
        return self.done and self.result is not None and self.result.is_abnormal


@dataclass
class StationConclusionView:
    """What the station page's conclusion box shows."""

    appointment: Appointment
    department: Department
    conclusion: StationConclusion | None
    rows: list = field(default_factory=list)
    report_signed: bool = False

    @property
    def pending(self):
        return [row for row in self.rows if not row.done]

    @property
    def signed(self):
        return self.conclusion is not None and self.conclusion.signed

    @property
    def refusal(self):
        """Why nothing can be written here now, or ""."""
        if self.report_signed:
            return _l("The report of this checkup is signed. Changes need an amendment.")
        if self.appointment.status != CHECKED_IN:
            return _l("Only a checked-in client's station conclusion can be written.")
        return ""

    @property
    def can_sign(self):
        return not self.refusal and not self.signed and not self.pending

    def suggested_text(self, chinese):
        """The station's abnormal results, one after the other, or "no significant abnormality"."""
        abnormal = [row for row in self.rows if row.abnormal]
        if not abnormal:
            return NORMAL_TEXT["zh" if chinese else "en"]
        parts = [advice.evidence(row, chinese).rstrip("。.；; ") for row in abnormal]
        return ("；" if chinese else "; ").join(parts) + ("。" if chinese else ".")


def _appointment(appointment_id):
    appointment = (
        Appointment.select(Appointment, Client).join(Client).where(Appointment.id == appointment_id).first()
        if isinstance(appointment_id, int)
        else None
    )
    if appointment is None:
        raise NotFound(_l("We could not find that appointment."))
    return appointment


def _department(department_id):
    department = Department.get_or_none(Department.id == department_id) if isinstance(department_id, int) else None
    if department is None:
        raise NotFound(_l("No such station."))
    return department


def _rows(appointment_id, department_id):
    items = list(
        ExamItem.select()
        .join(AppointmentItem, on=(AppointmentItem.item == ExamItem.id))
        .where(AppointmentItem.appointment == appointment_id, ExamItem.department == department_id)
        .order_by(ExamItem.code)
    )
    if not items:
        return []
    results = {
        r.item_id: r
        for r in Result.select().where(Result.appointment == appointment_id, Result.item.in_([i.id for i in items]))
    }
    return [StationRow(item=item, result=results.get(item.id)) for item in items]


def _conclusion(appointment_id, department_id):
    signer = User.alias()
    return (
        StationConclusion.select(StationConclusion, signer)
        .join(signer, JOIN.LEFT_OUTER, on=(StationConclusion.signed_by == signer.id), attr="signed_by")
        .where(StationConclusion.appointment == appointment_id, StationConclusion.department == department_id)
        .first()
    )


def station_view(appointment_id, department_id):
    """The station's conclusion box (six queries). Raises NotFound for an unknown appointment or station, or a
    station where the checkup has no item."""
    appointment = _appointment(appointment_id)
    department = _department(department_id)
    rows = _rows(appointment.id, department.id)
    if not rows:
        raise NotFound(_l("This client has no items at this station."))
    return StationConclusionView(
        appointment=appointment,
        department=department,
        conclusion=_conclusion(appointment.id, department.id),
        rows=rows,
        report_signed=is_signed(appointment.id),
    )


def station_view_for(actor, appointment_id, department_id):
    """The conclusion box a physician opens: only for a client they care for (else NoCareRelationship). The box
    always shows clinical data (the station's results, in the suggested text or beside the conclusion), so every
    opening is audited ("station_conclusion.viewed", on the conclusion or, before one is written, the
    appointment)."""
    view = station_view(appointment_id, department_id)
    care_access.require(actor, view.appointment.client_id)
    audit.record(
        actor,
        "station_conclusion.viewed",
        view.conclusion if view.conclusion is not None else view.appointment,
        appointment=view.appointment.id,
        department=view.department.code,
        items=len(view.rows),
    )
    return view


def _clean_text(text):
    text = "\n".join(line.rstrip() for line in str(text or "").strip().splitlines())
    if len(text) > TEXT_LIMIT:
        message = _l("Use at most %(max)d characters.", max=TEXT_LIMIT)
        raise ValidationError(message, {"text": message})
    return text


def save(actor, appointment_id, department_id, text, sign=False):
    """Save the station doctor's conclusion as a draft, or sign it (``sign``: every item of the station done,
    a text written). Audited "station_conclusion.saved" / "station_conclusion.signed".

    Raises NotFound, NotThisStation (the physician does not work at the station), NoCareRelationship (not the
    doctor's client), ValidationError (text, items pending) and Conflict (already signed — the chief physician
    reopens it —, report signed, client not checked in)."""
    text = _clean_text(text)
    with db.atomic():
        view = station_view(appointment_id, department_id)
        station_staff.require(actor, view.department)
        care_access.require(actor, view.appointment.client_id)
        if view.refusal:
            raise Conflict(view.refusal)
        if view.signed:
            raise Conflict(
                _l("This station conclusion is signed. Only a chief physician can reopen it, with a reason.")
            )
        if sign:
            if not text:
                message = _l("Write the station conclusion before signing it.")
                raise ValidationError(message, {"text": message})
            if view.pending:
                names = ", ".join(row.item.code for row in view.pending[:10])
                raise ValidationError(
                    _l(
                        "Every item of this station needs a result or a reason it was skipped first: %(items)s.",
                        items=names,
                    )
                )
        now = utcnow()
        values = dict(
            text=text,
            saved_by=actor.user_id,
            saved_at=now,
            status=CONCLUSION_SIGNED if sign else CONCLUSION_DRAFT,
            signed_by=actor.user_id if sign else None,
            signed_at=now if sign else None,
        )
        if view.conclusion is None:
            try:
                with db.atomic():
                    conclusion = StationConclusion.create(
                        appointment=view.appointment.id, department=view.department.id, **values
                    )
            except IntegrityError:
                raise Conflict(_l("Someone else saved this station conclusion a moment ago. Reload the page."))
        else:
            changed = (
                StationConclusion.update(**values)
                .where(StationConclusion.id == view.conclusion.id, StationConclusion.status == CONCLUSION_DRAFT)
                .execute()
            )
            if changed != 1:
                raise Conflict(_l("Someone else signed this station conclusion a moment ago. Reload the page."))
            conclusion = StationConclusion.get_by_id(view.conclusion.id)
        audit.record(
            actor,
            "station_conclusion.signed" if sign else "station_conclusion.saved",
            conclusion,
            appointment=view.appointment.id,
            department=view.department.code,
        )
    return conclusion


def reopen(actor, appointment_id, department_id, reason):
    """A chief physician reopens a signed station conclusion for the station doctor to correct: it is a draft
    again, the reason kept and audited ("station_conclusion.reopened"). Raises PermissionDenied (not a chief
    physician), NoCareRelationship (no care relationship with the client: the checkup is not in their review
    queue nor signed by them), ValidationError (no reason), NotFound and Conflict (not signed, or the report is
    signed). The chief physician reviews every station of a checkup, so no station membership is asked."""
    if actor.user is None or not actor.user.has_role(CHIEF):
        raise PermissionDenied(_l("Only a chief physician can reopen a signed station conclusion."))
    reason = " ".join(str(reason or "").split())
    if not reason:
        message = _l("Give the reason for reopening.")
        raise ValidationError(message, {"reason": message})
    if len(reason) > REASON_LIMIT:
        message = _l("Use at most %(max)d characters.", max=REASON_LIMIT)
        raise ValidationError(message, {"reason": message})
    with db.atomic():
        appointment = _appointment(appointment_id)
        department = _department(department_id)
        care_access.require(actor, appointment.client_id)
        if is_signed(appointment.id):
            raise Conflict(_l("The report of this checkup is signed. Changes need an amendment."))
        now = utcnow()
        reopened = (
            StationConclusion.update(
                status=CONCLUSION_DRAFT,
                signed_by=None,
                signed_at=None,
                reopened_by=actor.user_id,
                reopened_at=now,
                reopen_reason=reason,
            )
            .where(
                StationConclusion.appointment == appointment.id,
                StationConclusion.department == department.id,
                StationConclusion.status == CONCLUSION_SIGNED,
            )
            .execute()
        )
        if reopened != 1:
            raise Conflict(_l("This station conclusion is not signed."))
        conclusion = StationConclusion.get(
            StationConclusion.appointment == appointment.id, StationConclusion.department == department.id
        )
        audit.record(
            actor,
            "station_conclusion.reopened",
            conclusion,
            appointment=appointment.id,
            department=department.code,
            reason=reason,
        )
    return conclusion
