"""Post-checkup care: contact attempts, staff departments, settings, consultations, referrals,
satisfaction surveys, consents, campaigns, the message log and contract renewal tasks."""

from peewee import (
    SQL,
    BooleanField,
    CharField,
    Check,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from checkup.models.accounts import User
from checkup.models.base import BaseModel, utcnow
from checkup.models.catalog import Department
from checkup.models.directory import Client
from checkup.models.groups import GroupContract
from checkup.models.results import FollowUp, Report

CONTACT_CHANNELS = ("phone", "sms", "email", "visit", "online")
CONTACT_OUTCOMES = ("reached", "no_answer", "wrong_number", "refused")


class ContactAttempt(BaseModel):
    follow_up = ForeignKeyField(FollowUp, backref="attempts", on_delete="CASCADE")
    channel = CharField(max_length=10)
    outcome = CharField(max_length=15)
    notes = TextField(default="")
    by = ForeignKeyField(User, null=True, backref="contact_attempts", on_delete="SET NULL")
    at = DateTimeField(default=utcnow, index=True)


class StaffDepartment(BaseModel):
    """A counselor's department (assignment by department) and whether they head it."""

    user = ForeignKeyField(User, backref="departments", on_delete="CASCADE")
    department = ForeignKeyField(Department, backref="staff", on_delete="CASCADE")
    is_head = BooleanField(default=False)

    class Meta:
        indexes = ((("user", "department"), True),)


class Setting(BaseModel):
    """Admin settings kept in the database (e.g. ``followup.assignment`` = round_robin | department)."""

    key = CharField(max_length=60, unique=True)
    value = CharField(max_length=500, default="")


REQUESTED, SCHEDULED, COMPLETED, CANCELLED = "requested", "scheduled", "completed", "cancelled"


class Consultation(BaseModel):
    """A client's request for an expert consultation about a report, scheduled with a physician."""

    client = ForeignKeyField(Client, backref="consultations", on_delete="CASCADE")
    report = ForeignKeyField(Report, null=True, backref="consultations", on_delete="SET NULL")
    mode = CharField(max_length=10)  # phone | in_person
    preferred_times = CharField(max_length=300, default="")
    question = TextField(default="")
    status = CharField(max_length=10, default="requested", index=True)  # requested|scheduled|completed|cancelled
    physician = ForeignKeyField(User, null=True, backref="consultations", on_delete="SET NULL")
    scheduled_at = DateTimeField(null=True)
    notes = TextField(default="")
    handled_by = ForeignKeyField(User, null=True, backref="consultations_handled", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)


REFERRAL_STATUSES = ("proposed", "accepted", "scheduled", "completed", "declined")


INTERNAL, EXTERNAL = "internal", "external"


class Referral(BaseModel):
    follow_up = ForeignKeyField(FollowUp, null=True, backref="referrals", on_delete="SET NULL")
    client = ForeignKeyField(Client, backref="referrals", on_delete="CASCADE")
    target_kind = CharField(max_length=10)  # internal | external
    department = ForeignKeyField(Department, null=True, backref="referrals", on_delete="SET NULL")
    hospital = CharField(max_length=200, default="")
    hospital_department = CharField(max_length=100, default="")
    reason = TextField()
    status = CharField(max_length=10, default="proposed", index=True)
    outcome = TextField(default="")
    created_by = ForeignKeyField(User, null=True, backref="referrals_created", on_delete="SET NULL")
    proposed_at = DateTimeField(default=utcnow)
    accepted_at = DateTimeField(null=True)
    scheduled_for = DateTimeField(null=True)  # the specialist appointment
    scheduled_at = DateTimeField(null=True)  # when it was recorded as scheduled
    completed_at = DateTimeField(null=True)
    declined_at = DateTimeField(null=True)
    updated_at = DateTimeField(default=utcnow)


SURVEY_AREAS = ("booking", "front_desk", "stations", "report_clarity", "staff_attitude")


def _score(name):
    return IntegerField(null=True, constraints=[Check(f"{name} IS NULL OR ({name} >= 1 AND {name} <= 5)")])


class Survey(BaseModel):
    """The satisfaction survey sent when a report is published: a single-use link, then the answers."""

    report = ForeignKeyField(Report, unique=True, backref="surveys", on_delete="CASCADE")
    client = ForeignKeyField(Client, backref="surveys", on_delete="CASCADE")
    token_hash = CharField(max_length=64, null=True, unique=True)
    sent_at = DateTimeField(null=True)
    expires_at = DateTimeField(null=True)
    answered_at = DateTimeField(null=True, index=True)
    overall = _score("overall")
    booking = _score("booking")
    front_desk = _score("front_desk")
    stations = _score("stations")
    report_clarity = _score("report_clarity")
    staff_attitude = _score("staff_attitude")
    comment = TextField(default="")
    follow_up = ForeignKeyField(FollowUp, null=True, backref="surveys", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)


# any score at or below this (overall or one area) is a low score: it opens a service-recovery follow-up
SURVEY_LOW_SCORE = 2


def survey_low_condition():
    """A low score anywhere on the survey, the bound written in the SQL (a parameter would keep PostgreSQL
    from matching the partial index below, whose predicate this is)."""
    bound = SQL(str(SURVEY_LOW_SCORE))
    condition = Survey.overall <= bound
    for name in SURVEY_AREAS:
        condition = condition | (getattr(Survey, name) <= bound)
    return condition


# the counselors' "recent low scores": a few among a year of answered surveys, read newest first off this
# index instead of walking every answered survey (migration 0025)
Survey.add_index(
    Survey.index(Survey.answered_at, Survey.id, name="survey_low_score_answered", where=survey_low_condition())
)


SERVICE_REMINDERS, MARKETING_EMAIL, HEALTH_TARGETING = "service_reminders", "marketing_email", "health_targeting"
CONSENT_PURPOSES = (SERVICE_REMINDERS, MARKETING_EMAIL, HEALTH_TARGETING)


class Consent(BaseModel):
    """An append-only history: the latest row per (client, purpose) is the current answer."""

    client = ForeignKeyField(Client, backref="consents", on_delete="CASCADE")
    purpose = CharField(max_length=20)
    granted = BooleanField()
    at = DateTimeField(default=utcnow)
    source = CharField(max_length=20)  # registration | privacy_page | unsubscribe_link | staff | import
    recorded_by = ForeignKeyField(User, null=True, backref="consents_recorded", on_delete="SET NULL")

    class Meta:
        indexes = ((("client", "purpose", "at"), False),)


DRAFT, QUEUED, SENDING, SENT, FAILED = "draft", "queued", "sending", "sent", "failed"


class Campaign(BaseModel):
    name = CharField(max_length=200)
    kind = CharField(max_length=12, default="newsletter")  # newsletter | lecture | seasonal
    subject = CharField(max_length=200)
    body = TextField()
    segment_json = TextField(default="{}")
    # draft → queued → sending → sent | failed
    status = CharField(max_length=10, default="draft", index=True)
    target_count = IntegerField(default=0)
    sent_count = IntegerField(default=0)
    bounced_count = IntegerField(default=0)
    created_by = ForeignKeyField(User, null=True, backref="campaigns", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    queued_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)


class Message(BaseModel):
    """Every service/marketing email sent to a client. ``dedupe_key`` makes sending idempotent:
    the row is claimed before the mail goes out, so a retry never sends twice."""

    client = ForeignKeyField(Client, null=True, backref="messages", on_delete="CASCADE")
    user = ForeignKeyField(User, null=True, backref="messages", on_delete="CASCADE")  # a staff/HR account's mail
    campaign = ForeignKeyField(Campaign, null=True, backref="messages", on_delete="CASCADE")
    kind = CharField(max_length=20, index=True)  # campaign | reenrollment | survey | ...
    dedupe_key = CharField(max_length=120, unique=True)
    email = CharField(max_length=254, default="")
    subject = CharField(max_length=200, default="")
    status = CharField(
        max_length=10, default="sending"
    )  # queued | sending | sent | bounced | failed | uncertain | withdrawn
    error = CharField(max_length=300, default="")
    created_at = DateTimeField(default=utcnow, index=True)
    sent_at = DateTimeField(null=True)
    body = TextField(default="")  # kept so that a failed send can be tried again
    one_click = BooleanField(default=False)  # a marketing message (one-click unsubscribe header)
    attempts = IntegerField(default=1)
    retry_at = DateTimeField(null=True)  # a failed send is tried again from then; None: no more tries

    class Meta:
        indexes = ((("status", "retry_at"), False),)


class RenewalTask(BaseModel):
    """A group contract approaching its anniversary: the account manager calls for next year's."""

    contract = ForeignKeyField(GroupContract, unique=True, backref="renewal_tasks", on_delete="CASCADE")
    account_manager = CharField(max_length=100, default="")
    due_on = DateField()
    status = CharField(max_length=10, default="open")  # open | done
    figures_json = TextField(default="{}")
    note = TextField(default="")
    created_at = DateTimeField(default=utcnow)
    done_at = DateTimeField(null=True)
    done_by = ForeignKeyField(User, null=True, backref="renewal_tasks_done", on_delete="SET NULL")
