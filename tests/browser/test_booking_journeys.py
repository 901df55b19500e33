"""Client booking journeys in Chromium: book → reschedule → cancel on a phone; waitlist offer → claim.

Each journey uses its own days (and the waitlist its own client), so the tests do not depend on
each other or on the order they run in.
"""

import datetime
import re
import uuid

from playwright.sync_api import expect

from tests.browser.helpers import axe_check, has_horizontal_scroll, login_as
from tests.browser.live_data import (
    center_today,
    day_slots,
    link_path,
    live_app,
    new_client,
    outbox_messages,
    plain_text,
    weekday_on_or_after,
)

PHONE = {"width": 375, "height": 740}
MIN_TARGET = 24  # CSS px: WCAG 2.2 target size (minimum)

# WCAG 2.2 "target size (minimum)", for the links and controls in the page body: each is at least
# 24×24 CSS px, or is a link inside a sentence, or is undersized but alone (a 24-px circle on its centre
# touches no other target nor another undersized target's circle). A checkbox or radio button is hit
# through its label, so the label is measured.
_SMALL_TARGETS = """(min) => {
  const selector = 'main :is(a[href], button, [role=button], summary, select, textarea, input:not([type=hidden]))';
  const targets = [];
  for (const el of document.querySelectorAll(selector)) {
    const target = el.matches('input[type=checkbox], input[type=radio]') && el.closest('label') || el;
    const box = target.getBoundingClientRect();
    if (!box.width || !box.height || !target.checkVisibility({visibilityProperty: true})) continue;
    if (targets.some(t => t.el === target)) continue;
    let inSentence = false;
    if (el.tagName === 'A' && getComputedStyle(el).display === 'inline') {
      const own = (el.textContent || '').trim().length;
      inSentence = (el.parentElement.textContent || '').trim().length - own > 3;
    }
    const text = (target.textContent || el.value || '').trim().slice(0, 40);
    targets.push({el: target, box, inSentence, small: box.width < min - 0.5 || box.height < min - 0.5,
                  cx: box.x + box.width / 2, cy: box.y + box.height / 2,
                  label: `${el.tagName.toLowerCase()} "${text}"`});
  }
  const distanceToBox = (x, y, b) => Math.hypot(Math.max(b.left - x, 0, x - b.right),
                                                Math.max(b.top - y, 0, y - b.bottom));
  const problems = [];
  for (const t of targets.filter(t => t.small && !t.inSentence)) {
    const crowded = targets.filter(o => o !== t && (distanceToBox(t.cx, t.cy, o.box) < min / 2
                                                    || (o.small && Math.hypot(o.cx - t.cx, o.cy - t.cy) < min)));
    if (crowded.length) {
      problems.push(`${t.label} ${Math.round(t.box.width)}x${Math.round(t.box.height)} px, too close to `
                    + crowded.slice(0, 3).map(o => o.label).join(', '));
    }
  }
  return problems;
}"""


def check_phone_page(page):
    """No sideways scrolling, tap targets large enough, no serious axe violation."""
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert not has_horizontal_scroll(page), f"{page.url} scrolls sideways on a phone: {widths}"
    small = page.evaluate(_SMALL_TARGETS, MIN_TARGET)
    assert not small, f"tap targets under {MIN_TARGET}x{MIN_TARGET}px and crowded on {page.url}:\n" + "\n".join(small)
    axe_check(page)


def show_month(page, day):
    """Step the month view (htmx) forward until it shows ``day``'s month."""
    heading = page.locator("#picker .month-nav strong")
    wanted = day.strftime("%Y-%m")
    for _ in range(3):
        shown = heading.inner_text()
        if shown >= wanted:
            break
        year, month = (int(part) for part in shown.split("-"))
        following = f"{year + month // 12:04d}-{month % 12 + 1:02d}"
        page.locator("#picker .month-nav").get_by_role("link", name=re.compile("Next month")).click()
        expect(heading).to_have_text(following)
    expect(heading).to_have_text(wanted)


def long_date(day):
    return f"{day:%B} {day.day}, {day.year}"  # as the month view names a day to a screen reader (en)


def day_link(page, day):
    """A day of the month view, by its accessible name: "9, December 9, 2026: 125 free places" or
    "9 full, December 9, 2026" (Chromium puts a space before the comma of the visually hidden part)."""
    name = re.compile(rf"^{day.day}( full)? ?, {long_date(day)}\b")
    return page.locator("#picker table.month").get_by_role("link", name=name)


def _client_with_a_login(live_server):
    """A woman with a login and no checkup booked (a client may hold one upcoming checkup at a time, and the
    demo client has hers): returns her email and password."""
    from checkup.core import passwords
    from checkup.models import Client, User, UserRole
    from checkup.models.accounts import CLIENT

    email, password = f"journey-{uuid.uuid4().hex[:8]}@example.com", "a long enough passphrase"
    with live_app(live_server):
        client = Client.create(
            name="林晓雯", sex="female", birth_date=datetime.date(1988, 5, 12), phone="13700137456", email=email
        )
        user = User.create(
            email=email, name=client.name, client=client, password_hash=passwords.hash_password(password)
        )
        UserRole.create(user=user, role=CLIENT)
    return email, password


def test_client_books_reschedules_and_cancels_on_a_phone(new_context, base_url, live_server):
    today = center_today(live_server)
    first_day = weekday_on_or_after(today + datetime.timedelta(days=15))
    second_day = weekday_on_or_after(today + datetime.timedelta(days=22))
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    login_as(page, base_url, *_client_with_a_login(live_server))
    expect(page).to_have_url(base_url + "/me")

    # Packages → "Book" on the basic female package
    page.goto(base_url + "/me/packages")
    check_phone_page(page)
    card = page.locator("article").filter(has=page.get_by_role("heading", name="Basic checkup (female)"))
    card.get_by_role("button", name="Book").click()
    expect(page).to_have_url(re.compile(r"/me/book/BASIC-F$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Basic checkup (female)")
    total = page.locator("#total")
    expect(total).to_have_text("¥528.00")
    check_phone_page(page)

    # An add-on module (the demo catalog's "Thyroid function", ¥150: TSH, FT3, FT4) changes the price in
    # place (htmx), not by loading a new page
    page.evaluate("window.__sameDocument = true")
    page.get_by_text("Add extra examinations (optional)").click()
    with page.expect_response(lambda r: "/me/book/BASIC-F" in r.url and r.request.headers.get("hx-request") == "true"):
        page.locator("#addon-THYROID").check()
    expect(total).to_have_text("¥678.00")
    expect(page.locator("#picker")).to_contain_text("+ Thyroid function")
    assert page.evaluate("window.__sameDocument === true"), "ticking an add-on reloaded the page"
    expect(page).to_have_url(re.compile(r"addons=THYROID"))
    check_phone_page(page)

    # An open day of the month view, then a time on it
    show_month(page, first_day)
    box = day_link(page, first_day).bounding_box()
    assert box["width"] >= 40 and box["height"] >= 40, f"a day of the month view is a small target on a phone: {box}"
    day_link(page, first_day).click()
    expect(page.get_by_role("heading", name=f"Times on {first_day.isoformat()}")).to_be_visible()
    assert page.evaluate("window.__sameDocument === true"), "choosing a day reloaded the page"
    expect(total).to_have_text("¥678.00")  # the add-on stays chosen
    check_phone_page(page)
    page.locator("ul.slots").get_by_role("button", name=re.compile(r"^08:30–09:30")).click()

    # Confirm
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your booking")
    expect(page.locator("dl.facts")).to_contain_text(first_day.isoformat())
    expect(page.locator("dl.facts")).to_contain_text("¥678.00")
    check_phone_page(page)
    page.get_by_role("button", name="Book this checkup").click()

    # The appointment page with its exam code
    expect(page).to_have_url(re.compile(r"/me/appointments/\d+$"))
    appointment_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Checkup on {first_day.isoformat()}")
    exam_code = page.locator(".exam-code").inner_text()
    assert re.fullmatch(r"T[A-Z0-9]{8}", exam_code), exam_code  # no date in it: a move keeps the code
    expect(page.locator("dl.facts").first).to_contain_text("08:30–09:30")
    expect(page.locator("dl.facts").first).to_contain_text("Booked")
    check_phone_page(page)

    # "My appointments" lists it
    page.get_by_role("link", name="← My appointments").click()
    expect(page).to_have_url(base_url + "/me/appointments")
    upcoming = page.locator("section", has=page.get_by_role("heading", name="Upcoming"))
    entry = upcoming.get_by_role("listitem").filter(has_text=exam_code)
    expect(entry).to_contain_text(f"{first_day.isoformat()} 08:30")
    check_phone_page(page)
    entry.get_by_role("link").first.click()
    expect(page).to_have_url(appointment_url)

    # Reschedule to another day and time
    page.get_by_role("button", name="Change the time").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change the time of your checkup")
    expect(page.get_by_text(f"Now booked: {first_day.isoformat()} 08:30")).to_be_visible()
    check_phone_page(page)
    page.evaluate("window.__sameDocument = true")
    show_month(page, second_day)
    day_link(page, second_day).click()
    expect(page.get_by_role("heading", name=f"Times on {second_day.isoformat()}")).to_be_visible()
    assert page.evaluate("window.__sameDocument === true"), "choosing a day reloaded the page"
    check_phone_page(page)
    page.get_by_role("radio", name=re.compile(r"^10:30–11:30")).check()
    page.get_by_role("button", name="Move my appointment").click()
    expect(page).to_have_url(appointment_url)
    expect(page.get_by_text("Your appointment has been moved.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Checkup on {second_day.isoformat()}")
    expect(page.locator("dl.facts").first).to_contain_text("10:30–11:30")
    expect(page.locator(".exam-code")).to_have_text(exam_code)
    check_phone_page(page)

    # Cancel with a reason
    page.get_by_role("button", name="Cancel", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Cancel your checkup on {second_day.isoformat()}")
    check_phone_page(page)
    page.get_by_label("Why are you cancelling?").select_option(label="My schedule changed")
    page.get_by_label("Anything else we should know? (optional)").fill("Travelling for work that week.")
    page.get_by_role("button", name="Cancel the appointment").click()
    expect(page).to_have_url(base_url + "/me/appointments")
    expect(page.get_by_text("Your appointment has been cancelled.")).to_be_visible()
    past = page.locator("section", has=page.get_by_role("heading", name="Past and cancelled"))
    expect(past.get_by_role("listitem").filter(has_text=second_day.isoformat())).to_contain_text("Cancelled")
    expect(upcoming.get_by_role("listitem").filter(has_text=exam_code)).to_have_count(0)
    check_phone_page(page)
    page.goto(appointment_url)
    expect(page.locator("dl.facts").first).to_contain_text("Cancelled")
    expect(page.get_by_role("button", name="Change the time")).to_have_count(0)
    check_phone_page(page)


def test_waitlisted_client_claims_a_freed_place(new_context, base_url, live_server):
    today = center_today(live_server)
    wanted_day = weekday_on_or_after(today + datetime.timedelta(days=40))
    email = f"waitlist-{uuid.uuid4().hex[:8]}@example.com"

    # A new client signs up through the registration page (on a phone, like most clients)
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    page.goto(base_url + "/register")
    page.get_by_label("Full name").fill("Wang Lei")
    page.get_by_role("textbox", name="Email", exact=True).fill(email)
    page.get_by_label("Mobile phone").fill("13800138123")
    page.get_by_label("Sex").select_option("male")
    page.get_by_label("Date of birth").fill("1985-03-04")
    page.get_by_role("textbox", name="Password", exact=True).fill("a long enough passphrase")
    page.get_by_label("Repeat password").fill("a long enough passphrase")
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(base_url + "/register/sent")
    [welcome] = outbox_messages(live_server, to=email)  # the account opens from the emailed link
    page.goto(base_url + link_path(plain_text(welcome), r"/register/confirm/\S+"))
    page.get_by_label("Password").fill("a long enough passphrase")
    page.get_by_role("button", name="Open my account").click()
    expect(page).to_have_url(base_url + "/me")

    # The wanted day is fully booked: someone holds the 07:30 place and every slot is set to what is booked
    with live_app(live_server):
        from checkup.core.audit import SYSTEM
        from checkup.services.booking import booking, capacity

        slots = day_slots(wanted_day)
        assert slots, f"the demo opens {wanted_day}"
        blocker = new_client("Blocking Client")
        blocking = booking.book(SYSTEM, blocker.id, slots[0].id, "BASIC-M", [])
        for slot in day_slots(wanted_day):
            capacity.set_slot_capacity(SYSTEM, slot.id, slot.booked + slot.held)

    # The client sees the day as full and joins its waitlist
    page.goto(base_url + "/me/packages")
    page.locator("article").filter(has=page.get_by_role("heading", name="Basic checkup (male)")).get_by_role(
        "button", name="Book"
    ).click()
    show_month(page, wanted_day)
    full_day = day_link(page, wanted_day)
    expect(full_day).to_have_accessible_name(re.compile(rf"^{wanted_day.day} full ?, {long_date(wanted_day)}$"))
    full_day.click()
    expect(page.get_by_text("This day is fully booked for your choice.")).to_be_visible()
    expect(page.locator("ul.slots")).to_have_count(0)
    check_phone_page(page)
    page.get_by_role("button", name="Join the waitlist for this day").click()
    expect(page).to_have_url(base_url + "/me/appointments")
    expect(page.get_by_text(f"You are on the waitlist for {wanted_day.isoformat()}")).to_be_visible()
    waiting = page.locator("section", has=page.get_by_role("heading", name="Waitlist"))
    expect(waiting).to_contain_text(f"{wanted_day.isoformat()} · Basic checkup (male) · waiting")
    check_phone_page(page)

    # A place frees up: the front desk cancels the blocking appointment; the offer goes out by email
    with live_app(live_server):
        from checkup.models import Slot

        booking.cancel(SYSTEM, blocking.id, "Client called to cancel", staff=True)
        freed = Slot.get_by_id(slots[0].id)
        assert (freed.booked, freed.held) == (0, 1), "the freed place is held for the waiting client"
    offers = [m for m in outbox_messages(live_server, to=email) if m["Subject"].startswith("A place is free")]
    assert len(offers) == 1, [m["Subject"] for m in outbox_messages(live_server, to=email)]
    assert wanted_day.isoformat() in offers[0]["Subject"]
    offer_path = link_path(plain_text(offers[0]), r"/me/waitlist/offer/[A-Za-z0-9_-]+")

    page.reload()
    expect(waiting).to_contain_text("offer sent — check your email")

    # The client follows the link and books the held place
    page.goto(base_url + offer_path)
    expect(page.get_by_role("heading", level=1)).to_have_text("A place is free for you")
    offer_facts = page.locator("dl.facts")
    expect(offer_facts).to_contain_text(wanted_day.isoformat())
    expect(offer_facts).to_contain_text("07:30–08:30")
    check_phone_page(page)
    page.get_by_role("button", name="Book this place").click()
    expect(page).to_have_url(re.compile(r"/me/appointments/\d+$"))
    expect(page.get_by_text("The place is yours. Your checkup is booked.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Checkup on {wanted_day.isoformat()}")
    expect(page.locator(".exam-code")).to_have_text(re.compile(r"^T[A-Z0-9]{8}$"))
    expect(page.locator("dl.facts").first).to_contain_text("07:30–08:30")

    # The link works once
    response = page.goto(base_url + offer_path)
    assert response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("Offer no longer available")
    expect(page.get_by_role("alert")).to_have_text(re.compile("expired or was already used"))
    check_phone_page(page)

    with live_app(live_server):
        freed = Slot.get_by_id(slots[0].id)
        assert (freed.booked, freed.held, freed.capacity) == (1, 0, 1), "the hold became the booking"
