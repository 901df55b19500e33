"""An iCalendar (.ics) event for an appointment, so clients can put it in their calendar.

The ``icalendar`` library writes the file: escaping, line folding (never inside a UTF-8 character) and
CRLF line ends as RFC 5545 wants them.

One appointment is one event for its whole life: the UID stays, and each change (a move, a
cancellation) sends the event again with SEQUENCE one higher, so the client's calendar replaces the
entry instead of adding a second one. Emailed, it is an iTIP message (RFC 5546): METHOD:REQUEST for the
invitation and every update, METHOD:CANCEL (STATUS:CANCELLED) when it is called off; both name the
center as ORGANIZER and the client as ATTENDEE, as calendar programs expect. Downloaded from the
portal it is METHOD:PUBLISH.
"""

import datetime

from icalendar import Calendar, Event, vCalAddress, vText

PRODUCT_ID = "-//Checkup Portal//Booking//EN"
PUBLISH, REQUEST, CANCEL = "PUBLISH", "REQUEST", "CANCEL"


def _address(email: str, name: object) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["cn"] = vText(str(name))
    return address


def appointment_ics(
    uid: str,
    start: datetime.datetime,
    end: datetime.datetime,
    summary: object,
    location: object,
    description: object,
    sequence: int = 0,
    method: str = PUBLISH,
    organizer: tuple[str, object] | None = None,
    attendee: tuple[str, object] | None = None,
) -> bytes:
    """``start``/``end`` are aware datetimes; the file states them in UTC. ``organizer`` and ``attendee``
    are (email, display name) pairs; ``method`` CANCEL marks the event cancelled."""
    if method not in (PUBLISH, REQUEST, CANCEL):
        raise ValueError(f"unknown iTIP method {method!r}")
    event = Event()
    event.add("uid", uid)
    event.add("sequence", int(sequence))
    event.add("dtstamp", datetime.datetime.now(datetime.UTC).replace(microsecond=0))
    # in UTC ("…Z"), so the file carries no VTIMEZONE and every calendar shows the same moment
    event.add("dtstart", start.astimezone(datetime.UTC))
    event.add("dtend", end.astimezone(datetime.UTC))
    event.add("summary", str(summary))
    event.add("location", str(location))
    event.add("description", str(description))
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    if organizer and organizer[0]:
        event.add("organizer", _address(*organizer))
    if attendee and attendee[0]:
        guest = _address(*attendee)
        guest.params["role"] = vText("REQ-PARTICIPANT")
        guest.params["partstat"] = vText("ACCEPTED")  # the client booked it: nothing to accept or decline
        guest.params["rsvp"] = vText("FALSE")
        event.add("attendee", guest)

    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("method", method)
    calendar.add_component(event)
    ics: bytes = calendar.to_ical()  # icalendar leaves it unannotated
    return ics
