"""Today's exam floor in the demo: 300 more clients in flight, so the queue boards, the guidance screen and
the chief physician's review queue have real content.

Each client is checked in (the day sheet shows when) and walks the stations in the guide sheet's order:
some have not started, most are part-way (stations done with their results entered, often one in
progress), and about one in five has every station done with each station's conclusion signed — ready for
the chief physician. Written in bulk (a few thousand rows in a handful of statements) to keep seed-demo
quick; derived items (BMI, eGFR …) are computed by the results service as for any entry. demo.py calls
``seed_floor_day`` after the advice library and before the counters are recounted (that also raises
today's capacities to the places taken).
"""

import datetime
import json
import random
from decimal import Decimal

from playhouse.shortcuts import chunked

from checkup.core import clock
from checkup.models import (
    Appointment,
    AppointmentItem,
    AuditEvent,
    Client,
    Department,
    ExamItem,
    ReferenceRange,
    Result,
    Slot,
    StationConclusion,
    StationVisit,
)
from checkup.models.appointments import CHECKED_IN
from checkup.models.base import db
from checkup.models.review import CONCLUSION_SIGNED
from checkup.services.booking import booking, exam_codes
from checkup.services.catalog import station_order
from checkup.services.catalog.packages import age_on
from checkup.services.exam import derived_items, results

FLOOR_DAY_SEED = 20250314
FLOOR_CLIENTS = 300
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = {
    "male": "伟强磊军洋勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆",
    "female": "芳娜敏静丽艳娟霞秀玲桂英华红梅琳雪莉倩婷颖慧欣悦萍",
}
PACKAGES = {"male": ["BASIC-M", "BASIC-M", "COMP-M"], "female": ["BASIC-F", "BASIC-F", "COMP-F"]}
# where a client stands: not started, part-way, every station done (ready for the chief physician)
SHARES = (("waiting", 0.15), ("partial", 0.65), ("done", 0.20))
NUMERIC_DEFAULTS = {"HEIGHT": ("172", "160"), "WEIGHT": ("70.5", "56.0"), "WAIST": ("84", "74"), "HIP": ("96", "92")}
TEXT_NORMAL = "未见明显异常"
TEXT_ABNORMAL = {"US-ABD": "肝脏回声稍增强，轻度脂肪肝。", "US-THY": "甲状腺右叶低回声结节，约5×4mm，TI-RADS 3类。"}


def _utc(moment):
    return moment.astimezone(datetime.UTC).replace(tzinfo=None)


def _people(rng, taken):
    """(name, sex, birth date) for the floor's clients: unique names, none of the demo's others."""
    people = []
    while len(people) < FLOOR_CLIENTS:
        sex = "female" if rng.random() < 0.48 else "male"
        name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN[sex], rng.choice((1, 2))))
        if name in taken:
            continue
        taken.add(name)
        people.append((name, sex, datetime.date(rng.randint(1962, 2001), rng.randint(1, 12), rng.randint(1, 28))))
    return people


def _value(rng, item, ranges, sex, age):
    """(text, abnormal mark) for one item: mostly normal, now and then a little high (never critical)."""
    if item.result_type == "choice" and item.choice_list:
        return item.choice_list[0], False
    if item.result_type != "numeric":
        if item.code in TEXT_ABNORMAL and rng.random() < 0.15:
            return TEXT_ABNORMAL[item.code], True
        return TEXT_NORMAL, False
    if item.code in NUMERIC_DEFAULTS:
        return NUMERIC_DEFAULTS[item.code][sex == "female"], False
    row = results.range_for(ranges.get(item.id, []), sex, age)
    low, high = (row.low, row.high) if row else (None, None)
    if low is None and high is None:
        return "1", False
    places = max(-(low or high).as_tuple().exponent, -(high or low).as_tuple().exponent, 0)
    if high is not None and rng.random() < 0.07:
        value = high * Decimal("1.12")
        if row.critical_high is not None and value >= row.critical_high:
            value = high
    elif low is not None and high is not None:
        value = low + (high - low) * Decimal(str(round(rng.uniform(0.25, 0.75), 2)))
    else:
        value = high * Decimal("0.8") if high is not None else low * Decimal("1.2")
    return format(value.quantize(Decimal(1).scaleb(-places)), "f"), False


class _Catalog:
    """What the floor day reads once: each package's lines (per sex), stations in order, ranges."""

    def __init__(self):
        self.departments = {d.id: d for d in Department.select()}
        self.rules = station_order.rule_pairs()
        self.offers, self.stops = {}, {}
        self.ranges = {}
        for row in ReferenceRange.select():
            self.ranges.setdefault(row.item_id, []).append(row)

    def offer(self, client, code):
        """The package's offer for a client of this sex (one quote per package: the lines are the same)."""
        if code not in self.offers:
            offer = booking.quote(client, code)
            by_station = {}
            for line in offer.lines:
                item = line.item
                if derived_items.is_derived(item.code):
                    continue
                sid = item.station_id or item.department_id
                department = self.departments[sid]
                stop = by_station.setdefault(sid, station_order.Stop(sid, department.sort_order, department.code))
                stop.fasting = stop.fasting or item.fasting
                stop.items.append(item)
            self.offers[code] = offer
            self.stops[code] = station_order.order_stations(list(by_station.values()), self.rules)
        return self.offers[code], self.stops[code]


def seed_floor_day(physician, scheduler):
    """Today's 300 clients in flight (see module doc). Returns the appointments made."""
    today = clock.today()
    slots = list(Slot.select().where(Slot.day == today).order_by(Slot.start_time))
    if not slots:
        return 0
    rng = random.Random(FLOOR_DAY_SEED)
    now = clock.now()
    taken = {name for (name,) in Client.select(Client.name).tuples()}
    people = _people(rng, taken)
    Client.insert_many(
        [
            dict(name=name, sex=sex, birth_date=born, phone=f"137{rng.randrange(10**8):08d}", occupation="")
            for name, sex, born in people
        ]
    ).execute()
    clients = list(Client.select().where(Client.name.in_([p[0] for p in people])).order_by(Client.id))
    catalog = _Catalog()
    morning = [s for s in slots if s.start_time < datetime.time(12)] or slots

    plans = []  # (client, offer, stops, state, stations done, in progress at the next one, check-in time)
    for n, client in enumerate(clients):
        code = rng.choice(PACKAGES[client.sex])
        offer, stops = catalog.offer(client, code)
        roll, state = rng.random(), SHARES[-1][0]
        for name, share in SHARES:
            if roll < share:
                state = name
                break
            roll -= share
        done = {"waiting": 0, "done": len(stops)}.get(state) or rng.randint(1, max(1, len(stops) - 1))
        busy = state != "done" and done < len(stops) and rng.random() < 0.45
        minutes = 12 * done + (rng.randint(3, 9) if busy else 0) + rng.randint(5, 25)
        plans.append((client, offer, stops, state, done, busy, now - datetime.timedelta(minutes=minutes), n))

    appointments = []
    for client, offer, _stops, _state, _done, _busy, checked_at, n in plans:
        slot = morning[n % len(morning)]
        appointments.append(
            dict(
                exam_code=exam_codes.new_exam_code(),
                client=client.id,
                slot=slot.id,
                day=today,
                live_day=today,
                package=offer.package.id,
                status=CHECKED_IN,
                source="desk",
                total_price=offer.total,
                company_amount=offer.company_amount,
                self_amount=offer.self_amount,
                booked_by=scheduler.id,
                created_at=_utc(checked_at) - datetime.timedelta(days=rng.randint(2, 20)),
                updated_at=_utc(checked_at),
            )
        )
    for batch in chunked(appointments, 100):
        Appointment.insert_many(batch).execute()
    by_client = {
        a.client_id: a
        for a in Appointment.select(Appointment, Client)
        .join(Client)
        .where(Appointment.day == today, Appointment.client.in_([c.id for c in clients]))
    }
    lines, events, visits, result_rows, conclusions = [], [], [], [], []
    for client, offer, stops, state, done, busy, checked_at, _n in plans:
        appointment = by_client[client.id]
        age = age_on(client.birth_date, today)
        for line in offer.lines:
            lines.append(
                dict(
                    appointment=appointment.id,
                    item=line.item.id,
                    price=line.price,
                    payer=line.payer,
                    is_addon=line.is_addon,
                    resource=line.item.resource_id,
                )
            )
        events.append(
            dict(
                at=_utc(checked_at),
                user=scheduler.id,
                action="exam_day.checked_in",
                object_type="appointment",
                object_id=str(appointment.id),
                ip="127.0.0.1",
                detail=json.dumps({"identity_confirmed": ["birth_date", "name"], "exam_code": appointment.exam_code}),
                client_id=client.id,
            )
        )
        moment = checked_at + datetime.timedelta(minutes=rng.randint(2, 6))
        entered = {}  # item code: InputValue, for the derived items
        for index, stop in enumerate(stops[: done + (1 if busy else 0)]):
            started = moment
            moment = started + datetime.timedelta(minutes=rng.randint(4, 11))
            finished = index < done
            visits.append(
                dict(
                    appointment=appointment.id,
                    station=stop.station_id,
                    day=today,
                    started_at=_utc(started),
                    started_by=physician.id,
                    finished_at=_utc(moment) if finished else None,
                    finished_by=physician.id if finished else None,
                )
            )
            if not finished:
                break
            lab_later = stop.code == "DRAW" and state != "done" and rng.random() < 0.5  # the analysers are slower
            if lab_later:
                continue
            for item in stop.items:
                text, marked = _value(rng, item, catalog.ranges, client.sex, age)
                flag, row, number = results.flag_for(
                    item, client.sex, age, text, abnormal=marked, ranges=catalog.ranges.get(item.id, [])
                )
                result_rows.append(
                    dict(
                        appointment=appointment.id,
                        item=item.id,
                        value_text=text,
                        value_num=number,
                        unit=item.unit,
                        flag=flag,
                        ref_low=row.low if row else None,
                        ref_high=row.high if row else None,
                        entered_by=physician.id,
                        entered_at=_utc(moment),
                        source="instrument" if stop.code == "DRAW" else "station",
                        language="zh" if item.result_type == "text" else "",
                    )
                )
                entered[item.code] = derived_items.InputValue(number, item.unit, False, item.code)
        _derived_rows(result_rows, appointment, offer, entered, catalog.ranges, client, age, _utc(moment), physician)
        if state == "done":
            signed_at = _utc(moment)
            for department_id in sorted({line.item.department_id for line in offer.lines}):
                conclusions.append(
                    dict(
                        appointment=appointment.id,
                        department=department_id,
                        text="未见明显异常。",
                        status=CONCLUSION_SIGNED,
                        saved_by=physician.id,
                        saved_at=signed_at,
                        signed_by=physician.id,
                        signed_at=signed_at,
                    )
                )
    with db.atomic():
        for model, rows in (
            (AppointmentItem, lines),
            (AuditEvent, events),
            (StationVisit, visits),
            (Result, result_rows),
            (StationConclusion, conclusions),
        ):
            _bulk_insert(model, rows)
        _abnormal_conclusions(result_rows)
    return len(appointments)


def _derived_rows(result_rows, appointment, offer, entered, ranges, client, age, at, physician):
    """BMI, eGFR and the like from the values just entered, computed and flagged as the results service
    does (``derived_items.compute``, ``results.derived_entry``); left out while an input is missing."""
    for line in offer.lines:
        item = line.item
        if not derived_items.is_derived(item.code):
            continue
        outcome = derived_items.compute(item.code, entered, client.sex, age)
        if outcome is None:
            continue
        entry = results.derived_entry(item, outcome, client.sex, age, ranges.get(item.id, []))
        result_rows.append(
            dict(
                appointment=appointment.id,
                item=item.id,
                value_text=entry.value_text,
                value_num=entry.value_num,
                unit=item.unit,
                flag=entry.flag,
                ref_low=entry.ref_low,
                ref_high=entry.ref_high,
                skipped=entry.skipped,
                skip_reason=entry.skip_reason,
                entered_by=physician.id,
                entered_at=at,
                source=results.DERIVED_SOURCE,
                language="",
            )
        )


def _bulk_insert(model, rows):
    """Insert ``rows`` (dicts of field values; a field a row leaves out takes its default) in one
    executemany: building peewee's multi-row INSERT for twenty thousand rows costs seconds, the driver's
    executemany a fraction of one."""
    if not rows:
        return
    fields = [f for f in model._meta.sorted_fields if not f.primary_key]
    given = set().union(*rows)
    fields = [f for f in fields if f.name in given or f.default is not None]

    def value(row, field):
        if field.name in row:
            raw = row[field.name]
        else:
            raw = field.default() if callable(field.default) else field.default
        return None if raw is None else field.db_value(raw)

    columns = ", ".join(f'"{field.column_name}"' for field in fields)
    marks = ", ".join([db.param] * len(fields))
    values = [[value(row, field) for field in fields] for row in rows]
    db.cursor().executemany(f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES ({marks})', values)


def _abnormal_conclusions(result_rows):
    """A signed station conclusion names the station's abnormal results (as the station box suggests)."""
    abnormal = {}
    for row in result_rows:
        if row["flag"] not in ("", "N"):
            abnormal.setdefault(row["appointment"], []).append(row["item"])
    if not abnormal:
        return
    items = {i.id: i for i in ExamItem.select().where(ExamItem.id.in_({i for ids in abnormal.values() for i in ids}))}
    per_station = {}
    for appointment_id, item_ids in abnormal.items():
        for item_id in item_ids:
            item = items[item_id]
            per_station.setdefault((appointment_id, item.department_id), []).append(item.name_zh or item.name_en)
    signed = StationConclusion.select().where(
        StationConclusion.appointment.in_(list(abnormal)), StationConclusion.status == CONCLUSION_SIGNED
    )
    for conclusion in signed:
        names = per_station.get((conclusion.appointment_id, conclusion.department_id))
        if names:
            text = "、".join(names) + "偏离参考范围，建议结合临床复查。"
            StationConclusion.update(text=text).where(StationConclusion.id == conclusion.id).execute()
