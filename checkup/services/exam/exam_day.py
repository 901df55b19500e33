"""The exam day at the front desk: the day sheet, check-in, no-shows, walk-ins and the guide sheet's data.

Counters: a check-in keeps the places it booked (checked-in is live). A no-show, marked only once its
slot is over, releases its slot and limited-resource places like a cancellation does, so
``Slot.booked``/``ResourceDay.booked`` keep meaning "live (booked or checked-in) appointments" — and
a CT place a no-show left is free again for a walk-in later that day.

Who checked a client in and when is kept in the audit log (``exam_day.checked_in``), with the identity
fields the desk confirmed; nothing else about the identity check is stored.

A record a company roster made (HR's data) is marked on the sheet: before check-in the desk may read the
ID card and join it to the center's earlier record of the person (``enrollment_identity.join_at_desk``);
checking it in with the ID number confirmed makes that number the record's own.
"""

import datetime
from dataclasses import dataclass, field
from typing import NamedTuple

from flask import current_app
from flask_babel import lazy_gettext as _l
from peewee import JOIN, Tuple, fn

from checkup.config import center_identity
from checkup.core import audit, clock, national_id
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.core.labels import choice_label
from checkup.core.plain_rows import plain_tuples
from checkup.core.prepared import PreparedSelect
from checkup.models import AddonModule, Appointment, AppointmentAddon, AuditEvent, Client, Package, Slot
from checkup.models.appointments import BOOKED, CANCELLED, CHECKED_IN, COMPLETED, NO_SHOW
from checkup.models.base import db, utcnow
from checkup.reports.guide_sheet import GuideSheetRenderer
from checkup.services.booking import booking
from checkup.services.catalog import containers, station_order
from checkup.services.catalog.packages import age_on, preparation_notes
from checkup.services.exam import events, specimens
from checkup.services.groups import enrollment_identity

STATUSES = (BOOKED, CHECKED_IN, COMPLETED, NO_SHOW, CANCELLED)
SHEET_PAGE_ROWS = 50  # rows on one page of the day sheet (a day of 1,000 appointments is 20 pages)
IDENTITY_FIELDS = ("name", "birth_date", "national_id")


class NoPlaceToday(Conflict):
    """No slot today still has room (or a limited resource the package needs is full)."""


@dataclass
class DaySheetRow:
    appointment_id: int
    day: object
    exam_code: str
    status: str
    source: str
    client_id: int
    name: str
    sex: str
    age: int
    birth_date: object
    phone: str
    masked_national_id: str
    package: object
    slot_ended: bool
    is_today: bool
    checked_in_at: object = None  # aware datetime in the center's zone, from the audit log
    roster_record: bool = False  # a record a company roster made, not yet confirmed as anyone's own
    roster_id_hash: str | None = None
    known_elsewhere: bool = False  # another record of the center holds the roster's ID number
    slot_id: int = 0

    @property
    def identity_fields(self):
        """The fields the desk must confirm before checking this client in."""
        return IDENTITY_FIELDS if self.masked_national_id else IDENTITY_FIELDS[:2]

    @property
    def can_check_in(self):
        return self.status == BOOKED and self.is_today

    @property
    def can_mark_no_show(self):
        return self.status == BOOKED and self.slot_ended


@dataclass
class DaySheetSlot:
    """A slot of the day with its appointments counted by status (cancelled ones included); ``rows`` are
    filled only for the slots the page shows."""

    slot: Slot
    rows: list = field(default_factory=list)
    ended: bool = False
    counts: dict = field(default_factory=dict)

    @property
    def expected(self):
        """Appointments not cancelled: the rows the slot has on the sheet."""
        return sum(n for status, n in self.counts.items() if status != CANCELLED)

    @property
    def waiting(self):
        return self.counts.get(BOOKED, 0)


@dataclass(frozen=True)
class SheetPosition:
    """Where a page of the day sheet starts: a slot, and how many of its rows come before (a slot with more
    rows than a page is shown in parts)."""

    slot_id: int
    start: int = 0


@dataclass
class DayCounts:
    """The day's appointments counted by status, in total and per slot (every slot of the day, in order)."""

    day: object
    slots: list  # DaySheetSlot, rows empty
    counts: dict

    @property
    def total(self):
        return sum(self.counts.values())

    @property
    def expected(self):
        """Everyone still coming or here today (not cancelled)."""
        return self.total - self.counts.get(CANCELLED, 0)


@dataclass
class DaySheet(DayCounts):
    """One page of the day sheet: whole slots from ``position`` on, as many as fit in SHEET_PAGE_ROWS rows
    (a bigger slot in parts); ``slots`` holds the shown slots with their rows, ``overview`` every slot of
    the day with its counts (the page's navigation)."""

    is_today: bool = False
    overview: list = field(default_factory=list)
    position: SheetPosition | None = None
    earlier: SheetPosition | None = None
    later: SheetPosition | None = None

    @property
    def shown_ids(self):
        return {group.slot.id for group in self.slots}


class SheetPackage(NamedTuple):
    """The package of a day-sheet row: what the sheet shows of it (``localized`` reads the names)."""

    code: str
    name_en: str
    name_zh: str


# the columns a day-sheet row shows, in the order _rows reads them: plain columns only (see plain_tuples)
_ROW_COLUMNS = (
    Appointment.id,
    Appointment.day,
    Appointment.exam_code,
    Appointment.status,
    Appointment.source,
    Appointment.slot,
    Slot.end_time,
    Client.id,
    Client.name,
    Client.sex,
    Client.birth_date,
    Client.phone,
    Client.national_id_cipher,
    Client.roster_unverified_since,
    Client.roster_id_hash,
    Package.code,
    Package.name_en,
    Package.name_zh,
)


def _sheet_rows_select():
    return (
        Appointment.select(*_ROW_COLUMNS)
        .join_from(Appointment, Client)
        .join_from(Appointment, Package, JOIN.LEFT_OUTER)
        .join_from(Appointment, Slot)
    )


def _page_rows_select(day, first_start, first_id, last_start, last_id, limit, offset):
    """A page of the day's rows (cancelled ones left out) in the slots from (``first_start``, ``first_id``) to
    (``last_start``, ``last_id``) in the day's slot order — the page's whole slots, consecutive in that order
    (``_window``) — so that its SQL keeps one shape whatever the number of slots shown."""
    slot_order = Tuple(Slot.start_time, Slot.id)
    return (
        _sheet_rows_select()
        .where(
            Appointment.day == day,
            Appointment.status != CANCELLED,
            Slot.day == day,
            slot_order >= Tuple(first_start, first_id),
            slot_order <= Tuple(last_start, last_id),
        )
        .order_by(Slot.start_time, Slot.id, Client.name, Appointment.id)
        .limit(limit)
        .offset(offset)
    )


# every day-sheet page reads one: its SQL is built (and planned, on PostgreSQL: more than the reading) once
_PAGE_ROWS = PreparedSelect(
    _page_rows_select,
    "checkup_day_sheet_rows",
    samples=(
        datetime.date(1, 1, 3),
        datetime.time(0, 0, 1),
        -2_000_000_011,
        datetime.time(0, 0, 2),
        -2_000_000_012,
        -2_000_000_013,
        -2_000_000_014,
    ),
)


def _rows(tuples, now, today):
    """DaySheetRows of ``_sheet_rows_select`` rows read as plain tuples: no model objects (a page has 50)."""
    rows, ended, packages = [], {}, {}
    for (
        appointment_id,
        day,
        exam_code,
        status,
        source,
        slot_id,
        end_time,
        client_id,
        name,
        sex,
        birth_date,
        phone,
        cipher,
        roster_since,
        roster_id_hash,
        *package,
    ) in tuples:
        slot_ended = ended.get((day, end_time))
        if slot_ended is None:
            slot_ended = ended[day, end_time] = clock.local(day, end_time) <= now
        package_code = package[0]
        if package_code is not None and package_code not in packages:
            packages[package_code] = SheetPackage(*package)
        roster_record = roster_since is not None  # enrollment_identity.is_roster_record
        rows.append(
            DaySheetRow(
                appointment_id=appointment_id,
                day=day,
                exam_code=exam_code,
                status=status,
                source=source,
                client_id=client_id,
                name=name,
                sex=sex,
                age=age_on(birth_date, day),
                birth_date=birth_date,
                phone=phone,
                masked_national_id=national_id.masked_from_cipher(cipher),
                package=packages.get(package_code),
                slot_ended=slot_ended,
                is_today=day == today,
                roster_record=roster_record,
                roster_id_hash=roster_id_hash if roster_record else None,
                slot_id=slot_id,
            )
        )
    return rows


def _mark_known_elsewhere(rows):
    """One query (none without roster rows): which roster rows' ID numbers another record holds."""
    held = enrollment_identity.held_elsewhere(r.roster_id_hash for r in rows if r.roster_record)
    for row in rows:
        row.known_elsewhere = row.roster_record and row.roster_id_hash in held


def _check_in_times(appointment_ids):
    """{appointment id: aware check-in time} from the audit log, in one query (even for none: a fixed count)."""
    events = AuditEvent.select(AuditEvent.object_id, AuditEvent.at).where(
        AuditEvent.action == "exam_day.checked_in",
        AuditEvent.object_type == "appointment",
        AuditEvent.object_id.in_([str(i) for i in appointment_ids]),
    )
    return {int(object_id): clock.from_utc(at) for object_id, at in plain_tuples(events)}


def _slot_status_counts(appointments_day, slots_day):
    return (
        Slot.select(Slot, Appointment.status, fn.COUNT(Appointment.id).alias("n"))
        .join(Appointment, JOIN.LEFT_OUTER, on=((Appointment.slot == Slot.id) & (Appointment.day == appointments_day)))
        .where(Slot.day == slots_day)
        .group_by(Slot.id, Appointment.status)
        .order_by(Slot.start_time, Slot.id)
        .objects()
    )


# every day-sheet page and every check-in's answer counts the day: its SQL is built once per process
_SLOT_STATUS_COUNTS = PreparedSelect(_slot_status_counts, "checkup_day_slot_status_counts")


def day_counts(day):
    """The day's slots in order, each with its appointments counted by status, and the day's totals: one
    query (grouped in SQL), whatever the number of appointments."""
    now = clock.now()
    slots, counts = {}, {status: 0 for status in STATUSES}
    for row in _SLOT_STATUS_COUNTS.rows(day, day):
        group = slots.get(row.id)
        if group is None:
            group = slots[row.id] = DaySheetSlot(row, ended=clock.local(row.day, row.end_time) <= now)
        if row.status is not None:
            group.counts[row.status] = row.n
            counts[row.status] = counts.get(row.status, 0) + row.n
    # GROUP BY answers a slot's statuses in no defined order (PostgreSQL hashes them): show them in the
    # order of STATUSES, so the counters read the same on every database and after every refresh
    for group in slots.values():
        group.counts = {status: group.counts[status] for status in _status_order(group.counts)}
    return DayCounts(day=day, slots=list(slots.values()), counts=counts)


def _status_order(counts):
    """The statuses of ``counts`` in the order of STATUSES (any unknown one last, by name)."""
    return [s for s in STATUSES if s in counts] + sorted(s for s in counts if s not in STATUSES)


def _default_position(overview, is_today):
    """Today: the first slot that still needs the desk (not over yet, or over with someone still booked,
    to be marked a no-show); another day: the first slot."""
    if is_today:
        for group in overview:
            if not group.ended or group.waiting:
                return SheetPosition(group.slot.id)
    return SheetPosition(overview[0].slot.id) if overview else None


def _window(overview, index, start):
    """(the slots a page starting at ``overview[index]``/``start`` shows, the position after it)."""
    first = overview[index]
    left = max(0, first.expected - start)
    if left > SHEET_PAGE_ROWS:
        return [first], SheetPosition(first.slot.id, start + SHEET_PAGE_ROWS)
    shown, rows = [first], left
    for group in overview[index + 1 :]:
        if rows + group.expected > SHEET_PAGE_ROWS:
            return shown, SheetPosition(group.slot.id)
        shown.append(group)
        rows += group.expected
    return shown, None


def _earlier(overview, index, start):
    """The position of the page before one that starts at ``overview[index]``/``start``."""
    if start > 0:
        return SheetPosition(overview[index].slot.id, max(0, start - SHEET_PAGE_ROWS))
    if index == 0:
        return None
    before = overview[index - 1]
    if before.expected > SHEET_PAGE_ROWS:  # its last part
        return SheetPosition(before.slot.id, (before.expected - 1) // SHEET_PAGE_ROWS * SHEET_PAGE_ROWS)
    first, rows = index - 1, before.expected
    while first > 0 and rows + overview[first - 1].expected <= SHEET_PAGE_ROWS:
        first -= 1
        rows += overview[first].expected
    return SheetPosition(overview[first].slot.id)


def day_sheet(day, slot_id=None, start=0):
    """A page of the day sheet: the day's counts by status and per slot, and the rows (cancelled ones only
    counted) of whole slots from ``slot_id`` (default: see ``_default_position``), skipping ``start``
    rows of it, as many as fit in SHEET_PAGE_ROWS. Three queries, whatever the size of the day."""
    today = clock.today()
    overview = day_counts(day)
    index_of = {group.slot.id: i for i, group in enumerate(overview.slots)}
    position = SheetPosition(slot_id, max(0, start or 0)) if slot_id in index_of else None
    position = position or _default_position(overview.slots, day == today)
    sheet = DaySheet(day=day, slots=[], counts=overview.counts, is_today=day == today, overview=overview.slots)
    if position is None:
        return sheet
    index = index_of[position.slot_id]
    if position.start >= overview.slots[index].expected:
        position = SheetPosition(position.slot_id)  # past the slot's end (rows went meanwhile): its start
    shown, sheet.later = _window(overview.slots, index, position.start)
    sheet.position, sheet.earlier = position, _earlier(overview.slots, index, position.start)
    sheet.slots = [DaySheetSlot(g.slot, ended=g.ended, counts=g.counts) for g in shown]
    by_slot = {group.slot.id: group for group in sheet.slots}
    now = clock.now()
    first, last = sheet.slots[0].slot, sheet.slots[-1].slot
    tuples = _PAGE_ROWS.plain(
        day,
        first.start_time,
        first.id,
        last.start_time,
        last.id,
        SHEET_PAGE_ROWS + 1,  # + 1: a booking made since the counts does not make the page longer
        position.start,
    )
    # (a slot added to the range since the counts is not on this page)
    rows = [row for row in _rows(tuples, now, today) if row.slot_id in by_slot][:SHEET_PAGE_ROWS]
    for row in rows:
        by_slot[row.slot_id].rows.append(row)
    times = _check_in_times([r.appointment_id for r in rows if r.status != BOOKED])
    for row in rows:
        row.checked_in_at = times.get(row.appointment_id)
    _mark_known_elsewhere(rows)
    return sheet


def sheet_row(appointment_id):
    """One day-sheet row (for swapping a single row after an action), in two queries."""
    found = _rows(
        plain_tuples(_sheet_rows_select().where(Appointment.id == appointment_id)), clock.now(), clock.today()
    )
    if not found:
        raise NotFound(_l("We could not find that appointment."))
    row = found[0]
    row.checked_in_at = _check_in_times([row.appointment_id]).get(row.appointment_id)
    _mark_known_elsewhere([row])
    return row


def _appointment(appointment_id):
    appointment = (
        Appointment.select(Appointment, Client, Slot)
        .join_from(Appointment, Client)
        .join_from(Appointment, Slot)
        .where(Appointment.id == appointment_id)
        .first()
    )
    if appointment is None:
        raise NotFound(_l("We could not find that appointment."))
    return appointment


def required_identity_fields(client):
    return IDENTITY_FIELDS if client.national_id_cipher else IDENTITY_FIELDS[:2]


def _confirmed_identity(client, verified_fields):
    """The identity fields confirmed, or ValidationError naming those still to confirm."""
    confirmed = {f for f in (verified_fields or ()) if f in IDENTITY_FIELDS}
    missing = [f for f in required_identity_fields(client) if f not in confirmed]
    if missing:
        message = _l(
            "Confirm the client's identity first: tick that the name, birth date and ID number "
            "(when on file) match the person at the desk."
        )
        raise ValidationError(message, {f: message for f in missing})
    return sorted(confirmed & set(required_identity_fields(client)))


def check_in(actor, appointment_id, verified_fields):
    """Check a booked appointment of today in, once the desk confirmed the client's identity.

    Records who and when (audit ``exam_day.checked_in``, with the fields confirmed). A roster's record
    whose ID number was confirmed becomes an ordinary record (see module doc). Raises NotFound,
    ValidationError (another day, not booked, identity not confirmed, a roster's record whose ID number
    another record holds) or Conflict (checked in meanwhile).
    """
    appointment = _appointment(appointment_id)
    today = clock.today()
    if appointment.day != today:
        raise ValidationError(
            _l(
                "This appointment is on %(day)s. Clients can be checked in on the day of "
                "their appointment only (today is %(today)s).",
                day=appointment.day.isoformat(),
                today=today.isoformat(),
            )
        )
    if appointment.status != BOOKED:
        raise ValidationError(
            _l(
                "Only a booked appointment can be checked in; this one is %(status)s.",
                status=choice_label("appointment_status", appointment.status),
            )
        )
    confirmed = _confirmed_identity(appointment.client, verified_fields)
    with db.atomic():
        enrollment_identity.confirm_at_check_in(appointment.client, confirmed)
        changed = (
            Appointment.update(status=CHECKED_IN, updated_at=utcnow())
            .where(Appointment.id == appointment.id, Appointment.status == BOOKED)
            .execute()
        )
        if changed != 1:
            raise Conflict(_l("Someone else changed this appointment just now. Reload the day sheet."))
        audit.record(
            actor, "exam_day.checked_in", appointment, identity_confirmed=confirmed, exam_code=appointment.exam_code
        )
        events.appointment_checked_in.send(appointment, actor=actor)  # integrations: the webhook
    return Appointment.get_by_id(appointment.id)


def mark_no_show(actor, appointment_id):
    """Mark a booked appointment whose slot has ended as a no-show, releasing its places (see module doc).

    Raises NotFound, or ValidationError (slot not over yet, not booked).
    """
    appointment = _appointment(appointment_id)
    slot = appointment.slot
    if clock.local(slot.day, slot.end_time) > clock.now():
        raise ValidationError(
            _l(
                "A client can be marked as a no-show only after their time slot has ended (%(end)s on %(day)s).",
                end=slot.end_time.strftime("%H:%M"),
                day=slot.day.isoformat(),
            )
        )
    if appointment.status != BOOKED:
        raise ValidationError(
            _l(
                "Only a booked appointment can be marked as a no-show; this one is %(status)s.",
                status=choice_label("appointment_status", appointment.status),
            )
        )
    with db.atomic():
        changed = (
            Appointment.update(status=NO_SHOW, live_day=None, updated_at=utcnow())
            .where(Appointment.id == appointment.id, Appointment.status == BOOKED)
            .execute()
        )
        if changed != 1:
            raise Conflict(_l("Someone else changed this appointment just now. Reload the day sheet."))
        booking._release(appointment.slot_id, appointment.day, booking.resource_ids_of(appointment.id))
        events.appointment_no_show.send(appointment, actor=actor)  # money: a contract's no-show charge
        audit.record(actor, "exam_day.no_show", appointment, exam_code=appointment.exam_code)
    return Appointment.get_by_id(appointment.id)


def walk_in_slots():
    """Today's slots still under way or to come that have a free place, earliest first."""
    now = clock.now()
    slots = (
        Slot.select()
        .where(Slot.day == now.date(), Slot.closed == False, Slot.booked + Slot.held < Slot.capacity)
        .order_by(Slot.start_time)
    )
    return [s for s in slots if clock.local(s.day, s.end_time) > now]


def register_walk_in(actor, client_id, package_code, verified_fields=None):
    """Book a client who walked in into today's current or next slot with room, and check them in at once.

    Identity is confirmed as for any check-in. Raises NotFound (client), ValidationError (package not
    allowed, already booked today, identity not confirmed) or NoPlaceToday.
    """
    client = booking.client_for(client_id)
    booking.quote(client, package_code)  # an ineligible package fails here, before any place is taken
    _confirmed_identity(client, verified_fields)
    today = clock.today()
    if Appointment.select().where(Appointment.client == client.id, Appointment.live_day == today).exists():
        raise ValidationError(_l("This client already has an appointment today: check them in from the day sheet."))
    appointment = None
    for slot in walk_in_slots():
        try:
            appointment = booking.book(actor, client.id, slot.id, package_code, source="walk_in", allow_started=True)
            break
        except booking.PlaceTaken:
            continue  # that slot (or a resource) filled up meanwhile: try the next one
    if appointment is None:
        raise NoPlaceToday(_l("No place left today for this package. Book the client on another day."))
    return check_in(actor, appointment.id, verified_fields)


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
