"""Work owed lives in the database: the task table. Every email is a message row, so a message may
name a staff or HR account instead of a client (``client_id`` becomes optional, ``user_id`` is new)."""

from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Task(Model):
        kind = CharField(index=True, max_length=60)
        args_json = TextField(default="[]")
        dedupe_key = CharField(unique=True, max_length=160)
        state = CharField(max_length=8, default="queued")
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField()
        lease_until = DateTimeField(null=True)
        last_error = TextField(default="")
        created_at = DateTimeField()
        started_at = DateTimeField(null=True)
        finished_at = DateTimeField(null=True)
        caused_by = ForeignKeyField(User, null=True, on_delete="SET NULL")

        class Meta:
            database = db
            table_name = "task"
            indexes = ((("state", "next_attempt_at"), False), (("kind", "state"), False))

    db.create_tables([Task])

    migrator.migrate(migrator.drop_not_null("message", "client_id"))
    migrator.migrate(
        migrator.add_column("message", "user_id", ForeignKeyField(User, field=User.id, null=True, on_delete="CASCADE"))
    )


def down(migrator, db):
    migrator.migrate(migrator.drop_column("message", "user_id"))
    db.execute_sql("DROP TABLE task")
