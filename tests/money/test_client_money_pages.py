"""Where people look for money: the client's appointment page and list say what they pay, paid or not, the
prepayment hold's deadline with "Pay now" (or that an unpaid booking was released); the contract page links
to the desk's statement and to HR's billing."""

import datetime
import re
from decimal import Decimal

import pytest

from checkup.core import clock, tasks
from checkup.core.audit import Actor
from checkup.models import Task
from checkup.models.base import utcnow
from checkup.models.money import WECHAT_PAY, PaymentHold
from checkup.services.booking import booking
from checkup.services.money import payments
from tests import factories
from tests.booking_helpers import Center

pytestmark = pytest.mark.both_dbs


def _booked(app, login, policy="prepay"):
    """A client with an account, signed in, who booked the 100.00 package online under ``policy``."""
    app.config["PAYMENT_POLICY"] = policy
    center = Center()
    user = factories.make_user("client", client=factories.make_client(name="孙丽"))
    login(user)
    return booking.book(Actor(user), user.client_id, center.slot.id, "BASIC")


def _text(response):
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_after_a_prepaid_booking_the_client_sees_the_hold_and_pay_now(app, client, login):
    appointment = _booked(app, login)
    hold = PaymentHold.get(PaymentHold.appointment == appointment.id)
    deadline = clock.from_utc(hold.expires_at).strftime("%Y-%m-%d %H:%M")

    page = _text(client.get(f"/me/appointments/{appointment.id}"))
    assert f"Your places are held until {deadline}. Unpaid by then, the booking is released." in page
    assert 'data-testid="you-pay">¥100.00<' in page and "Unpaid: ¥100.00 due" in page
    assert f'<a role="button" href="/me/money/{appointment.id}">Pay now</a>' in page

    listed = _text(client.get("/me/appointments"))
    assert f"¥100.00 to pay by {deadline}" in listed and f'href="/me/money/{appointment.id}">Pay now' in listed

    payments.take_payment(Actor(), appointment.id, [payments.Part(WECHAT_PAY, Decimal("100"))])
    page = _text(client.get(f"/me/appointments/{appointment.id}"))
    assert 'data-testid="paid-state">Paid<' in page and "held until" not in page and "Pay now" not in page
    assert f'href="/me/money/{appointment.id}">Receipts and invoices' in page
    assert "· Paid" in _text(client.get("/me/appointments"))


def test_a_booking_released_unpaid_says_so(app, client, login):
    appointment = _booked(app, login)
    past = utcnow() - datetime.timedelta(minutes=1)
    PaymentHold.update(created_at=past - datetime.timedelta(minutes=30), expires_at=past).execute()
    task = Task.get(Task.dedupe_key == f"payment-hold:{appointment.id}")
    Task.update(next_attempt_at=past).where(Task.id == task.id).execute()
    assert tasks.run(task.id) == "done"

    page = _text(client.get(f"/me/appointments/{appointment.id}"))
    assert "This booking was released because it was not paid within 30 minutes of booking." in page
    assert 'data-testid="paid-state">Nothing to pay<' in page and "Pay now" not in page
    assert "Released: not paid in time" in _text(client.get("/me/appointments"))


def test_paying_at_the_desk_the_client_may_still_pay_online(app, client, login):
    appointment = _booked(app, login, policy="at_desk")
    page = _text(client.get(f"/me/appointments/{appointment.id}"))
    assert "Pay online now, or at the front desk when you check in." in page and "held until" not in page
    assert f'href="/me/money/{appointment.id}">Pay now' in page
    assert "¥100.00 to pay " in _text(client.get("/me/appointments"))


def test_the_contract_page_links_to_the_statement_and_to_hr_billing(app, client, login):
    contract = factories.make_contract()
    login(factories.make_user("scheduler"))
    assert f'href="/desk/cashier/contracts/{contract.id}/statement"' in _text(
        client.get(f"/desk/contracts/{contract.id}")
    )
    client.post("/logout")
    login(factories.make_user("hr", organization=contract.organization))
    page = _text(client.get(f"/hr/contracts/{contract.id}"))
    assert f'href="/hr/contracts/{contract.id}/billing">Billing: what the company owes and has paid' in page
    assert client.get(f"/hr/contracts/{contract.id}/billing").status_code == 200
