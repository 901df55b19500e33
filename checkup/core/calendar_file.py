"""An iCalendar (.ics) event for an appointment, so clients can put it in their calendar."""
import datetime


def _escape(text: object) -> str:
    return (str(text).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545)."""
    data = line.encode("utf-8")
    parts = []
    while len(data) > 75:
        cut = 75
        while (data[cut] & 0xC0) == 0x80:  # never split a UTF-8 character
            cut -= 1
        parts.append(data[:cut])
        data = data[cut:]
    parts.append(data)
    return b"\r\n ".join(parts).decode("utf-8")


def appointment_ics(uid: str, start: datetime.datetime, end: datetime.datetime, summary: object, location: object,
                    description: object) -> bytes:
    """``start``/``end`` are aware datetimes; the file states them in UTC."""
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")

    def utc(moment: datetime.datetime) -> str:
        return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")

    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Checkup Portal//Booking//EN", "METHOD:PUBLISH",
        "BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{stamp}", f"DTSTART:{utc(start)}", f"DTEND:{utc(end)}",
        f"SUMMARY:{_escape(summary)}", f"LOCATION:{_escape(location)}", f"DESCRIPTION:{_escape(description)}",
        "END:VEVENT", "END:VCALENDAR",
    ]
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")
