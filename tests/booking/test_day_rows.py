"""The day sheet's rows printed in Python (blueprints/desk/day_rows.py) are the markup the macro of
templates/desk/_day_row.html printed (the one row of an action's answer still uses it), byte for byte: to check
in (with and without an ID number, a company roster's record known elsewhere or not), checked in with a time,
completed, a no-show to mark, cancelled, an unknown status, walk-ins, either sex, an unknown one, no phone,
no package, a Chinese package name, markup in names and codes, an error and a message; in English and
Chinese."""

import datetime

import pytest
from flask import render_template_string
from flask_babel import force_locale

from checkup.blueprints.desk.day_rows import day_rows
from checkup.blueprints.desk.daysheet import _row_links
from checkup.services.exam.day_sheets import DaySheetRow, SheetPackage

OLD = '{% from "desk/_day_row.html" import day_rows with context %}{{ day_rows(rows, row_error, row_message) }}'
NEW = "{{ printed }}"

DAY = datetime.date(2026, 3, 4)
PACKAGES = [
    SheetPackage("BASIC", "Basic <checkup>", "基础体检"),
    SheetPackage("PLAIN", "Plain & simple", ""),
    None,
]
STATES = [
    # status, is today, slot ended, national id, roster record, known elsewhere, checked in at
    ("booked", True, False, "1101********1234", False, False, None),
    ("booked", True, False, "", False, False, None),
    ("booked", True, True, "", True, False, None),
    ("booked", True, False, "1101********9999", True, True, None),
    ("booked", False, True, "", False, False, None),
    ("booked", False, False, "", True, False, None),
    ("checked_in", True, False, "", False, False, datetime.datetime(2026, 3, 4, 8, 7)),
    ("checked_in", True, False, "", True, False, None),
    ("completed", False, True, "x", False, False, datetime.datetime(2026, 3, 4, 9, 59)),
    ("no_show", True, True, "", False, False, None),
    ("cancelled", True, False, "", False, False, None),
    ("odd<status>", True, True, "", False, False, None),
]
PEOPLE = [
    ("male", "0138-000", "walk_in"),
    ("female", None, "online"),
    ("other<x>", "", "desk"),
    ("", "<tel>", "walk_in"),
]


def _rows():
    rows = []
    for n, (status, is_today, ended, masked, roster, known, checked_in_at) in enumerate(STATES):
        sex, phone, source = PEOPLE[n % len(PEOPLE)]
        rows.append(
            DaySheetRow(
                appointment_id=500 + n,
                day=DAY,
                exam_code=f"EX{n}&<b>",
                status=status,
                source=source,
                client_id=900 + n,
                name=f"Name <{n}> & \"'{n}'\"",
                sex=sex,
                age=30 + n,
                birth_date=datetime.date(1990, 1, 1 + n),
                phone=phone,
                masked_national_id=masked,
                package=PACKAGES[n % len(PACKAGES)],
                slot_ended=ended,
                is_today=is_today,
                checked_in_at=checked_in_at,
                roster_record=roster,
                roster_id_hash="hash" if roster else None,
                known_elsewhere=known,
                slot_id=7,
            )
        )
    return rows


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize(
    ("row_error", "row_message"), [(None, None), ("Wrong <id> & more", None), (None, "Checked in & <done>.")]
)
def test_rows_as_the_macro_printed_them(app, language, row_error, row_message):
    with app.test_request_context("/"), force_locale(language):
        links = _row_links()
        rows = _rows()
        old = render_template_string(OLD, rows=rows, row_error=row_error, row_message=row_message, row_links=links)
        new = render_template_string(NEW, printed=day_rows(rows, links, row_error, row_message))
    assert new == old
    assert new.count("<tr id=") == len(STATES)


def test_no_rows(app):
    with app.test_request_context("/"):
        links = _row_links()
        old = render_template_string(OLD, rows=[], row_error=None, row_message=None, row_links=links)
        assert render_template_string(NEW, printed=day_rows([], links)) == old == ""


COUNTS_OLD = '{% with counts=sheet %}{% include "desk/_day_counts.html" %}{% endwith %}'


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize(
    "counts",
    [
        {},
        {"booked": 3},
        {"booked": 12, "checked_in": 4, "completed": 1, "no_show": 0, "cancelled": 2},
        {"booked": 1, "odd<status>&": 5},
    ],
)
def test_day_counts_as_the_include_printed_them(app, language, counts):
    """The day's counts printed in Python (day_rows.day_counts) are the include's markup in the page."""
    from checkup.blueprints.desk.day_rows import day_counts
    from checkup.services.exam.day_sheets import DayCounts

    sheet = DayCounts(day=DAY, slots=[], counts=counts)
    with app.test_request_context("/"), force_locale(language):
        old = render_template_string(COUNTS_OLD, sheet=sheet)
        new = render_template_string(NEW, printed=day_counts(sheet))
    assert new == old
