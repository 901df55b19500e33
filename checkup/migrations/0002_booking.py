"""Booking: slots, resource days, appointments with their items, waitlist."""

from peewee import *


def up(migrator, db):
    class Client(Model):
        class Meta:
            database = db
            table_name = "client"

    class ExamItem(Model):
        class Meta:
            database = db
            table_name = "exam_item"

    class Package(Model):
        class Meta:
            database = db
            table_name = "package"

    class Resource(Model):
        class Meta:
            database = db
            table_name = "resource"

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Slot(Model):
        day = DateField(index=True)
        start_time = TimeField()
        end_time = TimeField()
        capacity = IntegerField()
        booked = IntegerField(default=0)
        held = IntegerField(default=0)
        closed = BooleanField(default=False)

        class Meta:
            database = db
            table_name = "slot"
            indexes = ((("day", "start_time"), True),)
            constraints = [
                Check("capacity >= 0"),
                Check("booked >= 0"),
                Check("held >= 0"),
                Check("booked + held <= capacity"),
                Check("start_time < end_time"),
            ]

    db.create_tables([Slot])

    class Appointment(Model):
        exam_code = CharField(unique=True, max_length=16)
        client = ForeignKeyField(Client, on_delete="RESTRICT")
        slot = ForeignKeyField(Slot, on_delete="RESTRICT")
        day = DateField(index=True)
        live_day = DateField(null=True)
        package = ForeignKeyField(Package, null=True, on_delete="RESTRICT")
        status = CharField(index=True, max_length=12, default="booked")
        source = CharField(max_length=12, default="individual")
        total_price = DecimalField(decimal_places=2)
        company_amount = DecimalField(decimal_places=2, default=0)
        self_amount = DecimalField(decimal_places=2)
        idempotency_key = CharField(unique=True, null=True, max_length=64)
        booked_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = DateTimeField()
        updated_at = DateTimeField()
        cancelled_at = DateTimeField(null=True)
        cancel_reason = CharField(max_length=300, default="")
        reminder_sent_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "appointment"
            indexes = ((("client", "live_day"), True),)

    db.create_tables([Appointment])

    class AppointmentItem(Model):
        appointment = ForeignKeyField(Appointment, on_delete="CASCADE")
        item = ForeignKeyField(ExamItem, on_delete="RESTRICT")
        price = DecimalField(decimal_places=2)
        payer = CharField(max_length=10, default="self")
        is_addon = BooleanField(default=False)
        resource = ForeignKeyField(Resource, null=True, on_delete="RESTRICT")

        class Meta:
            database = db
            table_name = "appointment_item"
            indexes = ((("appointment", "item"), True),)

    db.create_tables([AppointmentItem])

    class ResourceDay(Model):
        resource = ForeignKeyField(Resource, on_delete="RESTRICT")
        day = DateField(index=True)
        capacity = IntegerField()
        booked = IntegerField(default=0)
        held = IntegerField(default=0)

        class Meta:
            database = db
            table_name = "resource_day"
            indexes = ((("resource", "day"), True),)
            constraints = [
                Check("capacity >= 0"),
                Check("booked >= 0"),
                Check("held >= 0"),
                Check("booked + held <= capacity"),
            ]

    db.create_tables([ResourceDay])

    class WaitlistEntry(Model):
        client = ForeignKeyField(Client, on_delete="CASCADE")
        day = DateField(index=True)
        package = ForeignKeyField(Package, on_delete="RESTRICT")
        addon_codes = TextField(default="")
        status = CharField(index=True, max_length=12, default="waiting")
        slot = ForeignKeyField(Slot, null=True, on_delete="SET NULL")
        token_hash = CharField(unique=True, null=True, max_length=64)
        held_resources = CharField(max_length=200, default="")
        offered_at = DateTimeField(null=True)
        offer_expires_at = DateTimeField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "waitlist_entry"

    db.create_tables([WaitlistEntry])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("waitlist_entry"))
    migrator.migrate(migrator.drop_table("resource_day"))
    migrator.migrate(migrator.drop_table("appointment_item"))
    migrator.migrate(migrator.drop_table("appointment"))
    migrator.migrate(migrator.drop_table("slot"))
