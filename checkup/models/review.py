"""The chief physician's review (主检): station conclusions signed by the station doctors, the chief's claim on
a checkup under review, and the advice library that pre-fills the summary conclusion and health advice."""

from peewee import BooleanField, CharField, DateTimeField, DecimalField, ForeignKeyField, IntegerField, TextField

from checkup.models.accounts import User
from checkup.models.appointments import Appointment
from checkup.models.base import BaseModel, utcnow
from checkup.models.catalog import Department

CONCLUSION_DRAFT, CONCLUSION_SIGNED = "draft", "signed"


class StationConclusion(BaseModel):
    """A station doctor's conclusion (小结) for one appointment at one station; read-only once signed, until the
    chief physician reopens it with a reason."""

    appointment = ForeignKeyField(Appointment, backref="station_conclusions", on_delete="CASCADE")
    department = ForeignKeyField(Department, backref="station_conclusions", on_delete="RESTRICT")
    text = TextField(default="")
    status = CharField(max_length=10, default=CONCLUSION_DRAFT)  # draft | signed
    saved_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    saved_at = DateTimeField(default=utcnow)
    signed_by = ForeignKeyField(User, null=True, backref="station_conclusions_signed", on_delete="SET NULL")
    signed_at = DateTimeField(null=True)
    # the last reopening by a chief physician (every one is in the audit log)
    reopened_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    reopened_at = DateTimeField(null=True)
    reopen_reason = CharField(max_length=500, default="")

    class Meta:
        # (appointment, department): one per station; (appointment, status): "every station signed" as a probe
        indexes = ((("appointment", "department"), True), (("appointment", "status"), False))

    @property
    def signed(self):
        return self.status == CONCLUSION_SIGNED


class ChiefReview(BaseModel):
    """A checkup a chief physician has started reviewing (saved a draft of) and not yet signed: the queue shows
    who is on it, and the workload counts it as in progress. Signing removes it."""

    appointment = ForeignKeyField(Appointment, unique=True, backref="+", on_delete="CASCADE")
    chief = ForeignKeyField(User, backref="chief_reviews", on_delete="CASCADE")
    started_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)


ADVICE_FLAGS = ("H", "L", "HH", "LL", "A", "*")  # H and L match their critical flags too; * any abnormal flag
RULE_SEXES = ("any", "male", "female")


class AdviceRule(BaseModel):
    """One entry of the advice library: when an abnormal result matches (item, flag, optional choice or keyword,
    optional value band, sex and age), the finding it names, the advice, and the follow-up level it implies."""

    item_code = CharField(max_length=20)
    flag = CharField(max_length=2, default="*")  # one of ADVICE_FLAGS
    # a choice result equal to it, or a text result containing any of its "|"-separated keywords
    match_text = CharField(max_length=200, default="")
    value_min = DecimalField(max_digits=12, decimal_places=4, null=True)  # value >= value_min
    value_max = DecimalField(max_digits=12, decimal_places=4, null=True)  # value < value_max
    sex = CharField(max_length=6, default="any")
    age_min = IntegerField(default=0)
    age_max = IntegerField(default=120)
    finding_en = CharField(max_length=200)
    finding_zh = CharField(max_length=200, default="")
    advice_en = TextField(default="")
    advice_zh = TextField(default="")
    level = CharField(max_length=1, default="")  # A | B | C | "" (no follow-up)
    priority = IntegerField(default=0)  # the more specific rule of an item first
    active = BooleanField(default=True)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("item_code", "active"), False),)
