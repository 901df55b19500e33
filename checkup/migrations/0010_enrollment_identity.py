"""A roster import makes its own client record for every row and never joins it to the center's record of
the person without their proof: ``client.roster_unverified_since`` and ``client.roster_id_hash`` mark such
a record; roster imports no longer count "new" and "linked" clients (HR must not learn who is known)."""

from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column("client", "roster_unverified_since", DateTimeField(null=True)))
    migrator.migrate(migrator.add_column("client", "roster_id_hash", CharField(max_length=64, null=True, index=True)))
    migrator.migrate(migrator.drop_column("roster_import", "created_clients"))
    migrator.migrate(migrator.drop_column("roster_import", "linked_clients"))


def down(migrator, db):
    migrator.migrate(migrator.add_column("roster_import", "linked_clients", IntegerField(default=0)))
    migrator.migrate(migrator.add_column("roster_import", "created_clients", IntegerField(default=0)))
    migrator.migrate(migrator.drop_column("client", "roster_id_hash"))
    migrator.migrate(migrator.drop_column("client", "roster_unverified_since"))
