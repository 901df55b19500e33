"""Money end to end (issue 15, "Done when"), in Chromium against a whole portal on PostgreSQL with a real rq
worker on Redis, under ``CHECKUP_PAYMENT_POLICY=prepay``.

A client books online and is shown the hold and what to pay on the page the booking lands on, with "Pay now"
→ unpaid, the hold runs out and the operator's scheduler (`flask cron`) has the worker release the booking:
the client sees it cancelled because it was not paid in time, is emailed so, and the time is free again →
the desk takes a payment split across cash and WeChat Pay and prints the receipt → a cancelled booking is
refunded with a reason → the client asks for an invoice, the desk issues it and reverses it (红冲)
→ the cashier closes the day (日结) with the counted cash's difference recorded → a company's contract where
one employee skipped two items and one did a cheaper package: the statement is settled and issued, and the
statement, HR's billing page and the management dashboard's group revenue agree to the cent with the
figure worked out here from the prices the journey set.

The steps share the stack and run in order; clients, packages, slots and the contract are the run's own.
"""

import datetime
import io
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.browser.care_journey_helpers import JOB_TIMEOUT, JOB_TIMEOUT_MS, center_time, pdf_text, sign_in, unique
from tests.browser.helpers import axe_check
from tests.browser.journey_stack import _bind_live_database, browser_context_args, running_stack  # noqa: F401 (fixtures)
from tests.browser.money_journey_helpers import (
    PASSWORD,
    body_package,
    cents,
    checkups_done,
    client_with_login,
    closing_rows,
    dashboard_revenue,
    group_contract,
    hold_runs_out,
    scheduler_running,
    shown_amount,
    whole_day_slot,
)

DESK, ADMIN = "scheduler@demo.test", "admin@demo.test"
HOLD_MINUTES = 2  # a short hold: the journey puts its end in the past rather than waiting for it
# The company's contract: 12.5% off the executive package (1,299.00 → 1,136.625, half a fen to round), whose
# three items the skipper partly declines, and the cheaper standard package one employee did instead.
PLAN = SimpleNamespace(
    discount=Decimal("12.5"),
    executive_price=Decimal("1299.00"),
    cheaper_price=Decimal("699.00"),
    items={
        "A": ("肝胆脾胰彩超", Decimal("488.00")),
        "B": ("甲状腺彩超", Decimal("326.50")),
        "C": ("碳13呼气试验", Decimal("215.80")),
    },
    cheaper_items=("A",),
    employees={"full": "赵全做", "skipper": "钱漏项", "cheaper": "孙标准"},
)
SKIPPED = ("B", "C")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """The issue asks for PostgreSQL with a real worker; the portal takes prepayment with a short hold."""
    folder = tmp_path_factory.mktemp("money-postgresql")
    env = {"CHECKUP_PAYMENT_POLICY": "prepay", "CHECKUP_PAYMENT_HOLD_MINUTES": str(HOLD_MINUTES)}
    with running_stack("postgresql", folder, **env) as stack:
        yield stack


def _flash(page):
    return page.locator(".flash.success")


# --- 1. prepayment: the hold runs out and the place is free again -------------------------------------------


def _prepaid_choice(stack):
    """A package and a 35-minute slot of one place, a month ahead, at a time no other slot of that day has."""
    from checkup.core import clock
    from checkup.models import Slot

    with stack.database():
        day = clock.today() + datetime.timedelta(days=30)
        taken = {s.start_time for s in Slot.select(Slot.start_time).where(Slot.day == day)}
        start = next(t for t in (datetime.time(5, m) for m in range(0, 60, 5)) if t not in taken)
        end = (datetime.datetime.combine(day, start) + datetime.timedelta(minutes=35)).time()
        slot = Slot.create(day=day, start_time=start, end_time=end, capacity=1)
        package = body_package("PRE-", "160.00", "Prepaid check", "预付体检")
        _client, email = client_with_login("周预付")
        return {"day": day, "slot": slot.id, "time": f"{start:%H:%M}–{end:%H:%M}", "code": package.code, "email": email}


def test_an_unpaid_prepaid_booking_is_released_when_its_hold_runs_out(stack, new_context):
    from checkup.models import Appointment, AuditEvent, Slot, Task
    from checkup.models.appointments import BOOKED, CANCELLED
    from checkup.models.money import HOLD_EXPIRED, PaymentHold
    from checkup.models.tasks import DONE

    choice = _prepaid_choice(stack)
    day = choice["day"]
    me = sign_in(new_context, stack, choice["email"], PASSWORD)
    booking_page = f"{stack.url}/me/book/{choice['code']}?month={day:%Y-%m}&day={day.isoformat()}"
    me.goto(booking_page)
    the_time = me.get_by_role("button", name=re.compile(f"^{choice['time']}"))
    expect(the_time).to_contain_text("(1 free)")
    the_time.click()
    expect(me.get_by_role("heading", level=1)).to_have_text("Confirm your booking")
    me.get_by_role("button", name="Book this checkup").click()
    expect(me.get_by_text("Your checkup is booked.")).to_be_visible()
    expect(me).to_have_url(re.compile(r"/me/appointments/\d+$"))
    appointment_id = int(me.url.rsplit("/", 1)[1])
    with stack.database():
        hold = PaymentHold.get(PaymentHold.appointment == appointment_id)
        held_for = hold.expires_at - hold.created_at
        assert abs(held_for - datetime.timedelta(minutes=HOLD_MINUTES)) < datetime.timedelta(seconds=1)
    held_until = center_time(stack, hold.expires_at)

    # the page the booking lands on says what to pay and until when the places are held, and leads to paying
    expect(me.get_by_test_id("you-pay")).to_have_text("¥160.00")
    expect(me.get_by_test_id("paid-state")).to_have_text("Unpaid: ¥160.00 due")
    expect(me.get_by_test_id("hold-deadline")).to_have_text(
        f"Your places are held until {held_until}. Unpaid by then, the booking is released."
    )
    axe_check(me)
    me.get_by_role("button", name="Pay now").click()  # a link drawn as a button
    expect(me.get_by_role("heading", level=1)).to_have_text(f"Prepaid check · {day.isoformat()}")
    expect(me.get_by_text(f"Your places are held until {held_until}. Unpaid by then")).to_be_visible()
    expect(me.get_by_test_id("due-self")).to_have_text("¥160.00")
    axe_check(me)
    me.get_by_role("button", name="Pay ¥160.00 online").click()  # the offline adapter: a bank transfer
    transfer = me.locator("section", has=me.get_by_role("heading", name="Pay by bank transfer"))
    expect(transfer).to_contain_text(re.compile(r"Transfer ¥160\.00 to the center's account .* order number CK\w+"))
    me.goto(booking_page)  # held: the time is nobody else's meanwhile
    expect(me.get_by_role("heading", name=f"Times on {day.isoformat()}")).to_be_visible()
    expect(the_time).to_have_count(0)

    # the minutes go by unpaid; the operator's scheduler wakes the worker, which runs the hold's task
    with stack.database():
        task_id = hold_runs_out(appointment_id)
        assert Appointment.get_by_id(appointment_id).status == BOOKED  # nothing releases it but the scheduler
        with scheduler_running(stack):
            stack.wait_for(
                lambda: Appointment.get_by_id(appointment_id).status == CANCELLED,
                timeout=JOB_TIMEOUT,
                message="the worker to release the unpaid booking",
            )
        assert Task.get_by_id(task_id).state == DONE
        assert PaymentHold.get(PaymentHold.appointment == appointment_id).state == HOLD_EXPIRED
        assert Slot.get_by_id(choice["slot"]).booked == 0
        expired = AuditEvent.select().where(AuditEvent.action == "booking.payment_hold_expired")
        assert [e.object_id for e in expired] == [str(appointment_id)]

    me.goto(f"{stack.url}/me/money/{appointment_id}")
    expect(me.get_by_test_id("due-self")).to_have_text("¥0.00")  # the cancellation credited the charge
    expect(me.get_by_text("Your places are held until")).to_have_count(0)
    expect(me.get_by_role("button", name=re.compile(r"^Pay ¥"))).to_have_count(0)
    me.goto(f"{stack.url}/me/appointments/{appointment_id}")
    expect(me.locator("dl.facts dd").nth(1)).to_have_text("Cancelled")
    expect(me.get_by_test_id("hold-released")).to_contain_text(
        f"This booking was released because it was not paid within {HOLD_MINUTES} minutes of booking."
    )
    expect(me.get_by_role("button", name="Pay now")).to_have_count(0)
    # and the client is told by email, in the release's own transaction (sent by the worker after it)
    released_mail = stack.wait_for(
        lambda: [m for m in stack.messages(to=choice["email"]) if "was not paid in time" in m["Subject"]],
        timeout=JOB_TIMEOUT,
        message="the release email in the outbox",
    )
    [mail] = released_mail
    assert mail["Subject"] == f"Your booking for {day.isoformat()} was released: it was not paid in time"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "so the booking was released and the place is free for others" in text
    assert f"/me/packages/{choice['code']}" in text  # how to book the same package again
    me.goto(booking_page)
    expect(the_time).to_contain_text("(1 free)")  # the place is back for anyone


# --- 2–5. the front desk cashier --------------------------------------------------------------------------


def _desk_visits(stack):
    """Two clients with logins, booked by the desk: one today (380.00, pays at the desk now), one next week
    (100.00, pays by Alipay and then cancels)."""
    from checkup.core import clock
    from checkup.core.audit import SYSTEM
    from checkup.services.booking import booking

    made = {}
    with stack.database():
        today = clock.today()
        plans = (
            ("pay", "钱收费", whole_day_slot(today), body_package("CASH-", "380.00", "Cashier check", "收费体检")),
            (
                "refund",
                "孙退费",
                whole_day_slot(today + datetime.timedelta(days=7)),
                body_package("REF-", "100.00", "Small check", "小体检"),
            ),
        )
        for key, name, slot, package in plans:
            client, email = client_with_login(name)
            appointment = booking.book(SYSTEM, client.id, slot.id, package.code, source="desk", allow_started=True)
            made[key] = {"id": appointment.id, "exam_code": appointment.exam_code, "email": email, "name": name}
    return made


def _pay(desk, parts):
    """Fill the split payment form: [(method value, amount, reference)], one part per row."""
    for n, (method, amount, reference) in enumerate(parts, 1):
        part = desk.get_by_role("group", name=f"Part {n}")
        part.get_by_label("Method").select_option(method)
        part.get_by_label("Amount (yuan)").fill(amount)
        part.get_by_label("Reference (card slip, transaction no.)").fill(reference)
    desk.get_by_role("button", name="Record payment").click()
    expect(_flash(desk)).to_contain_text("Payment recorded")


def test_the_desk_takes_a_payment_split_across_cash_and_wechat_pay_and_prints_the_receipt(stack, new_context):
    made = stack.state["desk"] = _desk_visits(stack)
    paying = made["pay"]
    desk = sign_in(new_context, stack, DESK)
    desk.goto(stack.url + "/desk/cashier/closing")  # what the cashier's day held before this journey
    expect(desk.get_by_role("heading", level=1)).to_contain_text("End-of-day closing")
    stack.state["closing_before"] = closing_rows(desk)

    desk.goto(stack.url + "/desk")
    desk.locator("header nav").get_by_role("link", name="Cashier", exact=True).click()
    desk.get_by_label("Exam code, client name or phone").fill(paying["exam_code"])
    desk.get_by_role("button", name="Search").click()
    desk.get_by_role("link", name=paying["name"]).click()
    expect(desk.get_by_role("heading", level=1)).to_have_text(f"{paying['name']} · {paying['exam_code']}")
    expect(desk.get_by_test_id("due-self")).to_have_text("¥380.00")
    axe_check(desk)
    _pay(desk, [("cash", "200", ""), ("wechat_pay", "180", "WX4200001234")])
    expect(desk.get_by_test_id("due-self")).to_have_text("¥0.00")
    receipts = desk.locator("#receipts tbody tr")
    expect(receipts).to_have_count(2)
    expect(receipts.filter(has_text="Cash")).to_contain_text("¥200.00")
    expect(receipts.filter(has_text="WeChat Pay")).to_contain_text("¥180.00")

    link = receipts.first.get_by_role("link")
    response = desk.request.get(stack.url + link.get_attribute("href"))
    assert response.ok and response.headers["content-type"].startswith("application/pdf")
    text = pdf_text(response.body())
    assert link.inner_text() in text and paying["name"] in text and paying["exam_code"] in text
    assert "叁佰捌拾元整" in text and "¥380.00" in text
    assert "WX4200001234" in text and "WeChat Pay" in text and "Cash" in text


def test_a_cancelled_booking_is_refunded_with_a_reason(stack, new_context):
    cancelling = stack.state["desk"]["refund"]
    desk = sign_in(new_context, stack, DESK)
    desk.goto(f"{stack.url}/desk/cashier/appointments/{cancelling['id']}")
    expect(desk.get_by_test_id("due-self")).to_have_text("¥100.00")
    _pay(desk, [("alipay", "100.00", "ALI2024777")])  # paid when booking by phone, a week ahead

    desk.goto(f"{stack.url}/desk/appointments/{cancelling['id']}")
    cancel = desk.locator("section", has=desk.locator("#cancel-heading"))
    cancel.get_by_role("textbox").fill("客户临时出差，取消预约")
    cancel.get_by_role("button", name="Cancel the appointment").click()
    expect(_flash(desk)).to_contain_text("Appointment cancelled")

    desk.goto(f"{stack.url}/desk/cashier/appointments/{cancelling['id']}")
    expect(desk.get_by_test_id("due-self")).to_have_text("¥-100.00")
    refund = desk.locator("section", has=desk.locator("#refund-heading"))
    expect(refund).to_contain_text("Cancelled before the cutoff: everything paid is refunded.")
    expect(refund.get_by_label("Amount to refund (yuan)")).to_have_value("100.00")
    refund.get_by_label("Reason for the refund").fill("取消预约，原路退回支付宝")
    refund.get_by_role("button", name="Refund", exact=True).click()
    expect(_flash(desk)).to_have_text("Refund recorded.")
    expect(desk.get_by_test_id("due-self")).to_have_text("¥0.00")
    expect(desk.locator("#receipts tbody tr").filter(has_text="Alipay")).to_contain_text("¥100.00")
    expect(desk.locator("#refund-heading")).to_have_count(0)  # nothing more is owed back
    with stack.database():
        from checkup.models.money import Refund

        refund_row = Refund.get(Refund.appointment == cancelling["id"])
    assert (refund_row.reason, refund_row.rule, refund_row.method) == (
        "取消预约，原路退回支付宝",
        "before_cutoff",
        "alipay",
    )
    assert refund_row.amount == Decimal("100.00")


def test_the_client_asks_for_an_invoice_the_desk_issues_it_and_reverses_it(stack, new_context):
    paying = stack.state["desk"]["pay"]
    me = sign_in(new_context, stack, paying["email"], PASSWORD)
    me.goto(stack.url + "/me")
    me.locator("header nav").get_by_role("link", name="Payments and invoices").click()
    row = me.get_by_role("row").filter(has_text="Cashier check")
    expect(row).to_contain_text("Paid")
    row.get_by_role("link").click()
    me.get_by_label("Invoice title").fill("个人")
    me.get_by_label("Email for the invoice").fill(paying["email"])
    me.get_by_role("button", name="Ask for the invoice").click()
    expect(_flash(me)).to_contain_text("Invoice requested")
    expect(me.locator("main li").filter(has_text="个人 · ¥380.00")).to_contain_text("Requested")
    axe_check(me)

    desk = sign_in(new_context, stack, DESK)
    desk.goto(stack.url + "/desk/cashier")
    desk.get_by_role("link", name=re.compile(r"^Invoices")).click()
    card = desk.locator("article").filter(has_text=paying["exam_code"])
    expect(card).to_contain_text("¥380.00")
    number = f"0440{int(unique(), 16) % 10**8:08d}"
    issued_on = datetime.date.fromisoformat(_center_today(stack))
    card.get_by_label("Invoice number").fill(number)
    card.get_by_label("Date issued").fill(issued_on.isoformat())
    card.get_by_role("button", name="Record as issued").click()
    expect(_flash(desk)).to_have_text("Invoice issued.")
    card = desk.locator("article").filter(has_text=paying["exam_code"])
    expect(card).to_contain_text(f"Number {number} · {issued_on.isoformat()}")
    axe_check(desk)
    card.get_by_label("Reason for the reversal (红冲)").fill("抬头有误，客户要求重开")
    card.get_by_role("button", name="Reverse (红冲)").click()
    expect(_flash(desk)).to_have_text("Invoice reversed (红冲).")
    expect(desk.locator("article").filter(has_text=number)).to_contain_text("Reversed (红冲)")

    me.reload()
    expect(me.locator("main li").filter(has_text=number)).to_contain_text("Reversed (红冲)")
    with stack.database():
        from checkup.models.money import Invoice, InvoiceReversal

        invoice = Invoice.get(Invoice.number == number)
        reversal = InvoiceReversal.get(InvoiceReversal.invoice == invoice.id)
    assert (invoice.status, invoice.amount, invoice.issued_on) == ("reversed", Decimal("380.00"), issued_on)
    assert reversal.reason == "抬头有误，客户要求重开"


def _center_today(stack):
    from checkup.core import clock

    with stack.database():
        return clock.today().isoformat()


def test_the_cashier_closes_the_day_with_the_cash_difference_recorded(stack, new_context):
    before = stack.state["closing_before"]
    zero = (0, Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))
    cash, wechat, alipay = (before.get(label, zero) for label in ("Cash", "WeChat Pay", "Alipay"))
    today = _center_today(stack)
    desk = sign_in(new_context, stack, DESK)
    desk.goto(stack.url + "/desk/cashier")
    desk.get_by_role("link", name="End-of-day closing (日结)").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text(f"End-of-day closing (日结) · {today}")
    after = closing_rows(desk)
    # this journey's 200.00 cash and 180.00 WeChat Pay taken, 100.00 Alipay taken and given back
    assert after["Cash"] == (cash[0] + 1, cash[1] + 200, cash[2], cash[3] + 200)
    assert after["WeChat Pay"] == (wechat[0] + 1, wechat[1] + 180, wechat[2], wechat[3] + 180)
    assert after["Alipay"] == (alipay[0] + 1, alipay[1] + 100, alipay[2] + 100, alipay[3])
    ledger_cash = after["Cash"][3]
    expect(desk.get_by_text("Cash the ledger expects in your drawer")).to_have_text(
        f"Cash the ledger expects in your drawer: ¥{ledger_cash:.2f}."
    )
    axe_check(desk)
    counted = ledger_cash - 10
    desk.get_by_label("Cash counted (yuan)").fill(f"{counted:.2f}")
    desk.get_by_label("Note (a difference, its reason)").fill("找零差10元，已报财务")
    desk.get_by_role("button", name="Close the day").click()
    expect(desk.get_by_text("Day closed.", exact=True)).to_be_visible()
    expect(desk.locator("#closed")).to_contain_text(
        f"cash in the ledger ¥{ledger_cash:.2f}, counted ¥{counted:.2f}, difference ¥-10.00."
    )
    expect(desk.get_by_role("button", name="Close the day")).to_have_count(0)  # once per cashier and day
    with stack.database():
        from checkup.models import User
        from checkup.models.money import CashierClosing

        cashier = User.get(User.email == DESK)
        closing = CashierClosing.get(CashierClosing.cashier == cashier.id, CashierClosing.day == today)
    assert (closing.ledger_cash, closing.counted_cash, closing.difference) == (ledger_cash, counted, Decimal("-10.00"))
    assert closing.note == "找零差10元，已报财务"


# --- 6. a group contract settled by what was done ---------------------------------------------------------


def _statement_document(hr, fmt):
    """On HR's group documents page: prepare the billing statement as ``fmt`` (PDF or XLSX), wait for the
    worker to render it, download it. PDF: its bytes; XLSX: {sheet title: [rows of cell values]}."""
    from openpyxl import load_workbook

    hr.get_by_role("button", name=f"Prepare as {fmt} · Billing statement").click()
    document = hr.locator("#group-documents tbody tr").filter(has_text="Billing statement").filter(has_text=fmt)
    ready = document.get_by_role("link", name=re.compile(r"^Download"))
    expect(ready).to_be_visible(timeout=JOB_TIMEOUT_MS)  # the worker renders it; the status polls itself
    with hr.expect_download(timeout=JOB_TIMEOUT_MS) as download_info:
        ready.click()
    download = download_info.value
    assert download.suggested_filename.endswith("." + fmt.lower()), download.suggested_filename
    with open(download.path(), "rb") as file:
        data = file.read()
    if fmt == "PDF":
        return data
    book = load_workbook(io.BytesIO(data), read_only=True)
    return {sheet.title: [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)] for sheet in book}


def _expected_company_amounts():
    """What the company owes, worked out from the prices the journey set: the category package at the
    contract's discount; less the skipped items at their price; the cheaper package at the same discount."""
    off = (Decimal(100) - PLAN.discount) / Decimal(100)
    unit = cents(PLAN.executive_price * off)
    return {
        "full": unit,
        "skipper": unit - sum(PLAN.items[key][1] for key in SKIPPED),
        "cheaper": cents(PLAN.cheaper_price * off),
    }


def test_a_contract_statement_hr_billing_and_the_dashboard_agree_to_the_cent(stack, new_context):
    expected = _expected_company_amounts()
    total = sum(expected.values())
    assert (expected["full"], expected["skipper"], expected["cheaper"], total) == (
        Decimal("1136.63"),
        Decimal("594.33"),
        Decimal("611.63"),
        Decimal("2342.59"),
    )
    group = group_contract(stack, PLAN)
    contract_id = group["contract"]
    admin = sign_in(new_context, stack, ADMIN)
    before = dashboard_revenue(admin, stack.url)  # booked, not done: no revenue of the contract yet
    checkups_done(stack, group, SKIPPED)

    # the center's finance settles the contract by what was done and issues the statement
    desk = sign_in(new_context, stack, DESK)
    desk.goto(f"{stack.url}/desk/contracts/{contract_id}")  # the contract's page leads to its statement
    desk.get_by_role("link", name="Statement and company payments (结算单)").click()
    expect(desk).to_have_url(f"{stack.url}/desk/cashier/contracts/{contract_id}/statement")
    expect(desk.get_by_role("heading", level=1)).to_contain_text(group["name"])
    desk.get_by_label("Items not performed").select_option(label="Credited at item price")
    desk.get_by_role("button", name="Save terms").click()
    expect(_flash(desk)).to_have_text("Contract terms saved.")
    desk.get_by_role("button", name="Settle and draft from the ledger").click()
    expect(_flash(desk)).to_have_text("Statement version 1 is up to date with the ledger.")
    version = desk.locator("main table tbody tr").first  # the contract's first and only version
    expect(version).to_contain_text("Draft")
    expect(version).to_contain_text(f"¥{total:.2f}")
    version.get_by_role("button", name="Issue version 1").click()
    expect(_flash(desk)).to_have_text("Statement issued.")
    expect(version).to_contain_text("Issued")
    statement_total = shown_amount(version.locator("td").nth(2).inner_text())
    billed_at_desk = shown_amount(desk.locator("dt:has-text('Billed') + dd").inner_text())
    axe_check(desk)

    # HR: what the company owes, and the statement's lines (employees and money, never an exam item)
    hr = sign_in(new_context, stack, group["hr_email"], PASSWORD)
    hr.goto(f"{stack.url}/hr")
    hr.locator("header nav").get_by_role("link", name="Contracts").click()
    hr.get_by_role("link", name=group["name"]).click()
    hr.get_by_role("link", name="Billing: what the company owes and has paid").click()
    expect(hr).to_have_url(f"{stack.url}/hr/contracts/{contract_id}/billing")
    expect(hr.get_by_role("heading", level=1)).to_have_text(f"Billing · {group['name']}")
    hr_billed = shown_amount(hr.get_by_test_id("billed").inner_text())
    issued = hr.locator("main table tbody tr").first
    expect(issued).to_contain_text("Issued")
    axe_check(hr)
    hr.get_by_role("link", name="Statement as PDF or XLSX").click()
    pdf, xlsx = (_statement_document(hr, fmt) for fmt in ("PDF", "XLSX"))
    text = pdf_text(pdf)
    assert f"Amount due from the company: {total:,.2f}" in text, text
    credits = sum(PLAN.items[key][1] for key in SKIPPED)
    assert f"Included: credits for items not performed, {credits:,.2f}." in text, text
    *rows, total_row = xlsx["Employees"]
    lines = {row[1]: row for row in rows}
    assert sorted(lines) == sorted(employee["name"] for employee in group["employees"].values())
    for key, employee in group["employees"].items():
        line = lines[employee["name"]]
        assert (line[0], cents(str(line[-1]))) == (employee["employee_no"], expected[key]), (key, line)
    assert (total_row[0], cents(str(total_row[-1]))) == ("Total", total), total_row
    everything = text + repr(xlsx)
    assert not [name for name in group["item_names"] if name in everything], everything  # never an exam item

    # the management dashboard's group revenue moved by the contract's figure (a headline figure: each
    # server process counts it again at most every 30 s, so the page is read until it has moved)
    def moved():
        now = dashboard_revenue(admin, stack.url)
        return now if now["group"] != before["group"] else None

    after = stack.wait_for(moved, timeout=90, message="the dashboard's group revenue to count the contract")
    assert statement_total == billed_at_desk == hr_billed == after["group"] - before["group"] == total
    assert after["individual"] == before["individual"]  # the company's contract is no one's own money
    axe_check(admin)
