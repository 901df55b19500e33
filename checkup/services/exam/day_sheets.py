"""The front desk's day sheet: a day's appointments by slot, paged, with counts by status, who is checked in
and when, and one row again after an action on it."""

import datetime
from dataclasses import dataclass, field
from typing import NamedTuple

from flask import current_app
from flask_babel import lazy_gettext as _l
from peewee import JOIN, SQL, Case, Tuple, fn

from checkup.core import clock, national_id
from checkup.core.errors import NotFound
from checkup.core.plain_rows import plain_tuples
from checkup.core.prepared import PerShape, PreparedSelect
from checkup.models import Appointment, AuditEvent, Client, Package, Slot
from checkup.models.appointments import BOOKED, CANCELLED, CHECKED_IN, COMPLETED, NO_SHOW
from checkup.services.booking.capacity import SLOT_COLUMNS, DaySlot
from checkup.services.catalog.packages import age_on
from checkup.services.groups import enrollment_identity

STATUSES = (BOOKED, CHECKED_IN, COMPLETED, NO_SHOW, CANCELLED)
SHEET_PAGE_ROWS = 50  # rows on one page of the day sheet (a day of 1,000 appointments is 20 pages)
IDENTITY_FIELDS = ("name", "birth_date", "national_id")


@dataclass(slots=True)
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

    slot: "DaySlot"
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
    (``_window``) — so that its SQL keeps one shape whatever the number of slots shown.

    The page is picked from narrow rows (the appointment's id, the client's name kept on it and the slot's
    order) and only its rows are joined to the wide columns: sorting a busy slot's ~270 whole rows (the
    client's cipher, phone, package names) by name was most of the statement's time on PostgreSQL. The name
    is the one kept on the appointment (migration 0032), read from the index on (day, slot, client name, id)
    of the live appointments: a lookup into ``client`` for each of a busy slot's ~290 appointments, only to
    sort them, was most of what was left."""
    slot_order = Tuple(Slot.start_time, Slot.id)
    page = (
        Appointment.select(Appointment.id)
        .join_from(Appointment, Slot)
        .where(
            Appointment.day == day,
            Appointment.status != CANCELLED,  # a constant of the prepared statement: the index's condition
            Slot.day == day,
            slot_order >= Tuple(first_start, first_id),
            slot_order <= Tuple(last_start, last_id),
        )
        .order_by(Slot.start_time, Slot.id, Appointment.client_name, Appointment.id)
        .limit(limit)
        .offset(offset)
        .alias("page")
    )
    check_in = AuditEvent.alias()
    return (
        _sheet_rows_select()
        .select_extend(check_in.at)
        .join_from(Appointment, page, on=(Appointment.id == page.c.id))
        .join_from(Appointment, check_in, JOIN.LEFT_OUTER, on=_check_in_of(check_in))
        .order_by(Slot.start_time, Slot.id, Appointment.client_name, Appointment.id)
    )


def _check_in_of(event):
    """The join to the row's check-in in the audit log (``event``: an alias of AuditEvent), for rows past
    booking only (as ``_check_in_times`` reads them): an indexed lookup per row of the page, joined (no
    statement of its own, and no subplan run per row); a row checked in twice comes twice (``_rows`` keeps
    the later). A booked row looks for the object id NULL, which the index answers without reading it."""
    past_booking = Case(None, [(Appointment.status != BOOKED, Appointment.id.cast("VARCHAR"))], None)
    return (
        (event.object_type == "appointment")
        & (event.object_id == past_booking)
        & (event.action == "exam_day.checked_in")
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


# {NATIONAL_ID_KEY: {cipher: masked ID number}}: a mask is a function of the cipher alone (Fernet's cipher of
# a value is written once and never changes with it), so each process decrypts a cipher once and not on every
# page; bounded (emptied when full), and per key (a new key drops what the old one kept). Only a page that read
# the cipher (its access checked) asks for its mask.
_MASKS: dict[str, dict[str, str]] = {}
MASKS_KEPT = 20_000


def _masks():
    """The masks kept under the configured key (a fresh table for a new key, or once full)."""
    secret = current_app.config["NATIONAL_ID_KEY"]
    masks = _MASKS.get(secret)
    if masks is None or len(masks) >= MASKS_KEPT:
        masks = {}
        _MASKS.clear()
        _MASKS[secret] = masks
    return masks


def _masked(cipher, masks):
    """The masked ID number of ``cipher`` (national_id.masked_from_cipher), kept in ``masks``."""
    if not cipher:
        return ""
    masked = masks.get(cipher)
    if masked is None:
        masked = masks[cipher] = national_id.masked_from_cipher(cipher)
    return masked


def _rows(tuples, now, today, checked_in=False):
    """DaySheetRows of ``_sheet_rows_select`` rows read as plain tuples: no model objects (a page has 50);
    ``checked_in``: each tuple ends with the row's check-in time (``_check_in_of``, naive UTC), a row
    checked in twice comes twice in a row."""
    rows, ended, packages = [], {}, {}
    masks = _masks()
    zone = clock.zone()
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
        if checked_in:
            *package, at = package
            if at is not None:
                at = at.replace(tzinfo=datetime.UTC).astimezone(zone)
                if rows and rows[-1].appointment_id == appointment_id:  # checked in twice: the later time
                    if rows[-1].checked_in_at is None or at > rows[-1].checked_in_at:
                        rows[-1].checked_in_at = at
                    continue
        else:
            at = None
        package_code = package[0]
        if package_code is not None and package_code not in packages:
            packages[package_code] = SheetPackage(*package)
        roster_record = roster_since is not None  # enrollment_identity.is_roster_record
        rows.append(
            DaySheetRow(  # positionally, in the order of its fields (a page makes 50)
                appointment_id,
                day,
                exam_code,
                status,
                source,
                client_id,
                name,
                sex,
                age_on(birth_date, day),
                birth_date,
                phone,
                _masked(cipher, masks),
                packages.get(package_code),
                slot_ended,
                day == today,  # is_today
                at,  # checked_in_at
                roster_record,
                roster_id_hash if roster_record else None,
                False,  # known_elsewhere: _mark_known_elsewhere
                slot_id,
            )
        )
    return rows


def _mark_known_elsewhere(rows):
    """One query (none without roster rows): which roster rows' ID numbers another record holds."""
    held = enrollment_identity.held_elsewhere(r.roster_id_hash for r in rows if r.roster_record)
    for row in rows:
        row.known_elsewhere = row.roster_record and row.roster_id_hash in held


def _check_in_times_query(*object_ids):
    return AuditEvent.select(AuditEvent.object_id, AuditEvent.at).where(
        AuditEvent.action == "exam_day.checked_in",
        AuditEvent.object_type == "appointment",
        AuditEvent.object_id.in_(list(object_ids)),
    )


# a page's ids (up to SHEET_PAGE_ROWS) padded to the next of these lengths: one prepared select per length
CHECK_IN_SIZES = (1, 4, 16, SHEET_PAGE_ROWS)
NO_OBJECT_ID = "~" * 41  # longer than an audit event's object id (40): pads the list and matches nothing
_check_in_selects = PerShape(
    lambda size: PreparedSelect(
        _check_in_times_query,
        f"checkup_day_check_in_times_{size}",
        samples=tuple(f"~sample {n}~" for n in range(size)),
    )
)


def _check_in_times(appointment_ids):
    """{appointment id: aware check-in time} from the audit log, in one query (even for none: a fixed count)."""
    object_ids = [str(i) for i in appointment_ids]
    size = next((size for size in CHECK_IN_SIZES if size >= len(object_ids)), None)
    if size is None:
        events = plain_tuples(_check_in_times_query(*object_ids))
    else:
        events = _check_in_selects(size).plain(*object_ids, *[NO_OBJECT_ID] * (size - len(object_ids)))
    zone = clock.zone()  # clock.from_utc per event, its zone looked up once
    return {int(object_id): at.replace(tzinfo=datetime.UTC).astimezone(zone) for object_id, at in events}


def _slot_status_counts(appointments_day, slots_day):
    """The day's slots, each joined to its appointments' counts by status: counted from the appointments alone,
    then joined (grouping the join sorted a busy day's 1,300 rows by slot and status: twice the time)."""
    counts = (
        Appointment.select(Appointment.slot, Appointment.status, fn.COUNT(SQL("*")).alias("n"))
        .where(Appointment.day == appointments_day)
        .group_by(Appointment.slot, Appointment.status)
        .alias("counts")
    )
    return (
        Slot.select(*SLOT_COLUMNS, counts.c.status, counts.c.n)
        .join(counts, JOIN.LEFT_OUTER, on=(counts.c.slot_id == Slot.id))
        .where(Slot.day == slots_day)
        .order_by(Slot.start_time, Slot.id)
    )


# every day-sheet page and every check-in's answer counts the day: its SQL is built once per process
_SLOT_STATUS_COUNTS = PreparedSelect(_slot_status_counts, "checkup_day_slot_status_counts")


def day_counts(day):
    """The day's slots in order, each with its appointments counted by status, and the day's totals: one
    query (grouped in SQL), whatever the number of appointments."""
    now = clock.now()
    slots, counts = {}, {status: 0 for status in STATUSES}
    zone = clock.zone()  # clock.local per slot, its zone looked up once
    for *columns, status, n in _SLOT_STATUS_COUNTS.plain(day, day):
        slot_id = columns[0]
        group = slots.get(slot_id)
        if group is None:
            slot = DaySlot(*columns)
            ended = datetime.datetime.combine(slot.day, slot.end_time, tzinfo=zone) <= now
            group = slots[slot_id] = DaySheetSlot(slot, ended=ended)
        if status is not None:
            group.counts[status] = n
            counts[status] = counts.get(status, 0) + n
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


class SheetReading(NamedTuple):
    """What a page of the day sheet reads (``read_day_sheet``), before its rows are made DaySheetRows
    (``sheet_of``): the page is a function of it and of the language (``reading_key``)."""

    day: datetime.date
    today: datetime.date
    now: datetime.datetime
    overview: DayCounts
    position: SheetPosition | None = None
    earlier: SheetPosition | None = None
    later: SheetPosition | None = None
    shown: tuple = ()  # the overview's DaySheetSlots the page shows, in order
    tuples: tuple = ()  # the page's rows as _PAGE_ROWS reads them: its first SHEET_PAGE_ROWS appointments
    held: frozenset = frozenset()  # the roster ID hashes of the page's rows that another record holds


def read_day_sheet(day, slot_id=None, start=0):
    """What a page of the day sheet shows (see ``day_sheet``), read: two queries, whatever the size of the
    day (a third with a company roster's records on the page: ``enrollment_identity.held_elsewhere``)."""
    today, now = clock.today(), clock.now()
    overview = day_counts(day)
    index_of = {group.slot.id: i for i, group in enumerate(overview.slots)}
    position = SheetPosition(slot_id, max(0, start or 0)) if slot_id in index_of else None
    position = position or _default_position(overview.slots, day == today)
    if position is None:
        return SheetReading(day, today, now, overview)
    index = index_of[position.slot_id]
    if position.start >= overview.slots[index].expected:
        position = SheetPosition(position.slot_id)  # past the slot's end (rows went meanwhile): its start
    shown, later = _window(overview.slots, index, position.start)
    earlier = _earlier(overview.slots, index, position.start)
    first, last = shown[0].slot, shown[-1].slot
    tuples = _PAGE_ROWS.plain(
        day,
        first.start_time,
        first.id,
        last.start_time,
        last.id,
        SHEET_PAGE_ROWS + 1,  # + 1: a booking made since the counts does not make the page longer
        position.start,
    )
    # the page's first SHEET_PAGE_ROWS appointments (a row checked in twice comes twice, one after the other),
    # of its slots only (a slot added to the range since the counts is not on this page)
    shown_ids = {group.slot.id for group in shown}
    page, taken = [], set()
    for row in tuples:
        if row[5] in shown_ids:
            if row[0] not in taken:
                if len(taken) == SHEET_PAGE_ROWS:
                    break
                taken.add(row[0])
            page.append(row)
    # the roster records' ID hashes (roster_unverified_since set: enrollment_identity.is_roster_record)
    held = enrollment_identity.held_elsewhere(row[14] for row in page if row[13] is not None)
    return SheetReading(day, today, now, overview, position, earlier, later, tuple(shown), tuple(page), frozenset(held))


def reading_key(reading):
    """Everything of ``reading`` that its page prints, as a hashable value: the day, the counts, the slots
    and whether each has ended, the page's position and its rows' columns (with the zone their check-in
    times are shown in and the key their ID numbers are masked with): not the time it was read, so that
    the same page read again compares equal."""
    overview = reading.overview
    ended = {}
    for row in reading.tuples:  # whether each row's slot has ended (_rows): by the slot's end
        if row[6] not in ended:
            ended[row[6]] = clock.local(reading.day, row[6]) <= reading.now
    return (
        reading.day,
        reading.day == reading.today,
        tuple(overview.counts.items()),
        tuple((group.slot, group.ended, tuple(group.counts.items())) for group in overview.slots),
        reading.position,
        reading.earlier,
        reading.later,
        tuple(group.slot.id for group in reading.shown),
        reading.tuples,
        tuple(sorted(ended.items())),
        tuple(sorted(reading.held)),
        current_app.config["TIMEZONE"],
        current_app.config["NATIONAL_ID_KEY"],
    )


def sheet_of(reading):
    """The DaySheet of ``reading``: its shown slots with their rows."""
    overview, is_today = reading.overview, reading.day == reading.today
    sheet = DaySheet(day=reading.day, slots=[], counts=overview.counts, is_today=is_today, overview=overview.slots)
    if reading.position is None:
        return sheet
    sheet.position, sheet.earlier, sheet.later = reading.position, reading.earlier, reading.later
    sheet.slots = [DaySheetSlot(g.slot, ended=g.ended, counts=g.counts) for g in reading.shown]
    by_slot = {group.slot.id: group for group in sheet.slots}
    rows = _rows(reading.tuples, reading.now, reading.today, checked_in=True)
    for row in rows:
        by_slot[row.slot_id].rows.append(row)
        row.known_elsewhere = row.roster_record and row.roster_id_hash in reading.held
    return sheet


def day_sheet(day, slot_id=None, start=0):
    """A page of the day sheet: the day's counts by status and per slot, and the rows (cancelled ones only
    counted) of whole slots from ``slot_id`` (default: see ``_default_position``), skipping ``start``
    rows of it, as many as fit in SHEET_PAGE_ROWS. Two queries, whatever the size of the day (a third with
    a company roster's records on the page: ``read_day_sheet``)."""
    return sheet_of(read_day_sheet(day, slot_id, start))


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
