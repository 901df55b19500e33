"""The cashier's pages, the client's money pages and HR's billing page over HTTP: thin views on the money
services, messages next to the field, another's objects answer 404, receipts render Chinese, and the list
pages issue a fixed number of queries."""

import datetime
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from checkup.models import Appointment, Slot
from checkup.models.appointments import COMPLETED
from checkup.models.money import Payment, Refund
from checkup.services.booking import booking
from checkup.services.money import ledger
from tests import factories
from tests.money.money_helpers import Desk

pytestmark = pytest.mark.both_dbs


def _pay(client, appointment_id, *parts):
    data = {}
    for n, (method, amount) in enumerate(parts):
        data[f"method_{n}"], data[f"amount_{n}"] = method, amount
    return client.post(f"/desk/cashier/appointments/{appointment_id}/pay", data=data)


def test_the_desk_takes_a_split_payment_and_prints_a_chinese_receipt(app, client, login):
    desk = Desk()
    login(desk.cashier)
    page = client.get(f"/desk/cashier/appointments/{desk.appointment.id}")
    assert page.status_code == 200 and "380.00" in page.get_data(as_text=True)
    response = _pay(client, desk.appointment.id, ("cash", "200"), ("wechat_pay", "180"))
    assert response.status_code == 303
    receipt_no = Payment.get().receipt_no
    pdf = client.get(f"/desk/cashier/appointments/{desk.appointment.id}/receipt?no={receipt_no}")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    # downloaded like every other PDF: a browser showing it inline would ask for /favicon.ico on its own
    assert pdf.headers["Content-Disposition"] == f'attachment; filename="receipt-{receipt_no}.pdf"'
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "王芳" in text and "叁佰捌拾元整" in text and "380.00" in text
    assert ledger.balance(desk.appointment.id).due == Decimal("0.00")


def test_a_bad_amount_comes_back_next_to_its_field_and_nothing_is_written(app, client, login):
    desk = Desk()
    login(desk.cashier)
    response = _pay(client, desk.appointment.id, ("cash", "12.345"))
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="amount_0-error"' in body and "two decimals" in body and 'aria-invalid="true"' in body
    response = _pay(client, desk.appointment.id, ("cash", "999"))
    assert response.status_code == 422 and "more than the balance due (380.00)" in response.get_data(as_text=True)
    assert Payment.select().count() == 0


def test_a_refund_without_a_reason_is_refused_and_one_with_a_reason_is_recorded(app, client, login):
    desk = Desk(package="BASIC")
    login(desk.cashier)
    _pay(client, desk.appointment.id, ("cash", "100"))
    booking.cancel(desk.actor, desk.appointment.id, "改期", staff=True)
    refused = client.post(
        f"/desk/cashier/appointments/{desk.appointment.id}/refund", data={"amount": "100", "reason": ""}
    )
    assert refused.status_code == 422 and 'id="refund-reason-error"' in refused.get_data(as_text=True)
    assert Refund.select().count() == 0
    done = client.post(
        f"/desk/cashier/appointments/{desk.appointment.id}/refund", data={"amount": "100", "reason": "取消预约退费"}
    )
    assert done.status_code == 303 and Refund.get().reason == "取消预约退费"


def test_the_client_sees_their_own_money_and_nobody_elses(app, client, login):
    desk = Desk(package="BASIC")
    user = factories.make_user("client", client=desk.client, email="wf@example.com")
    other = desk.another()
    login(user)
    assert client.get("/me/money").status_code == 200
    page = client.get(f"/me/money/{desk.appointment.id}")
    assert page.status_code == 200 and "100.00" in page.get_data(as_text=True)
    assert client.get(f"/me/money/{other.id}").status_code == 404
    assert client.post(f"/me/money/{other.id}/invoice", data={"title": "个人", "email": "a@b.cn"}).status_code == 404
    assert client.get(f"/me/money/{other.id}/receipt?no=R1").status_code == 404
    ordered = client.post(f"/me/money/{desk.appointment.id}/pay")
    assert ordered.status_code == 200 and "CK" in ordered.get_data(as_text=True)


def test_hr_sees_only_their_own_contracts_billing(app, client, login):
    hr = factories.make_user("hr", email="hr@example.com")
    own = factories.make_contract(hr.organization)
    foreign = factories.make_contract()
    login(hr)
    assert client.get(f"/hr/contracts/{own.id}/billing").status_code == 200
    assert client.get(f"/hr/contracts/{foreign.id}/billing").status_code == 404


def test_the_list_pages_issue_a_fixed_number_of_queries(app, client, login, count_queries):
    desk = Desk(package="BASIC")
    user = factories.make_user("client", client=desk.client, email="wf@example.com")
    login(desk.cashier)

    def cashier_search():
        with count_queries() as counted:
            assert client.post("/desk/cashier", data={"q": "王芳"}).status_code == 200
        return counted.count

    def my_money():
        with count_queries() as counted:
            assert client.get("/me/money").status_code == 200
        return counted.count

    few = cashier_search()
    for _n in range(3):
        booking.book(desk.actor, factories.make_client(name="王芳").id, desk.center.slot2.id, "BASIC")
    assert cashier_search() == few
    client.post("/logout")
    login(user)
    before = my_money()
    for n in range(3):  # earlier checkups of the same client, with their ledger
        day = desk.center.day - datetime.timedelta(days=400 + n)
        slot = Slot.create(day=day, start_time=datetime.time(8), end_time=datetime.time(9), capacity=5)
        past = Appointment.create(
            exam_code=f"OLD{n:04d}",
            client=desk.client,
            slot=slot,
            day=day,
            package=desk.center.basic,
            status=COMPLETED,
            total_price=Decimal("100"),
            self_amount=Decimal("100"),
        )
        ledger.post_charges(past)
    assert my_money() == before
