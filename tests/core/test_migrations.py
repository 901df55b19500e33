"""Migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

import pytest
from playhouse.schema_diff import diff_models

from checkup import database
from checkup.models import ALL_MODELS
from checkup.models.base import db
from checkup.models.directory import TRIGRAM_INDEXES

pytestmark = pytest.mark.both_dbs


def test_migrations_produce_the_models_schema(app):
    if app.config["BACKEND"] == "sqlite":
        # a brand-new empty file, not the prepared template
        from checkup.database import open_database

        fresh = open_database(f"sqlite:///{app.instance_path}/fresh.db")
        db.initialize(fresh)
        assert db.get_tables() == []
    else:
        db.execute_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    applied = database.upgrade()
    assert applied[0] == "0001_initial"
    diff = diff_models(db.obj, ALL_MODELS)
    if app.config["BACKEND"] != "sqlite":  # PostgreSQL's trigram indexes, which no model can declare
        trigram = [index for index in diff.drop_indexes if index.name in TRIGRAM_INDEXES]
        assert sorted(index.name for index in trigram) == sorted(TRIGRAM_INDEXES)
        diff = diff._replace(drop_indexes=[index for index in diff.drop_indexes if index not in trigram])
    assert not diff, f"models and migrations disagree:\n{diff}"
    assert database.upgrade() == []  # idempotent


def test_check_constraints_hold_in_the_database(app):
    from decimal import Decimal

    from peewee import IntegrityError

    from tests import factories

    item = factories.make_item()
    with pytest.raises(IntegrityError):
        with db.atomic():
            factories.make_range(item, low="5", high="1")
    with pytest.raises(IntegrityError):
        with db.atomic():
            factories.make_resource(capacity=-1)
    with pytest.raises(IntegrityError):
        with db.atomic():
            factories.make_item(price=str(Decimal("-1")))
