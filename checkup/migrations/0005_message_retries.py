"""Message retries: a message keeps its text so a send that failed (mail server down) is tried again
later, with the number of attempts and the time of the next one."""

from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column("message", "body", TextField(default="")))
    migrator.migrate(migrator.add_column("message", "one_click", BooleanField(default=False)))
    migrator.migrate(migrator.add_column("message", "attempts", IntegerField(default=1)))
    migrator.migrate(migrator.add_column("message", "retry_at", DateTimeField(null=True)))
    migrator.migrate(migrator.add_index("message", ("status", "retry_at"), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index("message", "message_status_retry_at"))
    migrator.migrate(migrator.drop_column("message", "retry_at"))
    migrator.migrate(migrator.drop_column("message", "attempts"))
    migrator.migrate(migrator.drop_column("message", "one_click"))
    migrator.migrate(migrator.drop_column("message", "body"))
