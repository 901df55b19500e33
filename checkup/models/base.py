import datetime

from peewee import Model

from checkup.extensions import db


def utcnow():
    """Naive UTC timestamp: one unambiguous convention for every stored instant."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False
