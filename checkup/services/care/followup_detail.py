"""One follow-up's page: the findings behind it with values and ranges, its contact attempts, referrals
and recheck. Every view of a client's findings writes the audit event "followup.viewed"."""

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from peewee import JOIN, SQL, NodeList, PostgresqlDatabase, Value

from checkup.core import audit, clock
from checkup.core.arguments import valid_id
from checkup.core.prepared import PreparedSelect
from checkup.models import (
    Appointment,
    Client,
    ContactAttempt,
    Department,
    ExamItem,
    Finding,
    FollowUp,
    Referral,
    Report,
    Slot,
    User,
)
from checkup.models.base import db
from checkup.models.results import OPEN
from checkup.services.access import care_access
from checkup.services.care import followup_assignment
from checkup.services.care.followups import can_see, not_found, utc, viewer_for

NO_LEVEL = "-"  # no finding has it: a service-recovery follow-up's report has no findings' rows to pick


class ShownReport(NamedTuple):
    """What the page shows of a follow-up's report (its PDF link), and its findings' rows of the results
    snapshot as ``_report_query`` picked them (JSON text)."""

    id: int
    status: str
    pdf_state: str
    finding_snapshot: str | None


@dataclass
class FindingRow:
    text: str
    code: str = ""
    name: str = ""
    value: str = ""
    unit: str = ""
    reference: str = ""
    flag: str = ""
    item_id: int | None = None


@dataclass
class Detail:
    follow_up: "ShownFollowUp"
    client: "ShownClient"
    findings: list = field(default_factory=list)
    attempts: list = field(default_factory=list)
    referrals: list = field(default_factory=list)
    recheck: Appointment | None = None
    report: ShownReport | None = None
    can_close_unreachable: bool = False
    unreachable_after: int = 0

    @property
    def finding_item_ids(self):
        return [f.item_id for f in self.findings if f.item_id]


def _reference(row):
    low, high = row.get("ref_low", ""), row.get("ref_high", "")
    return f"{low}–{high}" if low and high else f"≤ {high}" if high else f"≥ {low}" if low else ""


def _snapshot_of(report):
    """{code: row} of the report's findings' items in its results snapshot (the last of a code wins)."""
    if report is None or not report.finding_snapshot:
        return {}
    return {row["code"]: row for row in json.loads(report.finding_snapshot)}


def _rows(findings, snapshot):
    """FindingRows of ``findings`` (text, item id, code, English and Chinese names), values from ``snapshot``."""
    rows = []
    for text, item_id, code, name_en, name_zh in findings:
        snap = snapshot.get(code, {}) if item_id else {}
        rows.append(
            FindingRow(
                text=text,
                code=code if item_id else "",
                name=(name_en + (f" {name_zh}" if name_zh else "")) if item_id else "",
                value=snap.get("value", ""),
                unit=snap.get("unit", ""),
                reference=_reference(snap),
                flag=snap.get("flag", ""),
                item_id=item_id or None,
            )
        )
    return rows


def finding_rows(follow_up, report=None):
    """The findings behind a follow-up (same report, same level) with values, units and ranges from the
    report's snapshot. A service-recovery follow-up has none. ``report``: the follow-up's report as
    ``_shown_report`` read it for the follow-up's level (with its ``finding_snapshot``), when the caller has it."""
    if follow_up.kind != "finding":
        return []
    if report is None:
        report = _shown_report(follow_up.level, follow_up.report_id)
    return _rows(_FINDINGS.plain(follow_up.report_id, follow_up.level), _snapshot_of(report))


# the detail page's reads, built once per process (peewee's SQL building was most of the page's time)
def _detail_follow_up_query(follow_up_id):
    """The follow-up with the columns the page shows of its client, department and assignee, and the
    "unreachable" setting, in one statement (its report, clinical data, is read only once ``detail`` has
    checked access)."""
    assignee = User.alias("assignee_user")
    return (
        FollowUp.select(
            FollowUp,
            # only what the page shows of the client, its department and assignee (no national ID read)
            Client.id,
            Client.name,
            Client.sex,
            Client.birth_date,
            Client.phone,
            Client.email,
            Client.address,
            Department.id,
            Department.name_en,
            Department.name_zh,
            assignee.id,
            assignee.name,
            followup_assignment.unreachable_after_column().alias("unreachable_setting"),
        )
        .join(Client)
        .join_from(FollowUp, Department, JOIN.LEFT_OUTER, on=(FollowUp.department == Department.id))
        .join_from(FollowUp, assignee, JOIN.LEFT_OUTER, on=(FollowUp.assignee == assignee.id), attr="assignee_user")
        .where(FollowUp.id == follow_up_id)
    )


_SNAPSHOT_OF = Report.alias("snapshot_of")  # named, so the snapshot's SQL below can name its columns


def _finding_codes(level):
    """The codes of the report's findings' items of ``level`` (SQL over ``_SNAPSHOT_OF``)."""
    return NodeList(
        (
            SQL(
                f"SELECT DISTINCT i.code FROM {Finding._meta.table_name} AS f"
                f' JOIN {ExamItem._meta.table_name} AS i ON i.id = f.item_id WHERE f.report_id = "snapshot_of"."id"'
                " AND f.level ="
            ),
            Value(level),
        )
    )


def _report_query(level, report_id):
    """What the page shows of the report (its PDF link) and, of its results snapshot, the rows of its
    findings' items of ``level`` as a JSON array in the snapshot's order (``finding_snapshot``: NULL or "[]"
    for none). The database picks them out (a signed report's snapshot is 20-40 kB of JSON: parsing all of
    it in Python was a tenth of the page's time); the snapshot itself is not read."""
    report = _SNAPSHOT_OF
    snapshot = 'CASE WHEN "snapshot_of"."results_snapshot" <> \'\' THEN "snapshot_of"."results_snapshot"'
    if isinstance(db.obj, PostgresqlDatabase):
        # a LATERAL join, not a sub-select per row: the findings are joined, never a SubPlan over them
        rows = NodeList(
            (
                SQL(
                    "LATERAL (SELECT json_agg(e.value ORDER BY e.n)::text AS picked"
                    f" FROM json_array_elements({snapshot}::json -> 'rows' END) WITH ORDINALITY AS e(value, n)"
                    " JOIN ("
                ),
                _finding_codes(level),
                SQL(") AS c ON c.code = e.value ->> 'code') AS s"),
            )
        )
        return (
            report.select(report.id, report.status, report.pdf_state, SQL("s.picked").alias("finding_snapshot"))
            .from_(report, rows)
            .where(report.id == report_id)
        )
    picked = NodeList(
        (
            SQL(
                "(SELECT json_group_array(json(s.value)) FROM (SELECT j.value AS value"
                f" FROM json_each({snapshot} END, '$.rows') AS j WHERE json_extract(j.value, '$.code') IN ("
            ),
            _finding_codes(level),
            SQL(") ORDER BY j.key) AS s)"),
        )
    )
    return report.select(report.id, report.status, report.pdf_state, picked.alias("finding_snapshot")).where(
        report.id == report_id
    )


def _findings_query(report_id, level):
    """Each finding's text and what the page shows of its item (id, code, names), as plain rows."""
    return (
        Finding.select(Finding.text, Finding.item, ExamItem.code, ExamItem.name_en, ExamItem.name_zh)
        .join(ExamItem, JOIN.LEFT_OUTER)
        .where(Finding.report == report_id, Finding.level == level)
        .order_by(Finding.id)
    )


def _report_findings_query(level, report_id):
    """What the page shows of the report (its PDF link), its signing's verification code, and each of its
    findings of ``level`` with what the page shows of its item (one row with NULL findings' columns when it
    has none), in one statement: ``_findings_query``'s rows in its order."""
    return (
        Report.select(
            Report.id,
            Report.status,
            Report.pdf_state,
            Report.verification_code,
            Finding.id,
            Finding.text,
            Finding.item,
            ExamItem.code,
            ExamItem.name_en,
            ExamItem.name_zh,
        )
        .join(Finding, JOIN.LEFT_OUTER, on=((Finding.report == Report.id) & (Finding.level == level)))
        .join(ExamItem, JOIN.LEFT_OUTER, on=(Finding.item == ExamItem.id))
        .where(Report.id == report_id)
        .order_by(Finding.id)
    )


def _contact_log_query(follow_up_id):
    """``_attempts_query``'s rows (tagged 0) then ``_referrals_query``'s (tagged 1), each in its order, in one
    statement: (tag, id, at, channel | target_kind, outcome | hospital, notes | status, by | department,
    by's name | name_en, NULL | name_zh)."""
    by = User.alias("attempt_by")
    attempts = (
        ContactAttempt.select(
            SQL("0"),
            ContactAttempt.id,
            ContactAttempt.at,
            ContactAttempt.channel,
            ContactAttempt.outcome,
            ContactAttempt.notes,
            ContactAttempt.by,
            by.name,
            SQL("NULL"),
        )
        .join(by, JOIN.LEFT_OUTER, on=(ContactAttempt.by == by.id))
        .where(ContactAttempt.follow_up == follow_up_id)
    )
    referrals = (
        Referral.select(
            SQL("1"),
            Referral.id,
            SQL("NULL"),
            Referral.target_kind,
            Referral.hospital,
            Referral.status,
            Referral.department,
            Department.name_en,
            Department.name_zh,
        )
        .join(Department, JOIN.LEFT_OUTER, on=(Referral.department == Department.id))
        .where(Referral.follow_up == follow_up_id)
    )
    # attempts newest first (by time, then id); referrals newest first (their time column is NULL)
    return attempts.union_all(referrals).order_by(SQL("1"), SQL("3 DESC"), SQL("2 DESC"))


class Named(NamedTuple):
    name: str


class DepartmentNames(NamedTuple):
    name_en: str
    name_zh: str


class ShownAttempt(NamedTuple):
    """A contact attempt as the page shows it (the template reads a ContactAttempt's attribute names)."""

    at: object
    channel: str
    outcome: str
    notes: str
    by_id: int | None
    attempt_by: Named | None


class ShownReferral(NamedTuple):
    """A referral as the page shows it (the template reads a Referral's attribute names)."""

    id: int
    target_kind: str
    department_id: int | None
    department: DepartmentNames | None
    hospital: str
    status: str


def _shown_log(follow_up_id):
    """(``_shown_attempts``, ``_shown_referrals``) of ``follow_up_id`` in one statement."""
    attempts, referrals = [], []
    for part, row_id, at, first, second, third, other_id, name, name_zh in _CONTACT_LOG.plain(follow_up_id):
        if part == 0:
            attempts.append(
                ShownAttempt(
                    at,
                    first,
                    second,
                    third,
                    other_id,
                    Named(name) if other_id is not None and name is not None else None,
                )
            )
        else:
            department = DepartmentNames(name, name_zh) if other_id is not None and name is not None else None
            referrals.append(ShownReferral(row_id, first, other_id, department, second, third))
    return attempts, referrals


class ShownClient(NamedTuple):
    """What the page shows of the follow-up's client (the template reads a Client's attribute names)."""

    id: int
    name: str
    sex: str
    birth_date: object
    phone: str
    email: str
    address: str


# the follow-up's own columns as ``_detail_follow_up_query`` selects them (all of FollowUp's, in its order)
_FOLLOW_UP_COLUMNS = tuple(column.column_name for column in FollowUp._meta.sorted_fields)


class ShownFollowUp:
    """A follow-up as the page shows it, read as plain columns (no model object built): FollowUp's columns
    by their column names (``client_id``, ``assignee_id`` …), its ``client`` (ShownClient), ``department``
    (DepartmentNames, or None) and ``assignee_user`` (Named, or None) as the template reads them, the
    "unreachable" setting, and ``is_overdue`` once ``detail`` has set it."""

    __slots__ = (*_FOLLOW_UP_COLUMNS, "client", "department", "assignee_user", "unreachable_setting", "is_overdue")

    def __init__(self, row):
        width = len(_FOLLOW_UP_COLUMNS)
        for name, value in zip(_FOLLOW_UP_COLUMNS, row, strict=False):
            setattr(self, name, value)
        client, department, assignee = row[width : width + 7], row[width + 7 : width + 10], row[width + 10 :]
        self.client = ShownClient(*client)
        self.department = DepartmentNames(department[1], department[2]) if department[0] is not None else None
        self.assignee_user = Named(assignee[1]) if assignee[0] is not None else None
        self.unreachable_setting = assignee[2]
        self.is_overdue = False


_DETAIL_FOLLOW_UP = PreparedSelect(_detail_follow_up_query, "checkup_followup_detail", samples=(-2_000_000_001,))
_REPORT = PreparedSelect(_report_query, "checkup_followup_report")
_FINDINGS = PreparedSelect(_findings_query, "checkup_followup_findings")
_REPORT_FINDINGS = PreparedSelect(_report_findings_query, "checkup_followup_report_findings")
_CONTACT_LOG = PreparedSelect(_contact_log_query, "checkup_followup_contact_log", samples=(-2_000_000_001,))


def _shown_report(level, report_id):
    rows = _REPORT.plain(level, report_id)
    return ShownReport(*rows[0]) if rows else None


# A signed report's snapshot and findings never change (an amendment is a new report version; the retention
# purge deletes the findings, so nothing is looked up in a kept snapshot after it): each process keeps the
# picked snapshot rows of the last KEPT_SNAPSHOTS (report, level) pairs viewed, keyed by the report's
# verification code too (unique per signing), and shown only after ``detail``'s access check.
FROZEN = ("signed", "published", "superseded")
KEPT_SNAPSHOTS = 512
_kept_snapshots: OrderedDict = OrderedDict()
_kept_lock = threading.Lock()


def _report_and_findings(level, report_id):
    """(ShownReport or None, the findings' rows as ``_FINDINGS`` gives them, their snapshot {code: row}):
    one statement, and a second one (the snapshot picked out by ``_REPORT``) only when a finding has an item
    and the report's picked rows are not kept."""
    rows = _REPORT_FINDINGS.plain(level, report_id)
    if not rows:
        return None, [], {}
    report_id, status, pdf_state, verification, *_ = rows[0]
    findings = [row[5:] for row in rows if row[4] is not None]
    if not any(row[1] for row in findings):
        return ShownReport(report_id, status, pdf_state, None), findings, {}
    key = (report_id, verification, level)
    with _kept_lock:
        snapshot = _kept_snapshots.get(key)
        if snapshot is not None:
            _kept_snapshots.move_to_end(key)
    if snapshot is not None and status in FROZEN:
        return ShownReport(report_id, status, pdf_state, None), findings, snapshot
    report = _shown_report(level, report_id)
    if report is None:  # deleted in between
        return None, findings, {}
    snapshot = _snapshot_of(report)
    if report.status in FROZEN and verification is not None and report.finding_snapshot is not None:
        with _kept_lock:
            _kept_snapshots[key] = snapshot
            _kept_snapshots.move_to_end(key)
            while len(_kept_snapshots) > KEPT_SNAPSHOTS:
                _kept_snapshots.popitem(last=False)
    return report, findings, snapshot


def detail(actor, follow_up_id, viewer=None):
    """Everything the detail page shows; the view of the client's findings is audited ("followup.viewed").

    NotFound when missing. The findings are clinical: a counselor sees the follow-ups they may work on;
    anyone else, the admin included, breaks the glass for the client first (NoCareRelationship).
    ``viewer``: ``viewer_for(actor)`` when the caller has it already."""
    if not valid_id(follow_up_id):
        raise not_found()
    viewer = viewer or viewer_for(actor)
    found = _DETAIL_FOLLOW_UP.plain(follow_up_id)
    if not found:
        raise not_found()
    follow_up = ShownFollowUp(found[0])
    if not can_see(replace(viewer, is_admin=False), follow_up):
        care_access.require_glass_broken(actor, follow_up.client_id)
    level = follow_up.level if follow_up.kind == "finding" else NO_LEVEL
    report, findings, snapshot = _report_and_findings(level, follow_up.report_id)
    attempts, referrals = _shown_log(follow_up.id)
    recheck = None
    if follow_up.recheck_appointment_id:
        recheck = (
            Appointment.select(Appointment, Slot)
            .join(Slot)
            .where(Appointment.id == follow_up.recheck_appointment_id)
            .first()
        )
    needed = followup_assignment.unreachable_after_of(follow_up.unreachable_setting)
    follow_up.is_overdue = follow_up.status == OPEN and follow_up.due_at < utc(clock.now())
    data = Detail(
        follow_up=follow_up,
        client=follow_up.client,
        findings=_rows(findings, snapshot) if follow_up.kind == "finding" else [],
        attempts=attempts,
        referrals=referrals,
        recheck=recheck,
        report=report,
        can_close_unreachable=follow_up.attempt_count >= needed,
        unreachable_after=needed,
    )
    audit.record(
        actor,
        "followup.viewed",
        FollowUp(id=follow_up.id),  # the event names the follow-up (its client is given below)
        client=follow_up.client_id,
        level=follow_up.level,
        findings=len(data.findings),
    )
    return data
