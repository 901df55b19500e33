"""The scheduler in Chromium: apply the weekly template to new dates, then close a booked day and reopen it.

The template goes on weeks after the demo's 60 days of capacity, so it opens new slots and no other
test uses those days.
"""

import datetime
import re

from playwright.sync_api import expect

from tests.browser.helpers import axe_check
from tests.browser.live_data import center_today, day_slots, live_app, new_client, weekday_on_or_after


def monday_on_or_after(day):
    return day + datetime.timedelta(days=-day.weekday() % 7)


def test_scheduler_applies_template_then_closes_and_reopens_a_day(signed_in, base_url, live_server):
    today = center_today(live_server)
    start = monday_on_or_after(today + datetime.timedelta(days=70))  # the demo opens days 1–60
    end = start + datetime.timedelta(days=18)  # three weeks, Monday to Friday
    weekdays = sum(1 for i in range((end - start).days + 1) if (start + datetime.timedelta(days=i)).weekday() < 5)
    closing = weekday_on_or_after(start + datetime.timedelta(days=9))  # the Wednesday of the second week
    with live_app(live_server):
        assert not day_slots(closing), "the chosen days must have no capacity yet"

    page = signed_in("scheduler@demo.test")
    page.goto(base_url + "/desk/capacity")
    page.get_by_role("navigation", name="Capacity").get_by_role("link", name="Weekly template").click()
    expect(page).to_have_url(base_url + "/desk/capacity/template")
    expect(page.get_by_role("heading", level=1)).to_have_text("Weekly template")
    axe_check(page)

    # The defaults: Monday–Friday and the six standard slots; only the dates change
    for name in ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]:
        expect(page.get_by_role("checkbox", name=name)).to_be_checked()
    expect(page.get_by_role("checkbox", name="Saturday")).not_to_be_checked()
    expect(page.get_by_role("textbox", name=re.compile("^Start of slot 1"))).to_have_value("07:30")
    page.get_by_role("textbox", name="From", exact=True).fill(start.isoformat())
    page.get_by_role("textbox", name="To", exact=True).fill(end.isoformat())
    page.get_by_role("button", name="Open these slots").click()

    expect(page).to_have_url(f"{base_url}/desk/capacity?month={start:%Y-%m}")
    expect(page.locator(".flash.success")).to_have_text(f"{weekdays * 6} slots opened, 0 updated.")
    axe_check(page)

    # One client is booked on the day that will be closed
    with live_app(live_server):
        from checkup.core.audit import SYSTEM
        from checkup.services.booking import booking

        slots = day_slots(closing)
        assert [s.start_time.strftime("%H:%M") for s in slots] == ["07:30", "08:30", "09:30", "10:30", "13:30", "14:30"]
        client = new_client("Holiday Client", phone="13600136000")
        appointment = booking.book(SYSTEM, client.id, slots[2].id, "COMP", [])
        exam_code = appointment.exam_code

    # The calendar of that month (reloaded: it was drawn before the booking), then the day
    page.reload()
    if closing.month != start.month:
        page.get_by_role("link", name="Next month").click()
        expect(page).to_have_url(f"{base_url}/desk/capacity?month={closing:%Y-%m}")
    day_cell = page.locator("li.cal-day").filter(has=page.locator(f'a[href="/desk/capacity/{closing.isoformat()}"]'))
    # booked / capacity of the six default slots ("1/125" on screen, "Booked 1 of 125" to a screen reader)
    expect(day_cell.locator(".cal-total")).to_have_text(re.compile(r"Booked\s+1\D+125$"))
    day_cell.get_by_role("link").click()
    expect(page).to_have_url(f"{base_url}/desk/capacity/{closing.isoformat()}")
    axe_check(page)
    booked = page.locator("#appointments")
    expect(booked.get_by_role("heading")).to_have_text("Booked appointments")
    expect(booked.get_by_role("row").filter(has_text=exam_code)).to_contain_text("Holiday Client")

    # Close it with a note: the page now lists the booking to reschedule, and the day is closed
    page.get_by_label("Reason (shown in the audit log)").fill("Public holiday")
    page.get_by_role("button", name="Close this day").click()
    expect(page).to_have_url(f"{base_url}/desk/capacity/{closing.isoformat()}#appointments")
    expect(page.get_by_text("The day is closed. 1 appointment needs rescheduling")).to_be_visible()
    expect(page.get_by_text("This day is closed for booking.")).to_be_visible()
    expect(booked.get_by_role("heading")).to_have_text("Appointments to reschedule")
    row = booked.get_by_role("row").filter(has_text=exam_code)
    expect(row).to_contain_text("Holiday Client")
    expect(row.get_by_role("link", name="13600136000")).to_have_attribute("href", "tel:13600136000")
    expect(row).to_contain_text("09:30–10:30")
    expect(page.locator("tr.fill-closed")).to_have_count(6)
    axe_check(page)
    with live_app(live_server):
        from checkup.models import AuditEvent

        logged = (
            AuditEvent.select().where(AuditEvent.action == "capacity.day_closed").order_by(AuditEvent.id.desc()).first()
        )
        assert '"Public holiday"' in logged.detail and closing.isoformat() in logged.detail
        assert logged.user_id is not None  # the scheduler, not the system

    page.get_by_role("link", name=re.compile("Capacity calendar")).click()
    expect(day_cell).to_have_class(re.compile(r"\bfill-closed\b"))
    expect(day_cell.locator(".badge")).to_have_text("Closed")

    # Reopen
    day_cell.get_by_role("link").click()
    page.get_by_role("button", name="Reopen for booking").click()
    expect(page.get_by_text("The day is open for booking again.")).to_be_visible()
    expect(page.get_by_role("button", name="Close this day")).to_be_visible()
    expect(page.locator("tr.fill-closed")).to_have_count(0)
    expect(booked.get_by_role("heading")).to_have_text("Booked appointments")
    expect(booked.get_by_role("row").filter(has_text=exam_code)).to_be_visible()
    axe_check(page)
