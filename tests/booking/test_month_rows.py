"""The booking month's weeks printed in Python (blueprints/me/month_rows.py) are the markup the loop of
templates/booking/_month.html printed (a page that gives no ``month_weeks`` still gets the loop), byte for
byte: open days, full days, closed days, the chosen day open, full or none, days outside the month, add-ons
and markup in the picker's address; in English and Chinese, twice (the second from the kept long dates)."""

import datetime

import pytest
from flask import render_template
from flask_babel import force_locale

from checkup.blueprints.me.month_rows import month_weeks
from checkup.services.booking import availability

YEAR, MONTH = 2026, 12
FREE = {
    datetime.date(2026, 12, 1): 3,
    datetime.date(2026, 12, 2): 0,
    datetime.date(2026, 12, 9): 12,
    datetime.date(2026, 12, 10): 0,
    datetime.date(2026, 12, 31): 1,
}


def _context(day, picker_args):
    grid = availability.month_grid(YEAR, MONTH)
    return dict(
        year=YEAR,
        month=MONTH,
        grid=grid,
        free=FREE,
        today=datetime.date(2026, 11, 20),
        day=day,
        prev=availability.shift_month(YEAR, MONTH, -1),
        next=availability.shift_month(YEAR, MONTH, 1),
        picker_endpoint="booking.choose",
        picker_args=picker_args,
    )


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize(
    "day", [None, datetime.date(2026, 12, 9), datetime.date(2026, 12, 10), datetime.date(2026, 12, 5)]
)
@pytest.mark.parametrize("addons", [[], ["EYE", "H&<x>"]])
def test_weeks_as_the_template_printed_them(app, language, day, addons):
    picker_args = dict(code="BASIC&F", addons=addons)
    with app.test_request_context("/"), force_locale(language):
        context = _context(day, picker_args)
        old = render_template("booking/_month.html", **context)
        for _ in range(2):
            weeks = month_weeks(YEAR, MONTH, context["grid"], FREE, day, "booking.choose", picker_args)
            new = render_template("booking/_month.html", month_weeks=weeks, **context)
            assert new == old
    assert new.count('class="open') == 3 and new.count('class="full') == 2


def test_no_open_day(app):
    with app.test_request_context("/"):
        context = dict(_context(None, dict(code="X", addons=[])), free={})
        weeks = month_weeks(YEAR, MONTH, context["grid"], {}, None, "booking.choose", context["picker_args"])
        assert render_template("booking/_month.html", month_weeks=weeks, **context) == render_template(
            "booking/_month.html", **context
        )
