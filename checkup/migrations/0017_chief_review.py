"""The chief physician's review (主检, models/review.py): station conclusions signed by the station doctors,
the chief's claim on a checkup under review, and the advice library. The library ships empty; the demo fills
it (checkup/demo/demo_advice.py), an admin's advice snippets keep answering where no rule matches.

Also an index on user_role (role, user): the chief physicians' workload lists the holders of one role."""

from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Appointment(Model):
        class Meta:
            database = db
            table_name = "appointment"

    class Department(Model):
        class Meta:
            database = db
            table_name = "department"

    class StationConclusion(Model):
        appointment = ForeignKeyField(Appointment, backref="+", on_delete="CASCADE")
        department = ForeignKeyField(Department, backref="+", on_delete="RESTRICT")
        text = TextField(default="")
        status = CharField(max_length=10, default="draft")
        saved_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        saved_at = DateTimeField()
        signed_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        signed_at = DateTimeField(null=True)
        reopened_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        reopened_at = DateTimeField(null=True)
        reopen_reason = CharField(max_length=500, default="")

        class Meta:
            database = db
            table_name = "station_conclusion"
            indexes = ((("appointment", "department"), True), (("appointment", "status"), False))

    class ChiefReview(Model):
        appointment = ForeignKeyField(Appointment, unique=True, backref="+", on_delete="CASCADE")
        chief = ForeignKeyField(User, backref="+", on_delete="CASCADE")
        started_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "chief_review"

    class AdviceRule(Model):
        item_code = CharField(max_length=20)
        flag = CharField(max_length=2, default="*")
        match_text = CharField(max_length=200, default="")
        value_min = DecimalField(max_digits=12, decimal_places=4, null=True)
        value_max = DecimalField(max_digits=12, decimal_places=4, null=True)
        sex = CharField(max_length=6, default="any")
        age_min = IntegerField(default=0)
        age_max = IntegerField(default=120)
        finding_en = CharField(max_length=200)
        finding_zh = CharField(max_length=200, default="")
        advice_en = TextField(default="")
        advice_zh = TextField(default="")
        level = CharField(max_length=1, default="")
        priority = IntegerField(default=0)
        active = BooleanField(default=True)
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "advice_rule"
            indexes = ((("item_code", "active"), False),)

    db.create_tables([StationConclusion, ChiefReview, AdviceRule])
    # the holders of a staff role (the chief physicians on the review page), not every client's role row
    migrator.migrate(migrator.add_index("user_role", ("role", "user_id"), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index("user_role", "user_role_role_user_id"))
    db.execute_sql("DROP TABLE advice_rule")
    db.execute_sql("DROP TABLE chief_review")
    db.execute_sql("DROP TABLE station_conclusion")
