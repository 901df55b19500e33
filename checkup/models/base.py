import datetime

from peewee import DatabaseProxy, Model

db = DatabaseProxy()  # bound to a real database by checkup.database.init_app


def utcnow():
    """Naive UTC timestamp: one unambiguous convention for every stored instant."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False
