"""Satisfaction surveys: one single-use link per checkup, sent when its report is published.

``send_survey`` (a job) creates the Survey row with the sha256 of a random token and mails the link
through ``messages.send_once`` keyed by the appointment, so an amended report (a new version, published
again) never sends a second survey. ``answer`` stores the scores once: a conditional update on
``answered_at IS NULL`` lets exactly one submission win. A low score opens a service-recovery
follow-up. ``dashboard`` gives the counselors' figures in a fixed number of queries.
"""

import datetime
import hashlib
import logging
import secrets
from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import JOIN, SQL, Case, IntegrityError, fn

from checkup.core import audit, clock, links, tasks
from checkup.core.errors import DomainError, NotFound, ValidationError
from checkup.core.headline_figures import headline
from checkup.core.prepared import PreparedSelect
from checkup.models import Appointment, Client, FollowUp, FollowUpRule, Report, Survey, User
from checkup.models.base import db
from checkup.models.care import SURVEY_AREAS, SURVEY_LOW_SCORE, survey_low_condition
from checkup.services.accounts import accounts
from checkup.services.care import followup_assignment
from checkup.services.exam import events
from checkup.services.mail import messages

log = logging.getLogger(__name__)

SCORE_FIELDS = ("overall",) + SURVEY_AREAS
SCORE_LABELS = {
    "overall": _l("Overall"),
    "booking": _l("Booking"),
    "front_desk": _l("Front desk"),
    "stations": _l("Examination rooms"),
    "report_clarity": _l("Report clarity"),
    "staff_attitude": _l("Staff attitude"),
}
VALID_DAYS = 30
SEND_WITHIN_DAYS = 60  # a survey months after the visit is noise (and back-filled history stays quiet)
MAX_COMMENT = 2000
LOW_SCORE = SURVEY_LOW_SCORE  # any score at or below this (overall or one area) opens a service-recovery follow-up
# Service recovery: level B, due in 3 days, unless the admin added a FollowUpRule of kind "service".
RECOVERY_LEVEL, RECOVERY_DUE_HOURS = "B", 72
MAX_TOKEN_LENGTH = 100
DASHBOARD_MONTHS = 12
RECENT_ROWS = 20


class SurveyClosed(DomainError):
    """The link was valid once but is used up or expired: 410 Gone, with ``reason`` for the page."""

    status = 410

    def __init__(self, message, reason):
        super().__init__(message)
        self.reason = reason


def utc_now():
    """The center clock's now as stored timestamps are kept (naive UTC), so tests can move time."""
    return clock.now().astimezone(datetime.UTC).replace(tzinfo=None)


def digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def survey_url(token):
    return links.survey(token)


# --- sending -------------------------------------------------------------------------------------


@events.report_published.connect
def queue_survey(report_id):
    """Owe the satisfaction survey of a just-published report (in the publishing transaction)."""
    return tasks.defer("mail.survey", report_id)


@tasks.handler("mail.survey")
def send_survey(report_id):
    """Task: create the survey of a published report and email its link; returns the Survey or None.

    Sends at most one survey per appointment (dedupe key ``survey:<appointment>``), only for a recent
    checkup and only when the client has an email. The survey is part of the service we delivered,
    like the "report ready" email, so it needs no marketing consent and is not held back by the
    service-reminders choice; the message still carries the manage/unsubscribe footer.
    """
    report = (
        Report.select(Report, Appointment, Client).join(Appointment).join(Client).where(Report.id == report_id).first()
    )
    if report is None or report.status != "published":
        return None
    appointment, client = report.appointment, report.appointment.client
    if (clock.today() - appointment.day).days > SEND_WITHIN_DAYS:
        return None
    account = User.get_or_none(User.client == client.id)
    client.email = client.email or (account.email if account else "")  # the record's address, else the login's
    if not client.email:
        return None
    if Survey.select().join(Report).where(Report.appointment == appointment.id).exists():
        return None  # an earlier version's survey already went out
    token = secrets.token_urlsafe(32)
    now = utc_now()
    try:
        with db.atomic():
            survey = Survey.create(
                report=report.id,
                client=client.id,
                token_hash=digest(token),
                expires_at=now + datetime.timedelta(days=VALID_DAYS),
            )
    except IntegrityError:
        return None  # another worker got here first
    locale = accounts.language_of(account)
    message = messages.send_once(
        client,
        "survey",
        f"survey:{appointment.id}",
        lambda: _("How was your checkup?"),
        lambda: render_template(
            "email/survey.txt",
            client=client,
            appointment=appointment,
            link=survey_url(token),
            days=VALID_DAYS,
            center=current_app.config["CENTER_NAME"],
        ),
        locale=locale,
    )
    if message is None:  # the appointment's survey was sent before (its row was since removed)
        Survey.delete().where(Survey.id == survey.id).execute()
        return None
    if message.status == "sent":
        Survey.update(sent_at=now).where(Survey.id == survey.id).execute()
    return Survey.get_by_id(survey.id)


# --- answering -----------------------------------------------------------------------------------


def _closed_reason(survey, now):
    if survey.answered_at is not None:
        return SurveyClosed(_l("This survey has already been answered. Thank you!"), "answered")
    if survey.expires_at is not None and survey.expires_at <= now:
        return SurveyClosed(_l("This survey link has expired."), "expired")
    return None


def survey_for_token(token):
    """The open survey the link names. Raises NotFound (no such link) or SurveyClosed (used, expired)."""
    token = str(token or "")
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise NotFound(_l("We could not find that survey."))
    survey = (
        Survey.select(Survey, Report, Appointment)
        .join(Report)
        .join(Appointment)
        .where(Survey.token_hash == digest(token))
        .first()
    )
    if survey is None:
        raise NotFound(_l("We could not find that survey."))
    closed = _closed_reason(survey, utc_now())
    if closed is not None:
        raise closed
    return survey


def clean_answers(values):
    """Scores as ints 1–5 (overall required, each area optional) and the comment. Raises ValidationError."""
    scores, errors = {}, {}
    for name in SCORE_FIELDS:
        raw = str(values.get(name) or "").strip()
        if not raw:
            if name == "overall":
                errors[name] = _l("Choose a score from 1 to 5.")
            scores[name] = None
            continue
        if not raw.isdigit() or not 1 <= int(raw) <= 5:
            errors[name] = _l("Choose a score from 1 to 5.")
            continue
        scores[name] = int(raw)
    comment = str(values.get("comment") or "").strip()
    if len(comment) > MAX_COMMENT:
        errors["comment"] = _l("Use at most %(max)d characters.", max=MAX_COMMENT)
    if errors:
        raise ValidationError(_l("Please check the highlighted answers."), errors)
    return scores, comment


def low_areas(scores):
    """The score fields at or below LOW_SCORE, in form order."""
    return [name for name in SCORE_FIELDS if scores.get(name) is not None and scores[name] <= LOW_SCORE]


def answer(actor, token, values):
    """Store the answers of the survey ``token`` names; returns the Survey.

    Single use: of two submissions exactly one is stored. A low score opens one service-recovery
    follow-up, linked from the survey. Raises NotFound, SurveyClosed (410) or ValidationError.
    """
    survey = survey_for_token(token)
    scores, comment = clean_answers(values)
    now = utc_now()
    with db.atomic():
        stored = (
            Survey.update(answered_at=now, comment=comment, **scores)
            .where(Survey.id == survey.id, Survey.answered_at.is_null(), Survey.expires_at > now)
            .execute()
        )
        if stored != 1:
            raise _closed_reason(Survey.get_by_id(survey.id), now) or SurveyClosed(
                _l("This survey has already been answered. Thank you!"), "answered"
            )
        low = low_areas(scores)
        follow_up = _open_recovery(survey, scores, comment, low, now) if low else None
        audit.record(
            actor,
            "survey.answered",
            survey,
            client=survey.client_id,
            overall=scores["overall"],
            low=low,
            follow_up=follow_up.id if follow_up else None,
        )
    return Survey.get_by_id(survey.id)


def _recovery_rule():
    rule = FollowUpRule.get_or_none(FollowUpRule.kind == "service")
    return (rule.level, rule.due_hours) if rule else (RECOVERY_LEVEL, RECOVERY_DUE_HOURS)


def recovery_summary(scores, comment, low):
    """The follow-up's summary, written in the center's default language (staff read it)."""
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE") or "en"):
        parts = ", ".join(f"{SCORE_LABELS[name]} {scores[name]}/5" for name in low)
        text = _("Low satisfaction score: %(scores)s.", scores=parts)
        if comment:
            text += " " + _("Comment: %(comment)s", comment=comment[:200])
    return text[:500]


def _open_recovery(survey, scores, comment, low, now):
    level, due_hours = _recovery_rule()
    follow_up = FollowUp.create(
        client=survey.client_id,
        report=survey.report_id,
        level=level,
        kind="service",
        due_at=now + datetime.timedelta(hours=due_hours),
        summary=recovery_summary(scores, comment, low),
    )
    followup_assignment.place_new(follow_up.id)  # the worklist's assignment rule picks the counselor
    Survey.update(follow_up=follow_up.id).where(Survey.id == survey.id).execute()
    audit.record(
        audit.SYSTEM, "followup.service_recovery_opened", follow_up, survey=survey.id, client=survey.client_id, low=low
    )
    return follow_up


# --- the dashboard -------------------------------------------------------------------------------


def _month_starts(months):
    """The first day of each of the last ``months`` months (oldest first, this month last) and of the next."""
    first = clock.today().replace(day=1)
    index = first.year * 12 + first.month - 1
    return [datetime.date(i // 12, i % 12 + 1, 1) for i in range(index - months + 1, index + 2)]


def _utc_midnight(day):
    local = clock.local(day, datetime.time(0, 0))
    return local.astimezone(datetime.UTC).replace(tzinfo=None)


def _average(total, count):
    return round(float(total) / count, 2) if count else None


@dataclass(frozen=True, slots=True)
class Named:
    """A joined row's name (the survey's client) without a model instance."""

    name: str


@dataclass(frozen=True, slots=True)
class FollowUpBrief:
    """The follow-up a low score opened, as the dashboard shows it."""

    id: int
    level: str
    due_at: datetime.datetime
    status: str


@dataclass(frozen=True, slots=True)
class Comment:
    """One recent comment of the dashboard (plain values, no model instance)."""

    id: int
    answered_at: datetime.datetime
    client_id: int
    overall: int | None
    comment: str
    client: Named


@dataclass(frozen=True, slots=True)
class LowScore:
    """One recent low-scored answer of the dashboard: its scores (``SCORE_FIELDS``) and its follow-up."""

    id: int
    answered_at: datetime.datetime
    client_id: int
    follow_up_id: int | None
    overall: int | None
    booking: int | None
    front_desk: int | None
    stations: int | None
    report_clarity: int | None
    staff_attitude: int | None
    client: Named
    follow_up: FollowUpBrief | None


assert SCORE_FIELDS == ("overall", "booking", "front_desk", "stations", "report_clarity", "staff_attitude")


def _comments_query(start):
    # the empty comment and the list's length written into the SQL: with them as parameters PostgreSQL
    # planned the statement again on every EXECUTE (its generic plan never won)
    newest = (
        Survey.select(Survey.id)
        .where(Survey.answered_at >= start, Survey.comment != SQL("''"))
        .order_by(Survey.answered_at.desc(), Survey.id.desc())
        .limit(SQL(str(int(RECENT_ROWS))))
        .alias("newest")
    )
    return (
        Survey.select(Survey.id, Survey.answered_at, Survey.client, Survey.overall, Survey.comment, Client.name)
        .join(newest, on=(Survey.id == newest.c.id))
        .switch(Survey)
        .join(Client)
        .order_by(Survey.answered_at.desc(), Survey.id.desc())
    )


def _low_query(start):
    newest = (
        Survey.select(Survey.id)
        .where(Survey.answered_at >= start, survey_low_condition())  # the partial index's own predicate
        .order_by(Survey.answered_at.desc(), Survey.id.desc())
        .limit(SQL(str(int(RECENT_ROWS))))
        .alias("newest")
    )
    return (
        Survey.select(
            Survey.id,
            Survey.answered_at,
            Survey.client,
            Survey.follow_up,
            *(getattr(Survey, name) for name in SCORE_FIELDS),
            Client.name,
            FollowUp.id,
            FollowUp.level,
            FollowUp.due_at,
            FollowUp.status,
        )
        .join(newest, on=(Survey.id == newest.c.id))
        .switch(Survey)
        .join(Client)
        .switch(Survey)
        .join(FollowUp, JOIN.LEFT_OUTER)
        .order_by(Survey.answered_at.desc(), Survey.id.desc())
    )


# the dashboard's two lists, built once per process and reading only the columns they show, as plain rows;
# each picks its rows from survey alone (newest first, by the answered_at index), then joins only those
_COMMENTS = PreparedSelect(_comments_query, "checkup_survey_comments")
_LOW = PreparedSelect(_low_query, "checkup_survey_low_scores")


def recent_comments(start):
    """The newest RECENT_ROWS answers with a comment since ``start`` (naive UTC), newest first."""
    return [Comment(r[0], r[1], r[2], r[3], r[4], Named(r[5])) for r in _COMMENTS.plain(start)]


def recent_low_scores(start):
    """The newest RECENT_ROWS low-scored answers since ``start`` (naive UTC), newest first, with the follow-up
    each opened (None when it has none, or it is gone)."""
    return [
        LowScore(
            *r[:10],
            client=Named(r[10]),
            follow_up=FollowUpBrief(r[11], r[12], r[13], r[14]) if r[11] is not None else None,
        )
        for r in _LOW.plain(start)
    ]


def dashboard(months=DASHBOARD_MONTHS):
    """The counselors' survey figures for the last ``months`` center-time months, in four queries (two when
    the figures were counted less than HEADLINE_MAX_AGE_SECONDS ago: they fold a year of surveys).

    Returns {"months": [{"month": date, "responses": n, "averages": {field: avg|None}}] (oldest first),
    "areas": [{"field", "label", "average", "responses"}] over the window, "sent", "answered",
    "response_rate" (percent or None), "low_count", "since", "comments": recent (``Comment``), "low": recent
    low scores (``LowScore``)}.
    """
    starts = _month_starts(months)
    data = dict(headline(f"surveys.dashboard.{starts[0]}.{months}", lambda: _figures(starts, months)))
    start = _utc_midnight(starts[0])
    data["comments"] = recent_comments(start)
    data["low"] = recent_low_scores(start)
    return data


def _figures(starts, months):
    """The dashboard's counted part (two queries over the window)."""
    bounds = [_utc_midnight(day) for day in starts]
    start, end = bounds[0], bounds[-1]
    bucket = Case(
        None, [((Survey.answered_at >= bounds[i]) & (Survey.answered_at < bounds[i + 1]), i) for i in range(months)]
    )
    columns = [bucket.alias("bucket"), fn.COUNT(Survey.id).alias("responses")]
    for name in SCORE_FIELDS:
        field = getattr(Survey, name)
        columns += [fn.SUM(field).alias(f"{name}_sum"), fn.COUNT(field).alias(f"{name}_n")]
    rows = {
        row["bucket"]: row
        for row in Survey.select(*columns)
        .where(Survey.answered_at >= start, Survey.answered_at < end)
        .group_by(SQL("bucket"))
        .dicts()
    }
    by_month, totals = [], {name: [0, 0] for name in SCORE_FIELDS}
    for i in range(months):
        row = rows.get(i) or {}
        averages = {}
        for name in SCORE_FIELDS:
            total, count = row.get(f"{name}_sum") or 0, row.get(f"{name}_n") or 0
            averages[name] = _average(total, count)
            totals[name][0] += total
            totals[name][1] += count
        by_month.append({"month": starts[i], "responses": row.get("responses") or 0, "averages": averages})
    areas = [
        {"field": name, "label": SCORE_LABELS[name], "average": _average(*totals[name]), "responses": totals[name][1]}
        for name in SCORE_FIELDS
    ]

    sent_in_window = Survey.sent_at >= start
    counts = (
        Survey.select(
            fn.SUM(Case(None, [(sent_in_window, 1)], 0)).alias("sent"),
            fn.SUM(Case(None, [(sent_in_window & Survey.answered_at.is_null(False), 1)], 0)).alias("answered"),
            fn.SUM(Case(None, [((Survey.answered_at >= start) & survey_low_condition(), 1)], 0)).alias("low"),
        )
        .where((Survey.sent_at >= start) | (Survey.answered_at >= start))
        .dicts()
        .get()
    )
    sent, answered = int(counts["sent"] or 0), int(counts["answered"] or 0)
    return {
        "months": by_month,
        "areas": areas,
        "sent": sent,
        "answered": answered,
        "response_rate": round(100.0 * answered / sent, 1) if sent else None,
        "low_count": int(counts["low"] or 0),
        "since": starts[0],
    }
