"""The review page's cheaper reads and prints (#16) give what the old ones gave: a decimal's text as
``format(value, "f")`` wrote it, the stations counted and ordered as the sorted rows gave them, and the
printers' labels (kept once per language) in the language of each request, one after the other."""

import random
from decimal import Decimal

import pytest
from flask import render_template_string
from flask_babel import force_locale

from checkup.blueprints.exam.review_rows import results_rows, stations_rows, suggestions_rows
from checkup.forms.review import ReopenForm
from checkup.models import Appointment
from checkup.services.exam.report_review import PageDepartment, ReviewData, number_text
from tests.exam import test_review_page_rows as page_rows
from tests.exam.test_review_rows import NEW_LOOP, OLD_LOOP, Data, _rows


def _old_number_text(value):
    """number_text as it was: every value through ``format(Decimal(value), "f")``."""
    if value is None:
        return ""
    text = format(Decimal(value), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def test_numbers_print_as_format_printed_them():
    values = [
        *(Decimal(text) for text in ("0", "-0", "0.0000", "-0.0000", "1E+2", "1E-7", "0.0000001", "123.4500")),
        *(Decimal(text) for text in ("1000", "0E-10", "0E+3", "NaN", "Infinity", "-Infinity", "1.23E+3")),
        1,
        2.5,
        "3.40",
        0,
    ]
    generator = random.Random(16)
    for _ in range(2000):
        values.append(Decimal(generator.randint(-(10**9), 10**9)).scaleb(generator.randint(-12, 8)))
    for value in values:
        assert number_text(value) == _old_number_text(value), value


def _old_stations(data):
    """ReviewData.stations as it was: the rows sorted by station, counted in that order."""
    seen = {}
    for row in sorted(data.rows, key=lambda r: (r.department.sort_order, r.department.code)):
        department, done, total = seen.get(row.department.id, (row.department, 0, 0))
        seen[row.department.id] = (department, done + (1 if row.done else 0), total + 1)
    return [(d, done, total, data.conclusions.get(d.id)) for d, done, total in seen.values()]


class _Row:
    def __init__(self, department, done):
        self.department, self.done = department, done


def test_stations_counted_and_ordered_as_the_sorted_rows_gave_them():
    departments = [
        PageDepartment(id, code, f"{code} en", "", order)
        for id, code, order in ((1, "LAB", 2), (2, "ECG", 1), (3, "US", 2), (4, "AAA", 2), (5, "ZED", 0))
    ]
    generator = random.Random(7)
    for _ in range(50):
        rows = [_Row(generator.choice(departments), generator.random() < 0.7) for _ in range(generator.randint(0, 40))]
        data = ReviewData(appointment=None, rows=rows, conclusions={2: "signed", 4: "draft"})
        assert data.stations == _old_stations(data)


@pytest.mark.parametrize("languages", [("en", "zh", "en"), ("zh", "en", "zh")])
def test_labels_follow_the_language_of_each_request(app, languages):
    rows = _rows()
    for language in languages:
        with app.test_request_context("/"), force_locale(language):
            assert render_template_string(NEW_LOOP, rows=results_rows(rows)) == render_template_string(
                OLD_LOOP, data=Data(rows)
            )


@pytest.mark.parametrize("languages", [("en", "zh", "en"), ("zh", "en", "zh")])
def test_station_and_suggestion_labels_follow_the_language_of_each_request(app, languages):
    stations, suggestions, appointment = page_rows._page_stations(), page_rows._suggestions(), Appointment(id=86)
    for language in languages:
        for signed in (False, True):
            with app.test_request_context("/"), force_locale(language):
                old = render_template_string(
                    page_rows.OLD_STATIONS,
                    data=page_rows.Data(stations=stations, signed=signed),
                    appointment=appointment,
                    reopen_form=ReopenForm(),
                )
                new = render_template_string(
                    page_rows.NEW_STATIONS, rows=stations_rows(stations, appointment.id, signed)
                )
                assert new == old
        with app.test_request_context("/"), force_locale(language):
            old = render_template_string(page_rows.OLD_SUGGESTIONS, data=page_rows.Data(suggestions=suggestions))
            assert render_template_string(page_rows.NEW_SUGGESTIONS, rows=suggestions_rows(suggestions)) == old
