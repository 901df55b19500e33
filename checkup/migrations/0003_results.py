"""Results, critical alerts, versioned reports, findings, follow-up rules and follow-ups, advice snippets."""

from peewee import *


def up(migrator, db):
    class Appointment(Model):
        class Meta:
            database = db
            table_name = "appointment"

    class Client(Model):
        class Meta:
            database = db
            table_name = "client"

    class ExamItem(Model):
        class Meta:
            database = db
            table_name = "exam_item"

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class AdviceSnippet(Model):
        key = CharField(unique=True, max_length=40)
        text_en = TextField()
        text_zh = TextField(default="")

        class Meta:
            database = db
            table_name = "advice_snippet"

    db.create_tables([AdviceSnippet])

    class Result(Model):
        appointment = ForeignKeyField(Appointment, on_delete="CASCADE")
        item = ForeignKeyField(ExamItem, on_delete="RESTRICT")
        value_text = CharField(max_length=500, default="")
        value_num = DecimalField(null=True, max_digits=14, decimal_places=4)
        unit = CharField(max_length=30, default="")
        flag = CharField(max_length=2, default="")
        ref_low = DecimalField(null=True, max_digits=12, decimal_places=4)
        ref_high = DecimalField(null=True, max_digits=12, decimal_places=4)
        skipped = BooleanField(default=False)
        skip_reason = CharField(max_length=200, default="")
        entered_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        entered_at = DateTimeField()
        source = CharField(max_length=12, default="station")

        class Meta:
            database = db
            table_name = "result"
            indexes = ((("appointment", "item"), True),)

    db.create_tables([Result])

    class CriticalAlert(Model):
        result = ForeignKeyField(Result, on_delete="CASCADE")
        appointment = ForeignKeyField(Appointment, on_delete="CASCADE")
        created_at = DateTimeField(index=True)
        acknowledged_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        acknowledged_at = DateTimeField(null=True)
        note = CharField(max_length=500, default="")

        class Meta:
            database = db
            table_name = "critical_alert"

    db.create_tables([CriticalAlert])

    class Report(Model):
        appointment = ForeignKeyField(Appointment, on_delete="CASCADE")
        version = IntegerField(default=1)
        status = CharField(max_length=10, default="draft")
        summary = TextField(default="")
        advice = TextField(default="")
        results_snapshot = TextField(default="")
        amendment_reason = CharField(max_length=500, default="")
        signed_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        signed_at = DateTimeField(null=True)
        verification_code = CharField(unique=True, null=True, max_length=16)
        pdf_state = CharField(max_length=10, default="none")
        pdf_path = CharField(max_length=300, default="")
        pdf_checksum = CharField(max_length=64, default="")
        pdf_attempts = IntegerField(default=0)
        pdf_error = CharField(max_length=500, default="")
        pdf_updated_at = DateTimeField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "report"
            indexes = ((("appointment", "version"), True),)

    db.create_tables([Report])

    class Finding(Model):
        report = ForeignKeyField(Report, on_delete="CASCADE")
        result = ForeignKeyField(Result, null=True, on_delete="SET NULL")
        item = ForeignKeyField(ExamItem, null=True, on_delete="RESTRICT")
        text = CharField(max_length=500)
        level = CharField(max_length=1, default="")
        source = CharField(max_length=10, default="auto")

        class Meta:
            database = db
            table_name = "finding"

    db.create_tables([Finding])

    class FollowUp(Model):
        client = ForeignKeyField(Client, on_delete="CASCADE")
        report = ForeignKeyField(Report, on_delete="CASCADE")
        level = CharField(index=True, max_length=1)
        due_at = DateTimeField(index=True)
        status = CharField(index=True, max_length=10, default="open")
        assignee = ForeignKeyField(User, null=True, on_delete="SET NULL")
        summary = CharField(max_length=500, default="")
        outcome = CharField(max_length=500, default="")
        created_at = DateTimeField()
        closed_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "follow_up"

    db.create_tables([FollowUp])

    class FollowUpRule(Model):
        kind = CharField(unique=True, max_length=20)
        level = CharField(max_length=1)
        due_hours = IntegerField()

        class Meta:
            database = db
            table_name = "follow_up_rule"

    db.create_tables([FollowUpRule])
    # The default rule table (admin may edit): critical A in 24 h, significant B in 7 days, mild C in 30 days.
    FollowUpRule.insert_many(
        [
            {"kind": "critical", "level": "A", "due_hours": 24},
            {"kind": "significant", "level": "B", "due_hours": 7 * 24},
            {"kind": "mild", "level": "C", "due_hours": 30 * 24},
            {"kind": "observation", "level": "C", "due_hours": 30 * 24},
        ]
    ).execute()


def down(migrator, db):
    migrator.migrate(migrator.drop_table("follow_up_rule"))
    migrator.migrate(migrator.drop_table("follow_up"))
    migrator.migrate(migrator.drop_table("finding"))
    migrator.migrate(migrator.drop_table("report"))
    migrator.migrate(migrator.drop_table("critical_alert"))
    migrator.migrate(migrator.drop_table("result"))
    migrator.migrate(migrator.drop_table("advice_snippet"))
