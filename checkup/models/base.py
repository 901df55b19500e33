import datetime

from peewee import AutoField, DatabaseProxy, Model

db = DatabaseProxy()  # bound to a real database by checkup.database.init_app


def utcnow() -> datetime.datetime:
    """Naive UTC timestamp: one unambiguous convention for every stored instant."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class BaseModel(Model):
    id: "AutoField[int]"  # the primary key peewee gives every model (none declares its own), named for mypy

    class Meta:
        database = db
        legacy_table_names = False
