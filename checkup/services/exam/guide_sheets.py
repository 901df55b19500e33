"""The guide sheet (导检单) a checked-in client carries: one line per station in the suggested order, the
breakfast line and the preparation notes, as plain data for the PDF; its printing is audited."""

from flask import current_app
from flask_babel import lazy_gettext as _l

from checkup.config import center_identity
from checkup.core import audit, national_id
from checkup.core.labels import choice_label
from checkup.models import AddonModule, Appointment, AppointmentAddon
from checkup.models.appointments import BOOKED, CANCELLED, CHECKED_IN, COMPLETED, NO_SHOW
from checkup.reports.guide_sheet import GuideSheetRenderer
from checkup.services.catalog import containers, station_order
from checkup.services.catalog.packages import age_on, preparation_notes
from checkup.services.exam import specimens

STATUSES = (BOOKED, CHECKED_IN, COMPLETED, NO_SHOW, CANCELLED)
SHEET_PAGE_ROWS = 50  # rows on one page of the day sheet (a day of 1,000 appointments is 20 pages)
IDENTITY_FIELDS = ("name", "birth_date", "national_id")


def _name(value, chinese):
    """A catalog object's name in the sheet's language (the other language when it has none)."""
    return (value.name_zh or value.name_en) if chinese else (value.name_en or value.name_zh)


def _brief(stop_rows, station_id, chinese, addon_word):
    """A station's examinations in brief: the panels drawn there (lab items done at another station) or the
    items themselves, add-ons marked."""
    parts, marks = [], {}
    for row in stop_rows:
        item = row.item
        name = _name(item.department, chinese) if item.department_id != station_id else _name(item, chinese)
        if name not in marks:
            parts.append(name)
            marks[name] = False
        marks[name] = marks[name] or row.is_addon
    words = [f"{name} ({addon_word})" if marks[name] else name for name in parts]
    return ("、" if chinese else ", ").join(words)


def guide_sheet_data(appointment_id, chinese=False, printing=False):
    """Everything the guide sheet (导检单) shows, as plain data, in four queries: the client, and one line per
    station in the suggested order (``station_order``: fasting first, then the catalog's order rules), a
    breakfast line after the last fasting station, and the distinct preparation notes.

    Raises NotFound for an unknown appointment; ``printing``: ValidationError unless the client is checked in
    (the desk prints the sheet at check-in, as the labels).
    """
    appointment = specimens.appointment_with_client(appointment_id)
    if printing:
        specimens.check_printable(appointment, GUIDE_REFUSAL)
    client, slot = appointment.client, appointment.slot
    rows = specimens.appointment_items(appointment.id)
    stops, rows_by_stop = {}, {}
    for row in rows:
        item = row.item
        station = item.station if item.station_id else item.department
        if station.id not in stops:
            stops[station.id] = station_order.Stop(
                station.id, station.sort_order, station.code, name=_name(station, chinese)
            )
            rows_by_stop[station.id] = []
        stops[station.id].fasting = stops[station.id].fasting or item.fasting
        rows_by_stop[station.id].append(row)
    ordered = station_order.order_stations(list(stops.values()), station_order.rule_pairs())
    addon_word = str(GUIDE_LABELS["addon"])
    lines = []
    last_fasting = max((n for n, stop in enumerate(ordered) if stop.fasting), default=None)
    for n, stop in enumerate(ordered, start=1):
        codes = containers.in_draw_order(r.item.container for r in rows_by_stop[stop.station_id])
        lines.append(
            {
                "number": n,
                "code": stop.code,
                "name": stop.name,
                "fasting": stop.fasting,
                "items": _brief(rows_by_stop[stop.station_id], stop.station_id, chinese, addon_word),
                "containers": ("、" if chinese else ", ").join(str(containers.CONTAINERS[c].colour) for c in codes),
            }
        )
        if last_fasting is not None and n - 1 == last_fasting and n < len(ordered):
            lines.append({"breakfast": True})
    addons = (
        AddonModule.select(AddonModule.name_en, AddonModule.name_zh)
        .join(AppointmentAddon)
        .where(AppointmentAddon.appointment == appointment.id)
        .order_by(AddonModule.sort_order, AddonModule.code)
    )
    return {
        "center_name": center_identity(current_app.config, "zh" if chinese else "en")["name"],
        "exam_code": appointment.exam_code,
        "client_name": client.name,
        "sex": str(choice_label("sex", client.sex)),
        "age": str(_l("%(n)s years", n=age_on(client.birth_date, appointment.day))),
        "masked_national_id": national_id.masked_from_cipher(client.national_id_cipher),
        "day": appointment.day.isoformat(),
        "slot": f"{slot.start_time:%H:%M}–{slot.end_time:%H:%M}",
        "package": _name(appointment.package, chinese) if appointment.package else "",
        "addons": ("、" if chinese else ", ").join(_name(m, chinese) for m in addons),
        "stops": lines,
        "prep_notes": preparation_notes([row.item for row in rows], chinese),
        "labels": {key: str(value) for key, value in GUIDE_LABELS.items()},
    }


def print_guide_sheet(actor, appointment_id, chinese=False):
    """(exam code, PDF bytes) of the appointment's guide sheet; every print (and reprint) is audited
    ("exam_day.guide_sheet_printed"). Raises NotFound, or ValidationError for a client not checked in."""
    data = guide_sheet_data(appointment_id, chinese, printing=True)
    pdf = GuideSheetRenderer().build(data)
    audit.record(actor, "exam_day.guide_sheet_printed", Appointment(id=appointment_id), exam_code=data["exam_code"])
    return data["exam_code"], pdf


GUIDE_REFUSAL = _l("The guide sheet is printed once the client is checked in; this appointment is %(status)s.")

# The sheet's fixed wording, translated here so the renderer stays free of Flask.
GUIDE_LABELS = {
    "title": _l("Guide sheet"),
    "sex_age": _l("Sex / age"),
    "national_id": _l("ID number"),
    "date": _l("Date"),
    "package": _l("Package"),
    "addons": _l("Add-ons"),
    "number": _l("No."),
    "station": _l("Station"),
    "items": _l("Examinations"),
    "done": _l("Done"),
    "fasting": _l("Fasting — before breakfast"),
    "breakfast": _l("Breakfast: you may eat and drink now — the stations below need no fasting."),
    "containers": _l("Tubes and cups"),
    "addon": _l("add-on"),
    "reminders": _l("Before your examinations"),
    "page": _l("Page %(page)s of %(pages)s"),
    "no_items": _l("No examinations on this appointment."),
}
