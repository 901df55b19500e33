"""The front desk cashier in Chromium: a payment split across cash and WeChat Pay with its receipt, a
cancellation refunded with a reason, an invoice the client asks for that the desk issues and then reverses
(红冲), and the cashier's end-of-day closing (日结) with the counted cash's difference recorded.

The clients are new (own logins, own package, own slots today and next week), so the journey neither
depends on nor disturbs the demo's day or other tests.
"""

import datetime
import io
import uuid

from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.helpers import axe_check, login_as
from tests.browser.live_data import center_today, live_app, whole_day_slot

CLIENT_PASSWORD = "journey-password-42"


def _clients(live_server):
    """Two clients with logins: one booked today (380.00), one next week (100.00, paid by card)."""
    from decimal import Decimal

    from checkup.core import passwords
    from checkup.core.audit import SYSTEM
    from checkup.models import ExamItem, Package, PackageItem, Slot, User, UserRole
    from checkup.models.accounts import CLIENT
    from checkup.models.money import BANK_CARD
    from checkup.services.booking import booking
    from checkup.services.money import payments
    from tests.browser.live_data import new_client

    suffix = uuid.uuid4().hex[:6]
    today = center_today(live_server)
    made = {}
    with live_app(live_server):
        item = ExamItem.select().order_by(ExamItem.id).first()
        package = Package.create(code=f"CASH-{suffix}", name_en="Cashier check", name_zh="收费体检", price="380.00")
        small = Package.create(code=f"CASH2-{suffix}", name_en="Small check", name_zh="小体检", price="100.00")
        for p in (package, small):
            PackageItem.create(package=p, item=item)
        slot = whole_day_slot(today)
        later = Slot.create(
            day=today + datetime.timedelta(days=7), start_time=datetime.time(8), end_time=datetime.time(9), capacity=5
        )
        for key, name, the_slot, the_package in (("pay", "钱收费", slot, package), ("refund", "孙退费", later, small)):
            client = new_client(name, phone=f"1390013{uuid.uuid4().int % 10000:04d}")
            email = f"cashier-{key}-{suffix}@example.com"
            user = User.create(
                email=email, name=name, client=client, password_hash=passwords.hash_password(CLIENT_PASSWORD)
            )
            UserRole.create(user=user, role=CLIENT)
            appointment = booking.book(
                SYSTEM, client.id, the_slot.id, the_package.code, source="desk", allow_started=True
            )
            made[key] = {"id": appointment.id, "exam_code": appointment.exam_code, "email": email, "name": name}
        payments.take_payment(SYSTEM, made["refund"]["id"], [payments.Part(BANK_CARD, Decimal("100.00"), "POS-1")])
    return made


def test_cashier_split_payment_refund_invoice_and_closing(signed_in, new_context, base_url, live_server):
    made = _clients(live_server)
    paying, cancelling = made["pay"], made["refund"]

    # --- The desk finds the visit by its exam code and takes 380.00 as 200 cash + 180 WeChat Pay
    desk = signed_in("scheduler@demo.test")
    desk.goto(base_url + "/desk")
    desk.locator("header nav").get_by_role("link", name="Cashier", exact=True).click()
    expect(desk).to_have_url(base_url + "/desk/cashier")
    desk.get_by_label("Exam code, client name or phone").fill(paying["exam_code"])
    desk.get_by_role("button", name="Search").click()
    desk.get_by_role("link", name=paying["name"]).click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text(paying["exam_code"])
    expect(desk.get_by_test_id("due-self")).to_have_text("¥380.00")
    axe_check(desk)
    part1 = desk.get_by_role("group", name="Part 1")
    part1.get_by_label("Method").select_option("cash")
    part1.get_by_label("Amount (yuan)").fill("200")
    part2 = desk.get_by_role("group", name="Part 2")
    part2.get_by_label("Method").select_option("wechat_pay")
    part2.get_by_label("Amount (yuan)").fill("180")
    part2.get_by_label("Reference (card slip, transaction no.)").fill("WX20240001")
    desk.get_by_role("button", name="Record payment").click()
    expect(desk.locator(".flash.success")).to_contain_text("Payment recorded")
    expect(desk.get_by_test_id("due-self")).to_have_text("¥0.00")
    receipt = desk.locator("#receipts a").first
    response = desk.request.get(base_url + receipt.get_attribute("href"))
    assert response.ok and response.headers["content-type"].startswith("application/pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    assert paying["name"] in text and "叁佰捌拾元整" in text

    # --- A cancellation before the cutoff is refunded in full, with a reason (none: refused before sending)
    desk.goto(base_url + f"/desk/appointments/{cancelling['id']}")
    cancel = desk.locator("section", has=desk.locator("#cancel-heading"))
    cancel.get_by_role("textbox").fill("客户临时出差，取消预约")
    cancel.get_by_role("button", name="Cancel the appointment").click()
    expect(desk.locator(".flash.success")).to_contain_text("Appointment cancelled")
    desk.goto(base_url + f"/desk/cashier/appointments/{cancelling['id']}")
    expect(desk.get_by_test_id("due-self")).to_have_text("¥-100.00")
    desk.get_by_label("Amount to refund (yuan)").fill("100.00")
    desk.get_by_role("button", name="Refund", exact=True).click()
    # the browser refuses it before sending (the field is required; the server's refusal is in tests/money)
    assert desk.locator("#refund-reason").evaluate("field => field.validity.valueMissing")
    expect(desk.get_by_test_id("due-self")).to_have_text("¥-100.00")
    desk.get_by_label("Reason for the refund").fill("取消预约，全额退回银行卡")
    desk.get_by_role("button", name="Refund", exact=True).click()
    expect(desk.locator(".flash.success")).to_contain_text("Refund recorded")
    expect(desk.get_by_test_id("due-self")).to_have_text("¥0.00")

    # --- The client asks for an invoice on the paid checkup
    client = new_context().new_page()
    login_as(client, base_url, paying["email"], CLIENT_PASSWORD)
    client.goto(base_url + f"/me/money/{paying['id']}")
    client.get_by_label("Invoice title").fill("个人")
    client.get_by_label("Email for the invoice").fill(paying["email"])
    client.get_by_role("button", name="Ask for the invoice").click()
    expect(client.locator(".flash.success")).to_contain_text("Invoice requested")
    axe_check(client)

    # --- The desk records it as issued, then reverses it (红冲) with a reason
    desk.goto(base_url + "/desk/cashier/invoices")
    card = desk.locator("article").filter(has_text=paying["exam_code"])
    number = f"0440{uuid.uuid4().int % 10**8:08d}"
    card.get_by_label("Invoice number").fill(number)
    card.get_by_label("Date issued").fill(center_today(live_server).isoformat())
    card.get_by_role("button", name="Record as issued").click()
    expect(desk.locator(".flash.success")).to_contain_text("Invoice issued")
    card = desk.locator("article").filter(has_text=paying["exam_code"])
    card.get_by_label("Reason for the reversal (红冲)").fill("抬头有误，重开")
    card.get_by_role("button", name="Reverse (红冲)").click()
    expect(desk.locator(".flash.success")).to_contain_text("Invoice reversed")
    expect(desk.locator("article").filter(has_text=number)).to_contain_text("Reversed")

    # --- End of day: 200 cash taken, nothing refunded in cash; 190 counted → −10.00 recorded
    desk.goto(base_url + "/desk/cashier/closing")
    expect(desk.get_by_role("row", name="Cash")).to_contain_text("¥200.00")
    expect(desk.get_by_role("row", name="WeChat Pay")).to_contain_text("¥180.00")
    desk.get_by_label("Cash counted (yuan)").fill("190")
    desk.get_by_label("Note (a difference, its reason)").fill("找零差10元")
    desk.get_by_role("button", name="Close the day").click()
    expect(desk.locator("#closed")).to_contain_text("difference ¥-10.00")
    axe_check(desk)
