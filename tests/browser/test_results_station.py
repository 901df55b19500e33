"""A physician at a station: the flag follows the typing (nothing stored), one row saves in place."""

import datetime
from decimal import Decimal

from playwright.sync_api import expect

from tests.browser.live_data import center_today, live_app, new_client, weekday_on_or_after


def _checked_in_appointment(live_server):
    from checkup.core.audit import Actor
    from checkup.models import Appointment, Department, ExamItem, Package, PackageItem, ReferenceRange, Slot
    from checkup.services.booking import booking

    today = center_today(live_server)
    with live_app(live_server):
        station = Department.create(code="BT-LAB", name_en="Browser lab")
        glucose = ExamItem.create(
            code="BT-GLU", name_en="Browser glucose", department=station, unit="mmol/L", price=Decimal("10")
        )
        ReferenceRange.create(
            item=glucose,
            low=Decimal("3.9"),
            high=Decimal("6.1"),
            critical_low=Decimal("2.8"),
            critical_high=Decimal("25"),
        )
        package = Package.create(code="BT-PKG", name_en="Browser package", price=Decimal("10"))
        PackageItem.create(package=package, item=glucose)
        day = weekday_on_or_after(today + datetime.timedelta(days=2))
        slot = Slot.select().where(Slot.day == day, Slot.booked < Slot.capacity).order_by(Slot.start_time).first()
        client = new_client("周测试")
        appointment = booking.book(Actor(), client.id, slot.id, "BT-PKG")
        Appointment.update(status="checked_in", day=today).where(Appointment.id == appointment.id).execute()
        return appointment.id, glucose.id


def _results(live_server, appointment_id):
    from checkup.models import Result

    with live_app(live_server):
        return [(r.value_text, r.flag) for r in Result.select().where(Result.appointment == appointment_id)]


def test_live_flag_and_saving_one_row(signed_in, base_url, live_server):
    appointment_id, item_id = _checked_in_appointment(live_server)
    page = signed_in("physician@demo.test")
    page.goto(base_url + "/exam/stations/BT-LAB")
    page.get_by_role("link", name="周测试").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("周测试")

    value = page.get_by_label("Browser glucose")
    flag = page.locator(f"#flag-{item_id}")
    value.press_sequentially("2.5", delay=40)
    expect(flag).to_contain_text("Critical low")
    value.fill("")
    value.press_sequentially("6.2", delay=40)
    expect(flag).to_contain_text("High")
    assert _results(live_server, appointment_id) == []  # flagging never stores

    page.evaluate("window.__marker = 1")
    page.get_by_role("button", name="Save Browser glucose").click()
    expect(page.locator("#progress")).to_contain_text("1 of 1 items done")
    expect(page.locator(f"#row-{item_id}")).to_contain_text("Saved")
    assert page.evaluate("window.__marker") == 1, "saving one row reloaded the whole page"
    assert _results(live_server, appointment_id) == [("6.2", "H")]
