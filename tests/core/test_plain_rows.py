"""plain_tuples gives the rows peewee's own .tuples() gives, on both databases, for the plain columns it is
made for: numbers, text, booleans, Decimals, dates, times, datetimes, counts and maxima."""

import datetime
from decimal import Decimal

import pytest
from peewee import fn

from checkup.core.plain_rows import plain_tuples
from checkup.models import Client, ExamItem, LoginSession
from tests.factories import make_client, make_item, make_user

pytestmark = pytest.mark.both_dbs


def test_plain_columns_come_back_as_peewee_would_convert_them(app):
    make_client(name="张伟", sex="male", birth_date=datetime.date(1979, 3, 4))
    make_client(name="李娜", birth_date=datetime.date(1990, 12, 31))
    make_item(code="PLAIN-1", price="12.50", fasting=True)
    user = make_user("client")
    LoginSession.create(
        token_hash="x" * 64,
        user=user,
        created_at=datetime.datetime(2026, 12, 1, 8, 30, 15),
        last_seen_at=datetime.datetime(2026, 12, 1, 9, 0, 0, 123456),
        expires_at=datetime.datetime(2026, 12, 1, 20, 0),
        ip="127.0.0.1",
        user_agent="test",
    )
    queries = [
        Client.select(Client.id, Client.name, Client.sex, Client.birth_date).order_by(Client.id),
        Client.select(Client.sex, fn.COUNT(Client.id), fn.MAX(Client.birth_date))
        .group_by(Client.sex)
        .order_by(Client.sex),
        ExamItem.select(ExamItem.code, ExamItem.price, ExamItem.fasting).where(ExamItem.code == "PLAIN-1"),
        LoginSession.select(LoginSession.user, LoginSession.last_seen_at, fn.MAX(LoginSession.created_at)).group_by(
            LoginSession.user, LoginSession.last_seen_at
        ),
    ]
    for query in queries:
        assert plain_tuples(query) == list(query.tuples())
    [(code, price, fasting)] = plain_tuples(queries[2])
    assert (code, price, fasting) == ("PLAIN-1", Decimal("12.50"), True)
    [(_user, seen, created)] = plain_tuples(queries[3])
    assert seen == datetime.datetime(2026, 12, 1, 9, 0, 0, 123456)
    assert isinstance(created, datetime.datetime | str)  # a bare MAX is not converted by peewee on SQLite either
    assert plain_tuples(Client.select(Client.id).where(Client.id < 0)) == []
