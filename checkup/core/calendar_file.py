"""An iCalendar (.ics) event for an appointment, so clients can put it in their calendar.

The ``icalendar`` library writes the file: escaping, line folding (never inside a UTF-8 character) and
CRLF line ends as RFC 5545 wants them.
"""

import datetime

from icalendar import Calendar, Event

PRODUCT_ID = "-//Checkup Portal//Booking//EN"


def appointment_ics(
    uid: str, start: datetime.datetime, end: datetime.datetime, summary: object, location: object, description: object
) -> bytes:
    """``start``/``end`` are aware datetimes; the file states them in UTC."""
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", datetime.datetime.now(datetime.UTC).replace(microsecond=0))
    # in UTC ("…Z"), so the file carries no VTIMEZONE and every calendar shows the same moment
    event.add("dtstart", start.astimezone(datetime.UTC))
    event.add("dtend", end.astimezone(datetime.UTC))
    event.add("summary", str(summary))
    event.add("location", str(location))
    event.add("description", str(description))

    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("method", "PUBLISH")
    calendar.add_component(event)
    ics: bytes = calendar.to_ical()  # icalendar leaves it unannotated
    return ics
