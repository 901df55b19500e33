"""Re-check from a follow-up: booked through the booking rules (slot and limited resource claimed, counters
consistent), and a normal re-check result closes the follow-up by itself while an abnormal one does not."""

import datetime
from decimal import Decimal

import pytest

from checkup.core.audit import Actor
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.models import Appointment, AppointmentItem, AuditEvent, FollowUp, ResourceDay, Result, Slot
from checkup.models.appointments import CHECKED_IN
from checkup.services.booking import booking
from checkup.services.care import followup_actions, recheck
from checkup.services.exam import reports
from tests import factories
from tests.booking_helpers import Center, assert_counters_consistent

pytestmark = pytest.mark.both_dbs


class RecheckWorld:
    """A client's chest CT came back abnormal (a level B follow-up); a day later there is room for a re-check."""

    def __init__(self):
        self.center = Center(ct_capacity=2)
        self.counselor = factories.make_user("counselor", email="care@example.com", name="Care")
        self.other = factories.make_user("counselor", email="other@example.com", name="Other")
        self.physician = factories.make_user("physician", email="doc@example.com", name="李医生")
        self.client = factories.make_client(name="张伟", sex="male", email="zhang@example.com")
        first = booking.book(Actor(), self.client.id, self.center.slot.id, "CT-PKG")
        Appointment.update(status=CHECKED_IN).where(Appointment.id == first.id).execute()
        self.result(first, self.center.blood, flag="N", value="6.0")
        self.result(first, self.center.ct_item, flag="A", value="Nodule 8 mm, right upper lobe")
        self.report = reports.sign(Actor(self.physician), first.id, "CT nodule.", "Re-check CT.", queue_job=False)
        [self.follow_up] = FollowUp.select().where(FollowUp.report == self.report.id)
        self.follow_up = FollowUp.get_by_id(self.follow_up.id)
        self.day = self.center.day + datetime.timedelta(days=1)
        self.slot = Slot.create(day=self.day, start_time=datetime.time(8, 0), end_time=datetime.time(9, 0), capacity=3)
        self.ct_day = ResourceDay.create(resource=self.center.ct, day=self.day, capacity=1)

    @staticmethod
    def result(appointment, item, flag, value, skipped=False):
        return Result.create(
            appointment=appointment.id,
            item=item,
            value_text=value,
            flag=flag,
            skipped=skipped,
            skip_reason="declined" if skipped else "",
        )

    def actor(self, user=None):
        return Actor(user or self.counselor, "127.0.0.1")

    def book(self, **kwargs):
        values = {"item_ids": [self.center.ct_item.id], "slot_id": self.slot.id}
        values.update(kwargs)
        return recheck.book(self.actor(), self.follow_up.id, **values)

    def sign_recheck(self, appointment, flag, skipped=False):
        Appointment.update(status=CHECKED_IN).where(Appointment.id == appointment.id).execute()
        self.result(appointment, self.center.ct_item, flag=flag, value="" if skipped else "No nodule", skipped=skipped)
        return reports.sign(Actor(self.physician), appointment.id, "Re-check.", "", queue_job=False)


@pytest.fixture
def world(app):
    world = RecheckWorld()
    yield world
    assert_counters_consistent()


def test_the_follow_up_and_its_items_to_choose(world):
    assert world.follow_up.level == "B" and world.follow_up.status == "open"
    _follow_up, items, default_ids = recheck.options(world.actor(), world.follow_up.id)
    assert {i.code for i in items} == {"WBC", "CT-CHEST"} and default_ids == [world.center.ct_item.id]


def test_a_recheck_claims_the_slot_and_the_limited_resource_in_one_go(world):
    appointment = world.book(idempotency_key="re-1")
    assert (appointment.source, appointment.package_id, appointment.day) == ("recheck", None, world.day)
    assert appointment.total_price == Decimal("300.00") and appointment.self_amount == Decimal("300.00")
    [line] = AppointmentItem.select().where(AppointmentItem.appointment == appointment.id)
    assert (line.item_id, line.resource_id) == (world.center.ct_item.id, world.center.ct.id)
    assert Slot.get_by_id(world.slot.id).booked == 1 and ResourceDay.get_by_id(world.ct_day.id).booked == 1
    follow_up = FollowUp.get_by_id(world.follow_up.id)
    assert follow_up.recheck_appointment_id == appointment.id and follow_up.status == "open"
    [event] = AuditEvent.select().where(AuditEvent.action == "followup.recheck_booked")
    assert event.user_id == world.counselor.id
    # the same request again returns the same appointment; a second re-check is refused while this one is live
    assert world.book(idempotency_key="re-1").id == appointment.id
    with pytest.raises(Conflict):
        world.book()
    assert Appointment.select().where(Appointment.source == "recheck").count() == 1


def test_a_full_resource_refuses_and_claims_nothing(world):
    ResourceDay.update(booked=1).where(ResourceDay.id == world.ct_day.id).execute()
    other = factories.make_client(name="Other")
    blocker = Appointment.create(
        exam_code="HOLDSCT01",
        client=other,
        slot=world.slot,
        day=world.day,
        live_day=world.day,
        package=world.center.with_ct,
        total_price=380,
        self_amount=380,
    )
    AppointmentItem.create(appointment=blocker, item=world.center.ct_item, price=300, resource=world.center.ct)
    Slot.update(booked=1).where(Slot.id == world.slot.id).execute()
    with pytest.raises(booking.PlaceTaken):
        world.book()
    assert Slot.get_by_id(world.slot.id).booked == 1
    assert FollowUp.get_by_id(world.follow_up.id).recheck_appointment_id is None
    assert Appointment.select().where(Appointment.source == "recheck").count() == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"item_ids": []},
        {"item_ids": [999999]},
        {"item_ids": ["CT"]},
        {"slot_id": None},
        {"slot_id": 999999},
        {"slot_id": 2**40},
    ],
)
def test_bad_choices_are_refused(world, kwargs):
    with pytest.raises(ValidationError):
        world.book(**kwargs)
    assert Appointment.select().where(Appointment.source == "recheck").count() == 0


def test_only_an_open_follow_up_one_may_see(world):
    FollowUp.update(assignee=world.counselor.id).where(FollowUp.id == world.follow_up.id).execute()
    with pytest.raises(NotFound):
        recheck.book(world.actor(world.other), world.follow_up.id, [world.center.ct_item.id], world.slot.id)
    followup_actions.close(world.actor(), world.follow_up.id, "advice_given", "Advice only.")
    with pytest.raises(Conflict):
        world.book()


def test_one_checkup_a_day_holds_for_rechecks_too(world):
    booking.book(Actor(), world.client.id, world.slot.id, "BASIC")
    with pytest.raises(ValidationError):
        world.book()


def test_a_normal_recheck_result_closes_the_follow_up(world):
    appointment = world.book()
    world.sign_recheck(appointment, "N")
    follow_up = FollowUp.get_by_id(world.follow_up.id)
    assert (follow_up.status, follow_up.outcome_code, follow_up.closed_by_id) == ("closed", "recheck_normal", None)
    assert world.day.isoformat() in follow_up.outcome and follow_up.closed_at is not None
    [event] = AuditEvent.select().where(AuditEvent.action == "followup.closed")
    assert event.user_id == world.physician.id and '"automatic": true' in event.detail


def test_an_abnormal_recheck_keeps_the_follow_up_open(world):
    appointment = world.book()
    report = world.sign_recheck(appointment, "A")
    assert FollowUp.get_by_id(world.follow_up.id).status == "open"
    # the re-check's own finding opens its own follow-up as usual
    assert FollowUp.select().where(FollowUp.report == report.id).count() == 1


def test_an_amendment_that_makes_the_recheck_normal_closes_the_follow_up(world):
    appointment = world.book()
    report = world.sign_recheck(appointment, "A")
    ct = Result.get(Result.appointment == appointment.id, Result.item == world.center.ct_item.id)
    reports.amend(
        Actor(world.physician),
        report.id,
        "Second reading: no nodule",
        "Re-check normal.",
        "",
        changes=[{"result_id": ct.id, "value": "5", "abnormal": False}],
    )
    follow_up = FollowUp.get_by_id(world.follow_up.id)
    assert (follow_up.status, follow_up.outcome_code) == ("closed", "recheck_normal")


def test_a_skipped_recheck_item_is_not_a_normal_result(world):
    appointment = world.book()
    world.sign_recheck(appointment, "", skipped=True)
    assert FollowUp.get_by_id(world.follow_up.id).status == "open"


def test_booking_a_recheck_from_the_page(app, world):
    http = app.test_client()
    factories.sign_in_directly(http, world.counselor)
    page = http.get(f"/care/followups/{world.follow_up.id}/recheck?day={world.day}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "08:00–09:00" in html
    assert f'value="{world.center.ct_item.id}" checked' in html
    none_ticked = http.get(f"/care/followups/{world.follow_up.id}/recheck?day={world.day}&picked=1")
    assert "08:00–09:00" not in none_ticked.get_data(as_text=True)
    bad = http.post(
        f"/care/followups/{world.follow_up.id}/recheck",
        data={"items": [str(world.center.ct_item.id)], "day": str(world.day), "slot": "abc"},
    )
    assert bad.status_code == 422 and "Choose a time from the list." in bad.get_data(as_text=True)
    response = http.post(
        f"/care/followups/{world.follow_up.id}/recheck",
        data={
            "items": [str(world.center.ct_item.id)],
            "day": str(world.day),
            "slot": str(world.slot.id),
            "idempotency_key": "page-1",
        },
    )
    assert response.status_code == 303
    follow_up = FollowUp.get_by_id(world.follow_up.id)
    assert follow_up.recheck_appointment_id is not None
    detail = http.get(f"/care/followups/{world.follow_up.id}").get_data(as_text=True)
    assert world.day.isoformat() in detail and "Book a re-check" not in detail
    assert http.get("/care/followups/987654/recheck").status_code == 404
