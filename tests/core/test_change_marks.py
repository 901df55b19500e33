"""The clinical change mark moves with every write to the tables it follows, whoever writes, and stays put
otherwise (migration 0028's triggers; core/change_marks reads it)."""

import datetime

import pytest

from checkup.core.change_marks import clinical_mark
from checkup.models import Appointment, Client
from checkup.models.base import db
from tests import factories

pytestmark = pytest.mark.both_dbs


def test_the_mark_moves_on_each_kind_of_write_and_not_on_reads(app):
    before = clinical_mark()
    assert clinical_mark() == before, "reading moves nothing"
    client = factories.make_client(name="标记甲")
    after_insert = clinical_mark()
    assert after_insert != before
    Client.update(name="标记乙").where(Client.id == client.id).execute()
    after_update = clinical_mark()
    assert after_update != after_insert
    Appointment.select().count()
    assert clinical_mark() == after_update
    Client.delete().where(Client.id == client.id).execute()
    assert clinical_mark() != after_update


def test_a_write_by_raw_sql_moves_it_too(app):
    client = factories.make_client(name="标记丙")
    before = clinical_mark()
    db.execute_sql("UPDATE client SET name = %s WHERE id = %s".replace("%s", db.param), ("标记丁", client.id))
    assert clinical_mark() != before


def test_a_write_to_a_table_it_does_not_follow_leaves_it(app):
    before = clinical_mark()
    factories.make_user("admin", email=f"mark-{datetime.datetime.now().timestamp()}@example.com")
    assert clinical_mark() == before
