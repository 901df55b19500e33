"""When a client's data request must be answered: 15 working days after the day it was made."""

import datetime

ANSWER_WORKING_DAYS = 15


def add_working_days(day, count):
    """The ``count``-th Monday-to-Friday after ``day`` (public holidays are not known here)."""
    while count > 0:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def due_date(requested_on):
    return add_working_days(requested_on, ANSWER_WORKING_DAYS)
