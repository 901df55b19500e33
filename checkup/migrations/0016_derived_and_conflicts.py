"""Instrument values that differ from a result already entered (``result_conflict``): the import no longer
replaces a value silently; the station doctor keeps the entered one or takes the instrument's.

Derived items (BMI, eGFR, …) need no schema: their formulas are keyed by item code in
services/exam/derived_items.py and their results carry ``source = 'derived'``."""

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

    class ExamItem(Model):
        class Meta:
            database = db
            table_name = "exam_item"

    class Result(Model):
        class Meta:
            database = db
            table_name = "result"

    class ResultConflict(Model):
        result = ForeignKeyField(Result, backref="+", on_delete="CASCADE")
        open_result = IntegerField(null=True, unique=True)
        appointment = ForeignKeyField(Appointment, backref="+", on_delete="CASCADE")
        item = ForeignKeyField(ExamItem, backref="+", on_delete="RESTRICT")
        department = ForeignKeyField(Department, backref="+", on_delete="RESTRICT")
        day = DateField()
        entered_value = CharField(max_length=500, default="")
        entered_skipped = CharField(max_length=200, default="")
        entered_source = CharField(max_length=12, default="")
        instrument_value = CharField(max_length=40)
        instrument_num = DecimalField(max_digits=14, decimal_places=4)
        source = CharField(max_length=12, default="instrument")
        source_ref = CharField(max_length=200, default="")
        created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        created_at = DateTimeField()
        resolved_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        resolved_at = DateTimeField(null=True)
        choice = CharField(max_length=4, default="")

        class Meta:
            database = db
            table_name = "result_conflict"
            indexes = ((("department", "day", "choice", "id"), False),)

    db.create_tables([ResultConflict])


def down(migrator, db):
    db.execute_sql("DROP TABLE result_conflict")
