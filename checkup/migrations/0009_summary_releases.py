"""Released versions of the group summary: a numbered, frozen release per contract (its figures as
published and, for the center only, who was counted); a summary document belongs to one release and is
made in one language. Summary documents computed live before releases existed are removed: comparing
two of them is how one employee's finding could be worked out (their files are left to the operator)."""

from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class GroupContract(Model):
        class Meta:
            database = db
            table_name = "group_contract"

    class SummaryRelease(Model):
        contract = ForeignKeyField(GroupContract, on_delete="CASCADE")
        number = IntegerField()
        reason = CharField(max_length=8)
        k = IntegerField()
        completed = IntegerField()
        counted = IntegerField()
        figures_json = TextField()
        counted_json = TextField(default="{}")
        released_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        released_at = DateTimeField()

        class Meta:
            database = db
            table_name = "summary_release"
            indexes = ((("contract", "number"), True),)

    db.create_tables([SummaryRelease])

    db.execute_sql("DELETE FROM group_document WHERE kind = 'summary'")
    migrator.migrate(
        migrator.add_column(
            "group_document",
            "release_id",
            ForeignKeyField(SummaryRelease, field=SummaryRelease.id, null=True, on_delete="CASCADE"),
        )
    )
    migrator.migrate(migrator.add_column("group_document", "locale", CharField(max_length=10, default="")))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("group_document", "locale"))
    migrator.migrate(migrator.drop_column("group_document", "release_id"))
    db.execute_sql("DROP TABLE summary_release")
