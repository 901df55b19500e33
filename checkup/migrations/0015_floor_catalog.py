"""The catalog for the exam floor (issue 13):

- ``exam_item``: its specimen container (code, "" for none), the station the client goes to when not its
  department's own room, a fasting flag (its station comes before breakfast) and eligible sex and ages;
- ``station_order_rule``: pairs of stations in the order the floor takes them (ultrasound before gastroscopy);
- ``addon_module`` and ``addon_module_item``: add-ons are sold as modules of items, each with its own price
  and eligible sex and ages; ``appointment_addon``: the modules an appointment bought, at the price paid.
"""

from peewee import *


def up(migrator, db):
    class Department(Model):
        class Meta:
            database = db
            table_name = "department"

    class ExamItem(Model):
        class Meta:
            database = db
            table_name = "exam_item"

    class Appointment(Model):
        class Meta:
            database = db
            table_name = "appointment"

    class StationOrderRule(Model):
        before = ForeignKeyField(Department, on_delete="CASCADE")
        after = ForeignKeyField(Department, on_delete="CASCADE")
        note_en = CharField(max_length=200, default="")
        note_zh = CharField(max_length=200, default="")

        class Meta:
            database = db
            table_name = "station_order_rule"
            indexes = ((("before", "after"), True),)
            constraints = [Check("before_id <> after_id")]

    class AddonModule(Model):
        code = CharField(max_length=20, unique=True)
        name_en = CharField(max_length=120)
        name_zh = CharField(max_length=120, default="")
        description_en = TextField(default="")
        description_zh = TextField(default="")
        sex = CharField(max_length=6, default="any")
        age_min = IntegerField(default=0)
        age_max = IntegerField(default=120)
        price = DecimalField(max_digits=10, decimal_places=2, constraints=[Check("price >= 0")])
        sort_order = IntegerField(default=0)
        active = BooleanField(default=True)

        class Meta:
            database = db
            table_name = "addon_module"
            constraints = [Check("age_min <= age_max")]

    class AddonModuleItem(Model):
        module = ForeignKeyField(AddonModule, on_delete="CASCADE")
        item = ForeignKeyField(ExamItem, on_delete="RESTRICT")

        class Meta:
            database = db
            table_name = "addon_module_item"
            indexes = ((("module", "item"), True),)

    class AppointmentAddon(Model):
        appointment = ForeignKeyField(Appointment, on_delete="CASCADE")
        module = ForeignKeyField(AddonModule, on_delete="RESTRICT")
        price = DecimalField(max_digits=10, decimal_places=2)

        class Meta:
            database = db
            table_name = "appointment_addon"
            indexes = ((("appointment", "module"), True),)

    migrator.migrate(
        migrator.add_column("exam_item", "container", CharField(max_length=10, default="")),
        migrator.add_column(
            "exam_item", "station_id", ForeignKeyField(Department, null=True, field=Department.id, on_delete="RESTRICT")
        ),
        migrator.add_column("exam_item", "fasting", BooleanField(default=False)),
        migrator.add_column("exam_item", "sex", CharField(max_length=6, default="any")),
        migrator.add_column("exam_item", "age_min", IntegerField(default=0)),
        migrator.add_column("exam_item", "age_max", IntegerField(default=120)),
    )
    db.create_tables([StationOrderRule, AddonModule, AddonModuleItem, AppointmentAddon])


def down(migrator, db):
    db.execute_sql("DROP TABLE appointment_addon")
    db.execute_sql("DROP TABLE addon_module_item")
    db.execute_sql("DROP TABLE addon_module")
    db.execute_sql("DROP TABLE station_order_rule")
    migrator.migrate(
        *(
            migrator.drop_column("exam_item", name)
            for name in ("age_max", "age_min", "sex", "fasting", "station_id", "container")
        )
    )
