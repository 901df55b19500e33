"""Break the glass: a staff member's time-limited access to a client's clinical record without a care
relationship, with its reason and the admin's review."""

from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Client(Model):
        class Meta:
            database = db
            table_name = "client"

    class BreakGlassAccess(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        client = ForeignKeyField(Client, on_delete="CASCADE")
        reason = TextField()
        ip = CharField(max_length=64, default="")
        created_at = DateTimeField(index=True)
        expires_at = DateTimeField()
        reviewed_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="reviews")
        reviewed_at = DateTimeField(null=True, index=True)
        review_note = CharField(max_length=500, default="")

        class Meta:
            database = db
            table_name = "break_glass_access"
            indexes = ((("user", "client", "expires_at"), False),)

    db.create_tables([BreakGlassAccess])


def down(migrator, db):
    db.execute_sql("DROP TABLE break_glass_access")
