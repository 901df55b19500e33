"""Set-up for exam-day tests: a small catalog, slots on the center's real "today", and a clock to set."""

import datetime
import itertools

from checkup.core import clock
from checkup.core.audit import Actor
from checkup.models import ResourceDay, Slot
from checkup.services.booking import booking
from tests import factories

_sequence = itertools.count(21)


def center_today():
    """Today in the center's zone by the real clock (the frozen clock keeps this date)."""
    return datetime.datetime.now(clock.zone()).date()


def freeze_clock(monkeypatch, hour, minute=0, day=None):
    """Make the center's clock read ``hour:minute`` on ``day`` (default: the real today)."""
    moment = clock.local(day or center_today(), datetime.time(hour, minute))
    monkeypatch.setattr(clock, "now", lambda: moment)
    return moment


class ExamDay:
    """Two stations, a package with a CT, and today's slots 08–09, 10–11 and 11–12 (plus 08–09 tomorrow)."""

    def __init__(self, slot_capacity=4, ct_capacity=3):
        self.today = center_today()
        self.tomorrow = self.today + datetime.timedelta(days=1)
        self.ct = factories.make_resource("CT", capacity=ct_capacity)
        self.lab = factories.make_department("LAB", name_en="Laboratory", name_zh="检验科", sort_order=1)
        self.imaging = factories.make_department("IMG", name_en="Imaging", name_zh="影像科", sort_order=2)
        self.blood = factories.make_item(
            "WBC",
            self.lab,
            name_en="White blood cells",
            name_zh="白细胞计数",
            prep_note_en="Fast 8 hours.",
            prep_note_zh="空腹8小时",
        )
        self.glucose = factories.make_item(
            "GLU", self.lab, name_en="Fasting glucose", name_zh="空腹血糖", prep_note_en="Fast 8 hours."
        )
        self.ct_item = factories.make_item(
            "CT-CHEST",
            self.imaging,
            name_en="Chest CT",
            name_zh="胸部CT",
            resource=self.ct,
            prep_note_en="Remove metal objects.",
        )
        self.basic = factories.make_package("BASIC", [self.blood, self.glucose], name_zh="基础套餐")
        self.with_ct = factories.make_package("CT-PKG", [self.blood, self.glucose, self.ct_item])
        self.early = self._slot(self.today, 8, 9, slot_capacity)
        self.mid = self._slot(self.today, 10, 11, slot_capacity)
        self.late = self._slot(self.today, 11, 12, slot_capacity)
        self.next_day = self._slot(self.tomorrow, 8, 9, slot_capacity)
        for day in (self.today, self.tomorrow):
            ResourceDay.create(resource=self.ct, day=day, capacity=ct_capacity)

    @staticmethod
    def _slot(day, start, end, capacity):
        return Slot.create(day=day, start_time=datetime.time(start), end_time=datetime.time(end), capacity=capacity)

    def book(self, client, slot, package="BASIC"):
        return booking.book(Actor(), client.id, slot.id, package)


def booked_client(exam_day, monkeypatch, slot, name="王芳", package="BASIC", with_id=True, **fields):
    """A client booked into ``slot`` (booked while the clock reads 07:00 today), and their appointment."""
    freeze_clock(monkeypatch, 7)
    if with_id:
        born, sex = fields.pop("birth_date", datetime.date(1985, 6, 1)), fields.pop("sex", "female")
        number = factories.national_id_for(born, sex, sequence=next(_sequence))
        client = factories.make_client_with_id(number, name=name, sex=sex, birth_date=born, **fields)
    else:
        client = factories.make_client(name=name, **fields)
    return client, exam_day.book(client, slot, package)
