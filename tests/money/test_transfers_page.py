"""The desk's transfers to confirm read as plain rows in one prepared select (providers.open_orders): the page's
rows are what the old loop printed over the orders as model objects, in English and Chinese."""

import pytest
from flask import render_template_string
from flask_babel import force_locale

from checkup.core.audit import Actor
from checkup.models import Appointment
from checkup.models.money import ProviderOrder
from checkup.services.money import providers
from tests import factories
from tests.money.money_helpers import Desk

LOOP = (
    "{% for o in orders %}<tr><td>{{ o.order_no }}</td><td>{{ EXAM }}</td><td>¥{{ o.amount|money }}</td>"
    "<td>{{ o.created_at|center_time }}</td></tr>{% endfor %}"
)
OLD = LOOP.replace("EXAM", "o.appointment.exam_code")
NEW = LOOP.replace("EXAM", "o.exam_code")


def _old_orders():
    return list(
        ProviderOrder.select(ProviderOrder, Appointment)
        .join(Appointment)
        .where(ProviderOrder.state == "open")
        .order_by(ProviderOrder.created_at, ProviderOrder.id)
        .limit(50)
    )


@pytest.mark.parametrize("language", ["en", "zh"])
def test_open_orders_print_as_the_model_rows_did(app, language):
    desk = Desk(package="BASIC")
    other = desk.another()
    providers.create_order(Actor(), desk.appointment.id, client_id=desk.client.id)
    providers.create_order(Actor(), other.id, client_id=other.client_id)
    orders = providers.open_orders()
    assert len(orders) == 2
    with app.test_request_context("/"), force_locale(language):
        assert render_template_string(NEW, orders=orders) == render_template_string(OLD, orders=_old_orders())


def test_the_transfers_page_lists_an_open_order_in_two_statements(app, client, count_queries):
    desk = Desk(package="BASIC")
    order, _shown = providers.create_order(Actor(), desk.appointment.id, client_id=desk.client.id)
    factories.sign_in_directly(client, desk.cashier)
    client.get("/desk/cashier/transfers")
    with count_queries() as counted:
        page = client.get("/desk/cashier/transfers")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"<tr><td>{order.order_no}</td><td>{desk.appointment.exam_code}</td><td>¥100.00</td>" in text
    assert len(counted.queries) == 2, counted.queries  # the session, the orders
