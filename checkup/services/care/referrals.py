"""Referrals from a follow-up to a specialist department of the center or an external hospital.

Status: proposed → accepted → scheduled (the specialist's date) → completed (outcome), or declined
from any of the first three. Each step is a conditional UPDATE on the status it leaves, so two people
acting at once cannot both move it; a step the status does not allow is refused with a message saying
why. A counselor sees the referrals of the follow-ups they may see and those they made; the admin all.
"""

import datetime
from dataclasses import dataclass, replace
from typing import NamedTuple

from flask import current_app
from flask_babel import lazy_gettext as _l
from peewee import JOIN, SQL, Case, fn

from checkup.core import audit, clock
from checkup.core.arguments import valid_id
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.core.labels import choice_label
from checkup.core.pagination import Page, paginate, whole_count
from checkup.core.prepared import PerShape, PreparedSelect
from checkup.models import Client, Department, FollowUp, Referral, User
from checkup.models.base import db, utcnow
from checkup.models.care import EXTERNAL, INTERNAL
from checkup.reports.referral_letter import ReferralLetterRenderer
from checkup.services.access import care_access
from checkup.services.care import followup_detail, followups
from checkup.services.catalog.packages import age_on
from checkup.services.exam.results import FLAG_LABELS

TARGET_KINDS = (INTERNAL, EXTERNAL)
OPEN_STATUSES = ("proposed", "accepted", "scheduled")
DECIDED_STATUSES = ("completed", "declined")
MAX_REASON = 4000
PER_PAGE = 50
# action: (statuses it may leave, status it reaches, time column it stamps)
TRANSITIONS = {
    "accept": (("proposed",), "accepted", "accepted_at"),
    "schedule": (("accepted",), "scheduled", "scheduled_at"),
    "complete": (("scheduled",), "completed", "completed_at"),
    "decline": (OPEN_STATUSES, "declined", "declined_at"),
}
REFUSALS = {
    "accept": _l("Only a proposed referral can be accepted; this one is %(status)s."),
    "schedule": _l("Only an accepted referral can be scheduled; this one is %(status)s."),
    "complete": _l("Only a scheduled referral can be marked completed; this one is %(status)s."),
    "decline": _l("This referral is already %(status)s; it can no longer be declined."),
}
# days open: (more than, at most, label)
AGE_BUCKETS = (
    (0, 7, _l("0–7 days")),
    (7, 30, _l("8–30 days")),
    (30, 90, _l("31–90 days")),
    (90, None, _l("Over 90 days")),
)


def _not_found():
    return NotFound(_l("We could not find that referral."))


def _visible(viewer):
    if viewer.is_admin:
        return Referral.id.is_null(False)
    made_by_me = Referral.created_by == viewer.user_id if viewer.user_id else Referral.id.is_null(True)
    if not viewer.is_counselor:
        return Referral.id.is_null(True) & Referral.id.is_null(False)
    return (FollowUp.id.is_null(False) & followups.visible_condition(viewer)) | made_by_me


def _select():
    creator = User.alias("creator")
    return (
        Referral.select(Referral, Client, Department, FollowUp, creator)
        .join(Client, on=(Referral.client == Client.id))
        .join_from(Referral, Department, JOIN.LEFT_OUTER, on=(Referral.department == Department.id))
        .join_from(Referral, FollowUp, JOIN.LEFT_OUTER, on=(Referral.follow_up == FollowUp.id))
        .join_from(Referral, creator, JOIN.LEFT_OUTER, on=(Referral.created_by == creator.id), attr="creator")
    )


def _one_query(referral_id):
    return _select().where(Referral.id == referral_id)


# one referral with its joins, built once per process and prepared on PostgreSQL
_ONE = PreparedSelect(_one_query, "checkup_referral_one")


def get(actor, referral_id):
    """The referral with client, department, follow-up and creator. NotFound when missing;
    NoCareRelationship for staff who neither made it nor may work on its follow-up (the admin included)
    unless they broke the glass for the client."""
    if not valid_id(referral_id):
        raise _not_found()
    referral = next(iter(_ONE.rows(referral_id)), None)
    if referral is None:
        raise _not_found()
    viewer = followups.viewer_for(actor)
    mine = viewer.is_counselor and (
        referral.created_by_id == viewer.user_id
        or (
            referral.follow_up_id is not None and followups.can_see(replace(viewer, is_admin=False), referral.follow_up)
        )
    )
    if not mine:
        care_access.require_glass_broken(actor, referral.client_id)
    return referral


def view(actor, referral_id):
    """The referral for its detail page; the view of its reason and findings is audited ("referral.viewed")."""
    referral = get(actor, referral_id)
    audit.record(actor, "referral.viewed", referral, client=referral.client_id)
    return referral


def target_text(referral):
    if referral.target_kind == INTERNAL:
        department = referral.department if referral.department_id else None
        if department is None:
            return ""
        return department.name_en + (f" {department.name_zh}" if department.name_zh else "")
    return " · ".join(part for part in (referral.hospital, referral.hospital_department) if part)


# --- creating and moving -----------------------------------------------------------------------------


def create(actor, follow_up_id, target_kind, department_id, hospital, hospital_department, reason):
    """Propose a referral from an open follow-up the actor may see; audited "referral.created"."""
    hospital, hospital_department = (hospital or "").strip(), (hospital_department or "").strip()
    reason = (reason or "").strip()
    errors = {}
    if target_kind not in TARGET_KINDS:
        errors["target_kind"] = _l("Choose our department or an external hospital.")
    elif target_kind == INTERNAL:
        if not valid_id(department_id) or Department.get_or_none(Department.id == department_id) is None:
            errors["department"] = _l("Choose the department to refer to.")
        hospital = hospital_department = ""
    else:
        department_id = None
        if not hospital:
            errors["hospital"] = _l("Enter the hospital's name.")
        elif len(hospital) > 200:
            errors["hospital"] = _l("Use at most %(max)d characters.", max=200)
        if len(hospital_department) > 100:
            errors["hospital_department"] = _l("Use at most %(max)d characters.", max=100)
    if not reason:
        errors["reason"] = _l("Say why the client is referred.")
    elif len(reason) > MAX_REASON:
        errors["reason"] = _l("Use at most %(max)d characters.", max=MAX_REASON)
    viewer = followups.viewer_for(actor)
    with db.atomic():
        follow_up = followups.get_visible(viewer, follow_up_id)
        if errors:
            raise ValidationError(next(iter(errors.values())), errors)
        if follow_up.status != followups.OPEN:
            raise Conflict(_l("This follow-up is already closed."))
        referral = Referral.create(
            follow_up=follow_up.id,
            client=follow_up.client_id,
            target_kind=target_kind,
            department=department_id,
            hospital=hospital,
            hospital_department=hospital_department,
            reason=reason,
            created_by=actor.user_id,
            proposed_at=utcnow(),
            updated_at=utcnow(),
        )
        audit.record(
            actor, "referral.created", referral, follow_up=follow_up.id, client=follow_up.client_id, target=target_kind
        )
    return referral


def _scheduled_for(value):
    """A local date-time at the center (naive) -> naive UTC; ValidationError when missing or absurd."""
    if not isinstance(value, datetime.datetime) or not 2000 <= value.year <= 2100:
        message = _l("Enter the date and time of the specialist appointment.")
        raise ValidationError(message, {"scheduled_for": message})
    aware = value.replace(tzinfo=clock.zone()) if value.tzinfo is None else value
    return followups.utc(aware)


def transition(actor, referral_id, action, scheduled_for=None, outcome=""):
    """Move a referral one step (accept, schedule, complete, decline); audited "referral.<action>".

    ``schedule`` needs ``scheduled_for`` (local date-time), ``complete`` an ``outcome``; ``decline``
    keeps an optional note as the outcome. Raises ValidationError, NotFound or Conflict.
    """
    if action not in TRANSITIONS:
        raise _not_found()
    sources, target, stamp = TRANSITIONS[action]
    outcome = (outcome or "").strip()
    values = {"status": target, stamp: utcnow(), "updated_at": utcnow()}
    with db.atomic():
        referral = get(actor, referral_id)
        if referral.status not in sources:
            raise Conflict(REFUSALS[action] % {"status": followups.label("referral_status", referral.status)})
        if action == "schedule":
            values["scheduled_for"] = _scheduled_for(scheduled_for)
        if action == "complete" and not outcome:
            message = _l("Record the outcome of the specialist visit.")
            raise ValidationError(message, {"outcome": message})
        if len(outcome) > MAX_REASON:
            message = _l("Use at most %(max)d characters.", max=MAX_REASON)
            raise ValidationError(message, {"outcome": message})
        if action in ("complete", "decline") and outcome:
            values["outcome"] = outcome
        moved = Referral.update(**values).where(Referral.id == referral.id, Referral.status.in_(sources)).execute()
        if moved != 1:
            raise Conflict(_l("Someone else changed this referral a moment ago. Reload the page."))
        audit.record(
            actor,
            f"referral.{target}",
            referral,
            before=referral.status,
            **({"scheduled_for": values["scheduled_for"]} if "scheduled_for" in values else {}),
        )
    return get(actor, referral_id)


# --- lists and the report ----------------------------------------------------------------------------


@dataclass
class ListFilters:
    status: str = ""
    target_kind: str = ""
    page: int = 1

    def cleaned(self):
        return ListFilters(
            self.status if self.status in ("open",) + OPEN_STATUSES + DECIDED_STATUSES else "",
            self.target_kind if self.target_kind in TARGET_KINDS else "",
            self.page if isinstance(self.page, int) and 0 < self.page < 10**6 else 1,
        )


class ListedReferral(NamedTuple):
    """A referral as the list shows it: plain columns, no model objects (``creator_id`` None: no creator)."""

    id: int
    client_name: str
    target_kind: str
    department_id: int | None
    department_name_en: str | None
    department_name_zh: str | None
    hospital: str
    hospital_department: str
    status: str
    proposed_at: datetime.datetime
    created_by_id: int | None
    creator_id: int | None
    creator_name: str | None


def _list_columns():
    creator = User.alias("creator")
    return (
        Referral.select(
            Referral.id,
            Client.name,
            Referral.target_kind,
            Referral.department,
            Department.name_en,
            Department.name_zh,
            Referral.hospital,
            Referral.hospital_department,
            Referral.status,
            Referral.proposed_at,
            Referral.created_by,
            creator.id,
            creator.name,
        )
        .join(Client, on=(Referral.client == Client.id))
        .join_from(Referral, Department, JOIN.LEFT_OUTER, on=(Referral.department == Department.id))
        .join_from(Referral, FollowUp, JOIN.LEFT_OUTER, on=(Referral.follow_up == FollowUp.id))
        .join_from(Referral, creator, JOIN.LEFT_OUTER, on=(Referral.created_by == creator.id))
    )


def listed_target_text(row):
    """``target_text`` of a ``ListedReferral``."""
    if row.target_kind == INTERNAL:
        if row.department_id is None or row.department_name_en is None:
            return ""
        return row.department_name_en + (f" {row.department_name_zh}" if row.department_name_zh else "")
    return " · ".join(part for part in (row.hospital, row.hospital_department) if part)


def _list_query(viewer, status, target_kind):
    """The referrals ``viewer`` may see (``status``: "open", one status or "" for any), newest first, as the
    columns of ``ListedReferral``."""
    query = _list_columns().where(_visible(viewer))
    if status == "open":
        query = query.where(Referral.status.in_(OPEN_STATUSES))
    elif status:
        query = query.where(Referral.status == status)
    if target_kind:
        query = query.where(Referral.target_kind == target_kind)
    return query.order_by(Referral.proposed_at.desc(), Referral.id.desc())


def _list_select(viewer, status, target_kind, offset, per_page):
    """A page of ``_list_query``, each row with the whole count; ``offset`` None: the first page."""
    query = _list_query(viewer, status, target_kind).select_extend(whole_count().alias("whole_count")).limit(per_page)
    return query.offset(offset) if offset is not None else query


# values nothing in the query equals, standing for its parameters while its SQL is built (core/prepared)
_SAMPLE_USER, _SAMPLE_STATUS, _SAMPLE_TARGET = -2_000_000_801, "\x00no status", "\x00no target"
_SAMPLE_OFFSET, _SAMPLE_HEAD = -2_000_000_802, -2_000_000_810


def _list_shape(viewer, filters):
    heads = len(viewer.head_of) if viewer.is_counselor and not viewer.is_admin else 0
    status = filters.status if filters.status in ("", "open") else "one"
    return (
        viewer.is_admin,
        viewer.is_counselor,
        bool(viewer.user_id),
        heads,
        status,
        bool(filters.target_kind),
        filters.page == 1,
        PER_PAGE,
    )


def _new_prepared_list(shape):
    is_admin, is_counselor, has_user, heads, status, by_target, first_page, per_page = shape
    # which parameters the SQL asks, in order of this list: the user's id where ``_visible`` asks it
    names = []
    if has_user and is_counselor and not is_admin:
        names.append("user")
    names += [f"head{i}" for i in range(heads)]
    if status == "one":
        names.append("status")
    if by_target:
        names.append("target")
    if not first_page:
        names.append("offset")
    samples = {"user": _SAMPLE_USER, "status": _SAMPLE_STATUS, "target": _SAMPLE_TARGET, "offset": _SAMPLE_OFFSET}
    samples.update({f"head{i}": _SAMPLE_HEAD - i for i in range(heads)})

    def build(*values):
        given = dict(zip(names, values, strict=True))
        viewer = followups.Viewer(
            given.get("user"), is_admin, is_counselor, tuple(given[f"head{i}"] for i in range(heads))
        )
        chosen = given.get("status", status if status == "open" else "")
        return _list_select(viewer, chosen, given.get("target", ""), given.get("offset"), per_page)

    name = "checkup_referral_list_{}_{}_{}{}{}_{}".format(
        "admin" if is_admin else "counselor" if is_counselor else "nobody",
        heads,
        status or "any",
        "_target" if by_target else "",
        "_first" if first_page else "_later",
        per_page,
    )
    return PreparedSelect(build, name, tuple(samples[name_] for name_ in names)), names


# {shape: (the list's select, its parameters' names)}: built once per process and shape (the viewer's kind, the
# filters set, first page or not), prepared on PostgreSQL
_prepared_list = PerShape(_new_prepared_list)


def referral_list(actor, filters):
    """A page of visible referrals as ``ListedReferral`` rows, newest first, with client, department and creator:
    one query (its SQL built once per process and shape of filters, prepared on PostgreSQL), two more for a page
    past the end."""
    filters = filters.cleaned()
    viewer = followups.viewer_for(actor)
    prepared, names = _prepared_list(_list_shape(viewer, filters))
    values = {
        "user": viewer.user_id,
        "status": filters.status,
        "target": filters.target_kind,
        "offset": (filters.page - 1) * PER_PAGE,
    }
    values.update({f"head{i}": department for i, department in enumerate(viewer.head_of)})
    rows = prepared.plain(*[values[name] for name in names])
    if not rows and filters.page > 1:  # past the end: counted and clamped
        page = paginate(_list_query(viewer, filters.status, filters.target_kind).tuples(), filters.page, PER_PAGE)
        page.items = [ListedReferral(*row) for row in page.items]
        return page
    total = rows[0][-1] if rows else 0
    items = [ListedReferral(*row[:-1]) for row in rows]
    return Page(items, filters.page, max(1, -(-total // PER_PAGE)), total, PER_PAGE)


def _count_when(condition):
    # the 1 and 0 written into the SQL: as parameters of a prepared statement their type would be unknown
    return fn.SUM(Case(None, [(condition, SQL("1"))], SQL("0")))


def _cutoff_days():
    """The day counts the age buckets start or end at, each once, in order: the totals' parameters."""
    return sorted({days for more_than, at_most, _label in AGE_BUCKETS for days in (more_than, at_most) if days})


def _report_totals_query(*cutoffs):
    """How many referrals are in each status and each open one's age bucket; ``cutoffs``: the moment each of
    ``_cutoff_days`` days ago."""
    at = dict(zip(_cutoff_days(), cutoffs, strict=True))
    ages = []
    for index, (more_than, at_most, _label) in enumerate(AGE_BUCKETS):
        condition = Referral.status.in_(OPEN_STATUSES)
        if more_than:
            condition &= Referral.proposed_at < at[more_than]
        if at_most is not None:
            condition &= Referral.proposed_at >= at[at_most]
        ages.append(_count_when(condition).alias(f"age{index}"))
    return (
        Referral.select(
            *[_count_when(Referral.status == status).alias(status) for status in OPEN_STATUSES + DECIDED_STATUSES],
            *ages,
        )
        .limit(1)
        .dicts()
    )


def _report_targets_query():
    return (
        Referral.select(
            Referral.target_kind,
            Referral.department,
            Referral.hospital,
            fn.COUNT(Referral.id).alias("total"),
            _count_when(Referral.status == "completed").alias("completed"),
            _count_when(Referral.status == "declined").alias("declined"),
            _count_when(Referral.status.in_(OPEN_STATUSES)).alias("open"),
        )
        .group_by(Referral.target_kind, Referral.department, Referral.hospital)
        .dicts()
    )


# the report's two figures, built once per process and prepared on PostgreSQL; the samples are moments no
# referral was proposed at
_REPORT_TOTALS = PreparedSelect(
    _report_totals_query,
    "checkup_referral_report_totals",
    samples=tuple(datetime.datetime(1900, 1, 1, 0, 0, second) for second in range(len(_cutoff_days()))),
)
_REPORT_TARGETS = PreparedSelect(_report_targets_query, "checkup_referral_report_targets", samples=())


def report():
    """Conversion (completed / all decided), open referrals by age, and figures by target. Three queries."""
    now_utc = followups.utc(clock.now())
    cutoffs = [now_utc - datetime.timedelta(days=days) for days in _cutoff_days()]
    totals = next(iter(_REPORT_TOTALS.rows(*cutoffs)), None) or {}
    counts = {status: int(totals.get(status) or 0) for status in OPEN_STATUSES + DECIDED_STATUSES}
    decided = counts["completed"] + counts["declined"]
    by_age = [
        (bucket_label, int(totals.get(f"age{index}") or 0))
        for index, (_more, _most, bucket_label) in enumerate(AGE_BUCKETS)
    ]
    rows = _REPORT_TARGETS.rows()
    names = {
        d.id: d
        for d in Department.select().where(Department.id.in_([r["department"] for r in rows if r["department"]] or [0]))
    }
    targets = []
    for row in rows:
        department = names.get(row["department"])
        name = (
            (department.name_en + (f" {department.name_zh}" if department.name_zh else ""))
            if department
            else row["hospital"] or "—"
        )
        done = int(row["completed"] or 0) + int(row["declined"] or 0)
        targets.append(
            {
                "kind": row["target_kind"],
                "name": name,
                "total": int(row["total"] or 0),
                "completed": int(row["completed"] or 0),
                "declined": int(row["declined"] or 0),
                "open": int(row["open"] or 0),
                "conversion": round(100 * int(row["completed"] or 0) / done) if done else None,
            }
        )
    targets.sort(key=lambda t: (-t["total"], t["name"]))
    return {
        "counts": counts,
        "decided": decided,
        "total": sum(counts.values()),
        "conversion": round(100 * counts["completed"] / decided) if decided else None,
        "by_age": by_age,
        "targets": targets,
    }


# --- the letter --------------------------------------------------------------------------------------


def letter_data(referral):
    """Plain data for ``ReferralLetterRenderer.build``: client, findings with values from the report's
    snapshot, reason, target, center and the referring counselor."""
    client = referral.client
    findings = []
    if referral.follow_up_id:
        for row in followup_detail.finding_rows(FollowUp.get_by_id(referral.follow_up_id)):
            findings.append(
                {
                    "name": row.name or row.text,
                    "value": row.value,
                    "unit": row.unit,
                    "reference": row.reference,
                    "text": row.text if not row.code else "",
                    "flag": str(FLAG_LABELS.get(row.flag, row.flag)) if row.flag and row.flag != "N" else "",
                }
            )
    today = clock.today()
    return {
        "center": {"name": current_app.config["CENTER_NAME"], "phone": current_app.config.get("CENTER_PHONE", "")},
        "client": {
            "name": client.name,
            "sex": str(choice_label("sex", client.sex)),
            "age": str(age_on(client.birth_date, today)) if client.birth_date else "",
        },
        "target": {"kind": str(followups.label("target_kind", referral.target_kind)), "name": target_text(referral)},
        "reason": referral.reason,
        "findings": findings,
        "date": today.isoformat(),
        "number": f"R{referral.id:06d}",
        "referred_by": referral.creator.name if referral.created_by_id and referral.creator else "",
    }


def letter_pdf(actor, referral_id):
    """(PDF bytes, file name) of the referral letter; the download is audited "referral.letter_downloaded"."""
    referral = get(actor, referral_id)
    data = letter_data(referral)
    pdf = ReferralLetterRenderer().build(data)
    audit.record(actor, "referral.letter_downloaded", referral, client=referral.client_id)
    return pdf, f"referral-{data['number']}.pdf"
