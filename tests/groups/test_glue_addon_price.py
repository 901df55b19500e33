"""The company checkup's add-on list shows what will be charged: a module that overlaps the package costs
less than its list price (the package's items are not paid twice), and the list says so."""

import pytest

from checkup.services.groups import group_booking
from tests import factories
from tests.group_booking_helpers import GroupCenter


@pytest.fixture
def world(app):
    return GroupCenter()


@pytest.mark.both_dbs
def test_an_overlapping_module_is_listed_at_the_price_charged_not_its_list_price(app, client, world):
    user = factories.make_user("client", client=world.employee, email="employee@example.com")
    factories.sign_in_directly(client, user)
    tsh = factories.make_item("TSH", world.blood.department, price="60.00", name_en="TSH")
    # WBC (¥20) is in the package already: of the ¥80 module only TSH's share (¥60) is charged
    factories.make_module("THYROID", [world.blood, tsh], price="80.00", name_en="Thyroid panel")
    url = f"/me/group/{world.enrollment.id}/book?day={world.day}"

    html = client.get(url).get_data(as_text=True)
    label = html[html.index('id="addon-THYROID"') : html.index("</label>", html.index('id="addon-THYROID"'))]
    assert "¥60.00" in label and "¥80.00" not in label and "TSH" in label
    chosen = client.get(url + "&addons=THYROID").get_data(as_text=True)
    label = chosen[chosen.index('id="addon-THYROID"') : chosen.index("</label>", chosen.index('id="addon-THYROID"'))]
    assert "checked" in label and "¥60.00" in label
    quote = group_booking.quote(world.enrollment, ["THYROID"])
    assert [str(line.price) for line in quote.modules] == ["60.00"]  # the list and the quote agree
