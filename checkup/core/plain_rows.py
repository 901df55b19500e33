"""Rows of plain columns as the database driver returns them, for the few reads that fold a whole day in
Python (the exam floor's boards and loads: ~1,000 appointments × their stations).

peewee turns every value of every row into its field's Python type, in Python (``process_row`` →
``python_value`` → ``adapt``): on a station board's 900 rows of ten columns that was a third of the page's
CPU. On PostgreSQL psycopg2 already returns ints, strings, Decimals, booleans, dates, times and naive
datetimes, which is exactly what those fields' conversions return, so the rows are taken as they come.
SQLite returns dates and times as text: there peewee converts as usual.

Only for selections of plain columns (numbers, text, booleans, dates, times, datetimes, and counts, sums
and maxima of those) — never a field with a conversion of its own (JSON, encrypted values, enums)."""

from peewee import PostgresqlDatabase, Select

from checkup.models.base import db


def plain_tuples(query: Select) -> list[tuple]:
    """The query's rows as tuples, in its column order."""
    if not isinstance(db.obj, PostgresqlDatabase):
        return list(query.tuples())
    sql, params = query.sql()
    rows: list[tuple] = db.execute_sql(sql, params).fetchall()
    return rows
