"""Exam results, critical-value alerts, findings, reports (versioned) and the follow-ups signing creates."""

from peewee import SQL, BooleanField, CharField, DateTimeField, DecimalField, ForeignKeyField, IntegerField, TextField

from checkup.models.accounts import User
from checkup.models.appointments import Appointment
from checkup.models.base import BaseModel, utcnow
from checkup.models.catalog import Department, ExamItem
from checkup.models.directory import Client

# Result flags: normal, high, low, critical high, critical low, abnormal (text/choice results).
NORMAL, HIGH, LOW, CRITICAL_HIGH, CRITICAL_LOW, ABNORMAL = "N", "H", "L", "HH", "LL", "A"
CRITICAL_FLAGS = (CRITICAL_HIGH, CRITICAL_LOW)
ABNORMAL_FLAGS = (HIGH, LOW, ABNORMAL) + CRITICAL_FLAGS


class Result(BaseModel):
    """One item's result for one appointment; editable until the report is signed."""

    appointment = ForeignKeyField(Appointment, backref="results", on_delete="CASCADE")
    item = ForeignKeyField(ExamItem, backref="results", on_delete="RESTRICT")
    value_text = CharField(max_length=500, default="")
    value_num = DecimalField(max_digits=14, decimal_places=4, null=True)
    unit = CharField(max_length=30, default="")
    flag = CharField(max_length=2, default="")
    # the reference range in force when the value was entered, kept for the report
    ref_low = DecimalField(max_digits=12, decimal_places=4, null=True)
    ref_high = DecimalField(max_digits=12, decimal_places=4, null=True)
    skipped = BooleanField(default=False)
    skip_reason = CharField(max_length=200, default="")
    entered_by = ForeignKeyField(User, null=True, backref="results_entered", on_delete="SET NULL")
    entered_at = DateTimeField(default=utcnow)
    source = CharField(max_length=12, default="station")  # station | instrument
    # the language free text (text results) was written in: "zh" | "en" | "" (read it from the script)
    language = CharField(max_length=5, default="")

    class Meta:
        indexes = ((("appointment", "item"), True),)

    @property
    def is_abnormal(self):
        return self.flag in ABNORMAL_FLAGS

    @property
    def is_critical(self):
        return self.flag in CRITICAL_FLAGS


class CriticalAlert(BaseModel):
    """A critical value needs someone to act now; it records who acknowledged it and when."""

    result = ForeignKeyField(Result, backref="alerts", on_delete="CASCADE")
    appointment = ForeignKeyField(Appointment, backref="critical_alerts", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow, index=True)
    acknowledged_by = ForeignKeyField(User, null=True, backref="alerts_acknowledged", on_delete="SET NULL")
    acknowledged_at = DateTimeField(null=True)
    note = CharField(max_length=500, default="")


DRAFT, SIGNED, PUBLISHED, SUPERSEDED = "draft", "signed", "published", "superseded"


PDF_NONE, PDF_PENDING, PDF_RENDERING, PDF_READY, PDF_FAILED = "none", "pending", "rendering", "ready", "failed"


class Report(BaseModel):
    """A version of an appointment's report. Signing freezes the results into ``results_snapshot``."""

    appointment = ForeignKeyField(Appointment, backref="reports", on_delete="CASCADE")
    version = IntegerField(default=1)
    status = CharField(max_length=10, default="draft")  # draft | signed | published | superseded
    summary = TextField(default="")
    advice = TextField(default="")
    results_snapshot = TextField(default="")  # JSON written at signing
    amendment_reason = CharField(max_length=500, default="")
    signed_by = ForeignKeyField(User, null=True, backref="reports_signed", on_delete="SET NULL")
    signed_at = DateTimeField(null=True)
    verification_code = CharField(max_length=16, null=True, unique=True)
    pdf_state = CharField(max_length=10, default="none")  # none | pending | rendering | ready | failed
    pdf_path = CharField(max_length=300, default="")
    pdf_checksum = CharField(max_length=64, default="")
    pdf_attempts = IntegerField(default=0)
    pdf_error = CharField(max_length=500, default="")
    pdf_updated_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    # what the client's report says about an amendment (``amendment_reason`` is the staff's, never printed)
    amendment_note = CharField(max_length=500, default="")

    class Meta:
        # (signed_at, id): the review page's "recently signed", newest first, without sorting every report
        indexes = ((("appointment", "version"), True), (("signed_at", "id"), False))


class Finding(BaseModel):
    """An abnormal result or a physician's observation, with the follow-up level it calls for."""

    report = ForeignKeyField(Report, backref="findings", on_delete="CASCADE")
    result = ForeignKeyField(Result, null=True, backref="findings", on_delete="SET NULL")
    item = ForeignKeyField(ExamItem, null=True, backref="findings", on_delete="RESTRICT")
    text = CharField(max_length=500)
    level = CharField(max_length=1, default="")  # A | B | C | "" (no follow-up)
    source = CharField(max_length=10, default="auto")  # auto | physician


class FollowUpRule(BaseModel):
    """Admin-editable: which follow-up level and due time a kind of finding calls for."""

    kind = CharField(max_length=20, unique=True)  # critical | significant | mild | observation
    level = CharField(max_length=1)
    due_hours = IntegerField()


FOLLOW_UP_KINDS = ("finding", "service")  # from a signed report's findings | service recovery (low survey score)
FOLLOW_UP_OUTCOMES = (
    "advice_given",
    "recheck_booked",
    "referred",
    "declined",
    "unreachable",
    "recheck_normal",
    "resolved",
)


OPEN, CLOSED = "open", "closed"


class FollowUp(BaseModel):
    """One follow-up per level a signed report calls for (its findings: same report, same level)."""

    client = ForeignKeyField(Client, backref="follow_ups", on_delete="CASCADE")
    report = ForeignKeyField(Report, backref="follow_ups", on_delete="CASCADE")
    level = CharField(max_length=1, index=True)
    due_at = DateTimeField(index=True)
    status = CharField(max_length=10, default="open", index=True)  # open | closed
    assignee = ForeignKeyField(User, null=True, backref="follow_ups", on_delete="SET NULL")
    summary = CharField(max_length=500, default="")
    outcome = CharField(max_length=500, default="")  # the closing note
    created_at = DateTimeField(default=utcnow)
    closed_at = DateTimeField(null=True)
    kind = CharField(max_length=10, default="finding", index=True)
    # the department of the findings behind it (department head view, filters, assignment by department)
    department = ForeignKeyField(Department, null=True, backref="follow_ups", on_delete="SET NULL")
    outcome_code = CharField(max_length=20, default="")  # one of FOLLOW_UP_OUTCOMES once closed
    closed_by = ForeignKeyField(User, null=True, backref="follow_ups_closed", on_delete="SET NULL")
    attempt_count = IntegerField(default=0)
    # a re-check booked from this follow-up; its normal result closes the follow-up
    recheck_appointment = ForeignKeyField(Appointment, null=True, backref="rechecks_for", on_delete="SET NULL")


# the open follow-ups by due time, with the columns the worklist filters on (migration 0033): a page of the
# counselors' worklist and its whole count read from this index alone; the condition is the expression
# services/care/followup_worklist._is_open compares
FollowUp.add_index(
    FollowUp.index(
        FollowUp.due_at,
        FollowUp.id,
        FollowUp.assignee,
        FollowUp.department,
        FollowUp.level,
        name="follow_up_open_due_at_id",
        where=SQL("status = 'open'"),
    )
)


class AdviceSnippet(BaseModel):
    """Reusable advice text for a finding, keyed by item code and direction (e.g. ``TG:H``)."""

    key = CharField(max_length=40, unique=True)
    text_en = TextField()
    text_zh = TextField(default="")
