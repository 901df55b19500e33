"""A self-registered account waits, inactive, until its owner follows the link in the welcome email:
the register form then answers the same whether or not the address already has an account."""

from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column("user", "registration_pending", BooleanField(default=False)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("user", "registration_pending"))
