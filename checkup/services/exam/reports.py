"""Chief-physician review, sign-off and amendment of checkup reports.

Signing freezes the results into a report version (``results_snapshot``), writes the findings
and the follow-ups the rule table calls for, completes the appointment and queues the PDF job.
After that results change only through ``amend``: a new version with a reason; the old one is
kept as "superseded". The report rows are the source of truth; ``report_pdf`` renders them.
"""

import datetime
import json
import logging

from flask_babel import lazy_gettext as _l
from peewee import JOIN, IntegrityError

from checkup.core import audit, tasks
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.models import Appointment, Client, ExamItem, Finding, FollowUp, Package, Report, Result
from checkup.models.appointments import COMPLETED
from checkup.models.base import db, utcnow
from checkup.models.results import DRAFT, PDF_PENDING, PDF_READY, PUBLISHED, SIGNED, SUPERSEDED
from checkup.services.access import care_access  # who may see what builds on the reports
from checkup.services.catalog.care_rules import follow_up_rules
from checkup.services.exam import derived_items, events
from checkup.services.exam import results as result_service  # the station rules: parsing and flags
from checkup.services.exam.report_review import (  # the read side shared with the review pages
    CURRENT_SIGNED,
    MAX_OBSERVATIONS,
    REVIEWABLE_STATUSES,
    is_signed,
    new_verification_code,
    number_text,
    result_value,
    review_data,
)

log = logging.getLogger(__name__)

# when the rule table names no kind for a level (one the library or the chief physician chose): hours until due
DEFAULT_DUE_HOURS = {"A": 24, "B": 7 * 24, "C": 30 * 24}

# --- snapshot, findings, follow-ups ----------------------------------------------------------------


def _snapshot(data):
    rows = []
    for row in data.rows:
        result = row.result
        rows.append(
            {
                "code": row.item.code,
                "name_en": row.item.name_en,
                "name_zh": row.item.name_zh,
                "department": row.department.code,
                "department_en": row.department.name_en,
                "department_zh": row.department.name_zh,
                "department_order": row.department.sort_order,
                "value": row.value,
                "value_num": number_text(result.value_num) if result else "",
                "unit": row.unit,
                "flag": row.flag,
                "ref_low": number_text(result.ref_low) if result else "",
                "ref_high": number_text(result.ref_high) if result else "",
                "skipped": bool(result and result.skipped),
                "skip_reason": result.skip_reason if result else "",
                "previous": row.previous_value,
                "previous_day": row.previous_day.isoformat() if row.previous_day else "",
                "trend": row.trend,
                "kind": row.kind or "",
                "computed": row.computed,  # a derived item (BMI, eGFR, …): the report says it was computed
                # free text in the language it was written in ("" = read it from the script)
                "language": getattr(result, "language", "") if result else "",
            }
        )
    return json.dumps({"rows": rows}, ensure_ascii=False)


def snapshot_rows(report):
    if not report.results_snapshot:
        return []
    return json.loads(report.results_snapshot).get("rows", [])


def finding_text(row):
    name = row.item.name_en + (f" {row.item.name_zh}" if row.item.name_zh else "")
    value = f"{row.value} {row.unit}".strip()
    reference = row.reference
    return f"{name}: {value} [{row.flag}]" + (f" ({reference})" if reference else "")


def _level_hours(level, rules):
    """Hours until a follow-up of ``level`` is due when the rule table's kind does not give them (a level the
    advice library or the chief physician chose): the soonest of the rule table's kinds with that level."""
    named = [hours for _kind, (rule_level, hours) in rules.items() if rule_level == level]
    return min(named) if named else DEFAULT_DUE_HOURS[level]


def _write_findings(report, data, observations, rules, levels=None):
    """Insert the report's findings (auto from abnormal rows, then the physician's); returns them as dicts.

    An abnormal row takes the rule table's level for its kind, or the one ``levels`` ({result id: level}, the
    advice library's) gives it — except a critical value, which keeps the rule table's (A). An observation
    is a text (the rule table's "observation" level) or a (level, text) pair: the level the physician chose,
    "" for none. Each finding carries the hours its follow-up is due in ("due")."""
    levels = levels or {}
    findings = []
    for row in data.abnormal_rows:
        level, due = rules[row.kind]
        chosen = levels.get(row.result.id)
        if chosen and row.kind != "critical" and chosen != level:
            level, due = chosen, _level_hours(chosen, rules)
        findings.append(
            {
                "report": report.id,
                "result": row.result.id,
                "item": row.item.id,
                "text": finding_text(row)[:500],
                "level": level,
                "source": "auto",
                "kind": row.kind,
                "due": due,
            }
        )
    for chosen, text in observations:
        level, due = rules["observation"]
        if chosen is not None and chosen != level:
            level, due = chosen, (_level_hours(chosen, rules) if chosen else 0)
        findings.append(
            {
                "report": report.id,
                "result": None,
                "item": None,
                "text": text[:500],
                "level": level,
                "source": "physician",
                "kind": "observation",
                "due": due,
            }
        )
    if findings:
        Finding.insert_many([{k: v for k, v in f.items() if k not in ("kind", "due")} for f in findings]).execute()
    return findings


def _due_hours_by_level(findings):
    hours = {}
    for finding in findings:
        level = finding["level"]
        if level:
            due = finding["due"]
            hours[level] = min(due, hours.get(level, due))
    return hours


def _follow_up_summary(findings, level):
    return "; ".join(f["text"] for f in findings if f["level"] == level)[:500]


def _write_follow_ups(report, client_id, findings, signed_at, carry_from=()):
    """One follow-up per level the findings call for, due ``due_hours`` after signing.

    On an amendment an open follow-up of an earlier version with the same level moves to the new
    version (the counselor keeps their contact log) instead of a duplicate being opened.
    """
    levels = []
    for level, due_hours in sorted(_due_hours_by_level(findings).items()):
        summary = _follow_up_summary(findings, level)
        carried = (
            (
                FollowUp.update(report=report.id, summary=summary)
                .where(FollowUp.report.in_(list(carry_from)), FollowUp.level == level, FollowUp.status == "open")
                .execute()
            )
            if carry_from
            else 0
        )
        if not carried:
            created = FollowUp.create(
                client=client_id,
                report=report.id,
                level=level,
                summary=summary,
                due_at=signed_at + datetime.timedelta(hours=due_hours),
            )
            events.follow_up_opened.send(created.id, item_ids=[f["item"] for f in findings if f["level"] == level])
        levels.append(level)
    return levels


def _clean_observations(findings):
    """[(level or None, text)] of the physician's observations: a text alone takes the rule table's level
    (None); a (level, text) pair keeps the level chosen ("" for no follow-up). Squeezed, duplicates dropped."""
    cleaned, seen = [], set()
    for finding in findings or ():
        level, text = finding if isinstance(finding, tuple) else (None, finding)
        text = " ".join(str(text or "").split())[:500]
        if text and text not in seen:
            seen.add(text)
            cleaned.append((level, text))
    if len(cleaned) > MAX_OBSERVATIONS:
        message = _l("Write at most %(n)d observations.", n=MAX_OBSERVATIONS)
        raise ValidationError(message, {"observations": message})
    return cleaned


def queue_pdf(report_id):
    """Owe the report's PDF: a task row in the caller's transaction (rendered after commit, retried on
    schedule when it fails)."""
    return tasks.defer("report.render_pdf", report_id)


# --- draft, sign, amend --------------------------------------------------------------------------------


def save_draft(actor, appointment_id, summary, advice):
    """Keep the physician's summary and advice as a draft (version 1) until signing. Raises Conflict once signed."""
    summary, advice = (summary or "").strip(), (advice or "").strip()
    with db.atomic():
        appointment = Appointment.get_or_none(Appointment.id == appointment_id)
        if appointment is None:
            raise NotFound(_l("We could not find that appointment."))
        if is_signed(appointment.id):
            raise Conflict(_l("This report is already signed. Changes need an amendment."))
        draft = Report.get_or_none(Report.appointment == appointment.id, Report.status == DRAFT)
        if draft is None:
            try:
                with db.atomic():  # a savepoint: a twin saving the first draft at the same moment may win
                    draft = Report.create(
                        appointment=appointment.id, version=1, status=DRAFT, summary=summary, advice=advice
                    )
            except IntegrityError:
                # the twin's draft is committed now: this save updates it, as a save a moment later would
                draft = Report.get_or_none(Report.appointment == appointment.id, Report.status == DRAFT)
                if draft is None:  # not a draft any more: signed in between
                    raise Conflict(_l("This report is already signed. Changes need an amendment."))
                Report.update(summary=summary, advice=advice).where(Report.id == draft.id).execute()
        else:
            Report.update(summary=summary, advice=advice).where(Report.id == draft.id).execute()
        audit.record(actor, "report.draft_saved", draft, appointment=appointment.id)
    return Report.get_by_id(draft.id)


def _signing_checks(data, summary):
    if data.appointment.status not in REVIEWABLE_STATUSES:
        raise Conflict(_l("Only a checked-in client's checkup can be signed."))
    if not data.rows:
        raise Conflict(_l("This appointment has no exam items to sign."))
    if data.pending:
        names = ", ".join(row.item.code for row in data.pending[:10])
        raise ValidationError(
            _l("Every item needs a result or a reason it was skipped. Still pending: %(items)s.", items=names)
        )
    if not summary:
        message = _l("Write a summary before signing.")
        raise ValidationError(message, {"summary": message})


def sign(actor, appointment_id, summary, advice, findings=(), signed_at=None, queue_job=True, levels=None, data=None):
    """Sign the appointment's report (version 1).

    Guarantees, in one transaction: every item is resulted or skipped; the report holds the
    results snapshot and a verification code; findings (abnormal results with the rule table's
    level, plus the physician's ``findings`` observations); one follow-up per level; the
    appointment is completed and its results locked; an audit event "report.signed". The PDF
    job is queued after commit. Raises NotFound, ValidationError or Conflict (already signed).

    Only the demo's history uses the last two: ``signed_at`` (naive UTC) back-dates the signature
    and the follow-ups' due times, and ``queue_job=False`` leaves the PDF to the caller.

    The chief physician's signing (chief_review) passes ``levels``, a function of the review data giving
    {result id: level} (the advice library's levels; a critical value keeps A), ``findings`` as (level, text)
    pairs, and ``data``, the review data it already read in this transaction: each follow-up then opens
    once, at its level.
    """
    summary, advice = (summary or "").strip(), (advice or "").strip()
    observations = _clean_observations(findings)
    with db.atomic():
        data = data if data is not None else review_data(appointment_id)
        if data.signed or is_signed(appointment_id):
            raise Conflict(_l("This report is already signed. Changes need an amendment."))
        _signing_checks(data, summary)
        now = signed_at or utcnow()
        values = dict(
            status=SIGNED,
            summary=summary,
            advice=advice,
            results_snapshot=_snapshot(data),
            signed_by=actor.user_id,
            signed_at=now,
            verification_code=new_verification_code(),
            pdf_state=PDF_PENDING,
            pdf_updated_at=now,
        )
        draft = next((r for r in data.reports if r.status == DRAFT), None)
        if draft is not None:
            if Report.update(**values).where(Report.id == draft.id, Report.status == DRAFT).execute() != 1:
                raise Conflict(_l("This report is already signed. Changes need an amendment."))
            report = Report.get_by_id(draft.id)
        else:
            try:
                with db.atomic():
                    report = Report.create(appointment=data.appointment.id, version=1, **values)
            except IntegrityError:
                raise Conflict(_l("This report is already signed. Changes need an amendment."))
        rules = follow_up_rules()
        written = _write_findings(report, data, observations, rules, levels(data) if levels else None)
        opened = _write_follow_ups(report, data.appointment.client_id, written, now)
        Appointment.update(status=COMPLETED, live_day=None, updated_at=now).where(
            Appointment.id == data.appointment.id
        ).execute()
        # care: a normal re-check closes the follow-up that booked it; the client's facts (last checkup,
        # report in force) follow, so the appointment is completed first
        events.report_signed.send(report, actor=actor)
        audit.record(
            actor,
            "report.signed",
            report,
            appointment=data.appointment.id,
            version=report.version,
            findings=len(written),
            follow_ups=opened,
        )
        if queue_job:
            queue_pdf(report.id)
    return report


def _apply_changes(actor, appointment, changes):
    """Write amended values (the only path that changes a result after signing); returns what changed.

    A derived item is never typed (refused like at the station); the derived items reading an amended value
    are computed again from it (``results.recompute_derived``) and listed among the changes."""
    changes = list(changes or ())
    if not changes:
        return []
    wanted = {}
    for change in changes:
        try:
            wanted[int(change["result_id"])] = change
        except (KeyError, TypeError, ValueError):
            raise ValidationError(_l("We could not find that result."))
    rows = {
        r.id: r
        for r in Result.select(Result, ExamItem)
        .join(ExamItem)
        .where(Result.appointment == appointment.id, Result.id.in_(list(wanted)))
    }
    if set(rows) != set(wanted):
        raise ValidationError(_l("We could not find that result."))
    client = Client.get_by_id(appointment.client_id)
    appointment.client = client
    changed = []
    for result_id, change in sorted(wanted.items()):
        result = rows[result_id]
        if derived_items.is_derived(result.item.code):
            message = f"{result.item.code}: {result_service.DERIVED_REFUSAL}"
            raise ValidationError(message, {f"value-{result_id}": str(result_service.DERIVED_REFUSAL)})
        try:
            entry = result_service.check_entry(
                result.item, client, appointment, change.get("value"), abnormal=bool(change.get("abnormal"))
            )
        except ValidationError as exc:
            message = f"{result.item.code}: {exc.message}"
            raise ValidationError(message, {f"value-{result_id}": exc.message})
        before = (result.value_text, result.flag)
        if before == (entry.value_text, entry.flag) and not result.skipped:
            continue
        Result.update(
            value_text=entry.value_text,
            value_num=entry.value_num,
            flag=entry.flag,
            ref_low=entry.ref_low,
            ref_high=entry.ref_high,
            skipped=False,
            skip_reason="",
            entered_at=utcnow(),
            language=result_service.written_in(result.item, entry.value_text),
        ).where(Result.id == result.id).execute()
        changed.append(
            {
                "item": result.item.code,
                "before": result_value(result),
                "before_flag": result.flag,
                "after": entry.value_text,
                "after_flag": entry.flag,
            }
        )
    if changed:
        changed += _recompute_derived(actor, appointment, {c["item"] for c in changed})
    return changed


def _recompute_derived(actor, appointment, codes):
    """The derived items reading ``codes`` computed again after an amendment: their changes, as listed in the
    audit event ("derived": true)."""
    reading = derived_items.derived_codes_using(codes)
    if not reading:
        return []
    before = {
        r.item.code: r
        for r in Result.select(Result, ExamItem)
        .join(ExamItem)
        .where(Result.appointment == appointment.id, ExamItem.code.in_(sorted(reading)))
    }
    written = result_service.recompute_derived(actor, {appointment.id: appointment}, {appointment.id: set(codes)})
    changes = []
    for result in written:
        code = result.item.code
        old = before.get(code)
        changes.append(
            {
                "item": code,
                "before": result_value(old) if old is not None else "",
                "before_flag": old.flag if old is not None else "",
                "after": result.value_text,
                "after_flag": result.flag,
                "derived": True,
            }
        )
    return changes


def amend(actor, report_id, reason, summary, advice, changes=(), findings=None, client_note="", levels=None):
    """Amend a signed report: a new version with ``reason``; the old one is kept as "superseded".

    ``reason`` is the staff's (audit, review pages) and never reaches the client; ``client_note`` is what
    the client's report says about the amendment, next to "amended on <date>" (optional).

    ``changes`` are {"result_id", "value", "abnormal"} dicts: the only way results change after
    signing; a derived item is refused, and the derived items reading a changed value are computed again. ``findings`` (physician observations) default to the previous version's. Findings
    and follow-ups are written for the new version (open follow-ups of the same level move to it),
    the event "report.amended" is audited and the PDF job queued; its publication sends the client one
    email ("amended", never also "ready"). ``levels`` and (level, text) ``findings`` as for ``sign``.
    Raises ValidationError (no reason, bad value), NotFound or Conflict (not the current version).
    """
    reason = " ".join((reason or "").split())
    if not reason:
        message = _l("Give the reason for the amendment.")
        raise ValidationError(message, {"reason": message})
    summary, advice = (summary or "").strip(), (advice or "").strip()
    if not summary:
        message = _l("Write a summary before signing.")
        raise ValidationError(message, {"summary": message})
    with db.atomic():
        old = Report.get_or_none(Report.id == report_id)
        if old is None:
            raise NotFound(_l("We could not find that report."))
        if old.status not in CURRENT_SIGNED:
            raise Conflict(_l("Only the current signed version of a report can be amended."))
        if findings is None:
            findings = [
                (f.level, f.text)
                for f in Finding.select().where(Finding.report == old.id, Finding.source == "physician")
            ]
        observations = _clean_observations(findings)
        if (
            Report.update(status=SUPERSEDED).where(Report.id == old.id, Report.status.in_(CURRENT_SIGNED)).execute()
            != 1
        ):
            raise Conflict(_l("Someone else amended this report a moment ago. Reload the page."))
        appointment = Appointment.get_by_id(old.appointment_id)
        changed = _apply_changes(actor, appointment, changes)
        data = review_data(appointment.id)
        now = utcnow()
        report = Report.create(
            appointment=appointment.id,
            version=old.version + 1,
            status=SIGNED,
            summary=summary,
            advice=advice,
            results_snapshot=_snapshot(data),
            amendment_reason=reason[:500],
            amendment_note=" ".join((client_note or "").split())[:500],
            signed_by=actor.user_id,
            signed_at=now,
            verification_code=new_verification_code(),
            pdf_state=PDF_PENDING,
            pdf_updated_at=now,
        )
        rules = follow_up_rules()
        written = _write_findings(report, data, observations, rules, levels(data) if levels else None)
        earlier = [
            r.id for r in Report.select(Report.id).where(Report.appointment == appointment.id, Report.id != report.id)
        ]
        opened = _write_follow_ups(report, appointment.client_id, written, now, carry_from=earlier)
        events.report_signed.send(report, actor=actor)  # care: an amendment can make a re-check normal
        audit.record(
            actor,
            "report.amended",
            report,
            appointment=appointment.id,
            version=report.version,
            replaces=old.id,
            reason=reason[:500],
            changes=changed,
            follow_ups=opened,
        )
        queue_pdf(report.id)  # its publication owes the client's one email ("amended"; report_pdf)
    return report


def publish(report_id):
    """signed -> published (once the PDF is ready); True when this call made the change.
    Publishing queues the satisfaction survey (one per checkup: an amended version sends none)."""
    published = Report.update(status=PUBLISHED).where(Report.id == report_id, Report.status == SIGNED).execute() == 1
    if published:
        events.report_published.send(report_id)  # care: the satisfaction survey
    return published


def retry_pdf(actor, report_id):
    """Queue a failed (or stuck) PDF again, by a physician's request."""
    report = Report.get_or_none(Report.id == report_id)
    if report is None or report.status == DRAFT:
        raise NotFound(_l("We could not find that report."))
    if report.pdf_state == PDF_READY:
        return report
    with db.atomic():
        Report.update(pdf_state=PDF_PENDING, pdf_updated_at=utcnow()).where(Report.id == report.id).execute()
        audit.record(actor, "report.pdf_retried", report)
        queue_pdf(report.id)
    return Report.get_by_id(report.id)


# --- reading reports --------------------------------------------------------------------------------


def report_with_appointment(report_id):
    if not isinstance(report_id, int):
        return None
    return (
        Report.select(Report, Appointment, Client).join(Appointment).join(Client).where(Report.id == report_id).first()
    )


def pdf_status(report_id):
    """The report row for the status fragment (any signed version); raises NotFound."""
    report = report_with_appointment(report_id)
    if report is None or report.status == DRAFT:
        raise NotFound(_l("We could not find that report."))
    return report


def client_reports(client_id):
    """The client's published reports, the latest version per checkup, newest checkup first."""
    return list(
        Report.select(Report, Appointment, Package)
        .join(Appointment)
        .join(Package, JOIN.LEFT_OUTER)
        .where(Appointment.client == client_id, Report.status == PUBLISHED, Report.pdf_state == PDF_READY)
        .order_by(Appointment.day.desc(), Report.version.desc())
    )


def report_for_client(report_id, client_id):
    """The client's own current, published report; NotFound for anything else (also other clients')."""
    report = report_with_appointment(report_id)
    if (
        report is None
        or client_id is None
        or report.appointment.client_id != client_id
        or report.status != PUBLISHED
        or report.pdf_state != PDF_READY
    ):
        raise NotFound(_l("We could not find that report."))
    return report


def report_for_staff(actor, report_id):
    """Any signed version whose PDF is ready (staff may read superseded versions too), for staff with a
    care relationship to the client (or who broke the glass): NotFound when missing, NoCareRelationship
    when unrelated."""
    report = report_with_appointment(report_id)
    if report is None or report.status == DRAFT or report.pdf_state != PDF_READY:
        raise NotFound(_l("We could not find that report."))
    care_access.require(actor, report.appointment.client_id)
    return report


def record_download(actor, report):
    audit.record(
        actor,
        "report.downloaded",
        report,
        appointment=report.appointment_id,
        version=report.version,
        client=report.appointment.client_id,
    )


def record_view(actor, action, obj, **detail):
    audit.record(actor, action, obj, **detail)
