"""The desk booking page's catalog read in one statement (services/catalog/booking_choices) gives what
``packages.offers_for``, ``booking.quote`` and ``booking.addon_choices`` give the refused POST's path: the
packages that fit, the times' resources (the chosen add-ons' too, or the package's alone when the quote refuses
one) and the add-ons offered with their prices, for clients of either sex and many ages, on several days,
every package asked for (or none, or an unknown one) and many add-on choices; two packages of one price; an
inactive package or module; a module with no item."""

import datetime
import itertools

import pytest

from checkup.core.errors import DomainError
from checkup.models import Package
from checkup.services.booking import booking
from checkup.services.catalog import booking_choices, packages
from tests import factories

pytestmark = pytest.mark.both_dbs


def _catalog():
    ct, us = factories.make_resource("CT"), factories.make_resource("US")
    dept = factories.make_department("LAB")
    item = lambda code, price, **fields: factories.make_item(code, dept, price=price, **fields)  # noqa: E731
    blood = item("WBC", "20.00")
    psa = item("PSA", "80.00", sex="male", age_min=40)
    hpv = item("HPV", "120.00", sex="female")
    ct_item = item("CT-CHEST", "300.00", resource=ct)
    echo = item("ECHO", "260.00", resource=us)
    bmd = item("BMD", "120.00", age_min=35)
    afp = item("AFP", "60.00")
    cea = item("CEA", "20.00")
    factories.make_package("BASIC", [blood, afp], price="100.00")
    factories.make_package("MEN", [blood, psa], price="90.00", sex="male")
    factories.make_package("WOMEN", [blood, hpv], price="90.00", sex="female")  # the same price as MEN
    factories.make_package("CT-PKG", [blood, ct_item, psa, hpv], price="380.00", age_min=30)
    factories.make_package("YOUNG", [blood], price="50.00", age_max=29)
    factories.make_package("EMPTY", [], price="60.00")
    factories.make_package("OFF", [blood], price="10.00", active=False)
    factories.make_module("TUMOR", [afp, cea, psa], price="90.00", sort_order=2)
    factories.make_module("CT", [ct_item], price="280.00", sort_order=1)
    factories.make_module("ECHO", [echo, ct_item], price="500.00", sort_order=1)
    factories.make_module("PROSTATE", [psa], price="70.00", sex="male", age_min=45, sort_order=3)
    factories.make_module("BONE", [bmd], price="100.00", age_max=70, sort_order=4)
    factories.make_module("GYN", [hpv, echo], price="300.00", sex="female", sort_order=5)
    factories.make_module("NONE", [], price="10.00", sort_order=6)
    factories.make_module("GONE", [cea], price="10.00", active=False, sort_order=0)


def _old(client, day, asked, chosen):
    """The refused POST's path of the view (desk_booking.book_for_client), as it works the page out."""
    offers = [o for o in packages.offers_for(client.sex, client.birth_date, day) if o.eligible]
    code = asked or (offers[0].package.code if offers else "")
    package = next((o.package for o in offers if o.package.code == code), None)
    offer = None
    if package:
        try:
            offer = booking.quote(client, code, chosen, day=day, package=package)
        except DomainError:
            offer = booking.quote(client, code, day=day, package=package)
    modules = booking.addon_choices(package, client, day=day, package_item_ids=offer.package_item_ids) if offer else []
    return (
        [o.package.code for o in offers],
        package.code if package else None,
        offer.resource_ids if offer else [],
        [(m.code, m.offered_price) for m in modules],
    )


def _new(client, day, asked, chosen):
    """The GET's path (desk_booking._book_page)."""
    shown = booking_choices.booking_choices(client.sex, packages.age_on(client.birth_date, day), asked, chosen)
    return (
        [p.code for p in shown.offers],
        shown.package.code if shown.package else None,
        shown.resource_ids,
        [(m.code, m.offered_price) for m in shown.modules],
    )


CHOSEN = [[], ["CT"], ["ECHO", "CT"], ["TUMOR"], ["PROSTATE"], ["GYN", "BONE"], ["NONE"], ["GONE"], ["X", "CT"]]


def test_the_one_statement_gives_what_the_quote_and_the_choices_give(app, count_queries):
    _catalog()
    day = datetime.date(2030, 6, 15)
    clients = [
        factories.make_client(sex=sex, birth_date=datetime.date(year, 6, 16))
        for sex, year in itertools.product(("male", "female"), (2012, 2001, 1994, 1986, 1980, 1960, 1950))
    ]
    codes = [None, "", "BASIC", "MEN", "WOMEN", "CT-PKG", "YOUNG", "EMPTY", "OFF", "NOPE"]
    compared = 0
    for client in clients:
        for when, asked, chosen in itertools.product((day, day - datetime.timedelta(days=1)), codes, CHOSEN):
            expected = _old(client, when, asked, chosen)
            with count_queries() as q:
                assert _new(client, when, asked, chosen) == expected, (client.sex, client.birth_date, asked, chosen)
            assert q.count <= 2
            compared += 1
    assert compared == 14 * 2 * 10 * 9


def test_one_statement_unless_the_statement_picked_another_package(app, count_queries):
    _catalog()
    man = factories.make_client(sex="male", birth_date=datetime.date(1980, 1, 1))
    when = datetime.date(2025, 1, 2)
    Package.update(active=False).where(Package.code == "EMPTY").execute()
    with count_queries() as q:
        shown = booking_choices.booking_choices("male", 45, None, ["CT"])
    assert (
        q.count == 1 and shown.package.code == "MEN" and _new(man, when, None, ["CT"]) == _old(man, when, None, ["CT"])
    )
    # two packages of one price (whose order offers_for leaves to the database): the page shows its first
    # offer's, read again if the statement took the other
    Package.update(price="90.00").where(Package.code == "BASIC").execute()
    with count_queries() as q:
        shown = booking_choices.booking_choices("male", 45, None, ["CT"])
    assert q.count <= 2 and shown.package is shown.offers[0]
    assert _new(man, when, None, ["CT"])[1:] == _old(man, when, shown.package.code, ["CT"])[1:]
    # a package with no item: read again (nothing tells which package the statement picked)
    Package.update(price="100.00").where(Package.code == "BASIC").execute()
    Package.update(active=True).where(Package.code == "EMPTY").execute()
    expected = _old(man, when, None, [])
    with count_queries() as q:
        assert _new(man, when, None, []) == expected
    assert q.count == 2


def test_the_desk_page_reads_the_client_the_catalog_and_the_day_in_four_statements(
    client, make_user, login, count_queries
):
    """The GET: the session, the client, the catalog (one statement) and the day's slots with their room (one); a refused
    POST prints the same options, add-ons and times through the service calls it always made."""
    from tests.booking_helpers import Center

    center = Center()
    login(make_user("scheduler"))
    person = factories.make_client(sex="male", birth_date=datetime.date(1980, 1, 1))
    path = f"/desk/clients/{person.id}/book?package=CT-PKG&day={center.day}&addons=EYE&addons=NOPE"
    client.get(path)
    with count_queries() as q:
        page = client.get(path)
    assert page.status_code == 200 and q.count == 4  # the session, the client, the catalog, the day (was 8)
    html = page.get_data(as_text=True)
    assert 'value="CT-PKG" selected' in html and html.count('type="radio"') == 2
    form = html[html.index('<form method="get"') : html.index("</form>")]
    refused = client.post(
        f"/desk/clients/{person.id}/book",
        data={"package": "CT-PKG", "day": str(center.day), "addons": ["EYE", "NOPE"], "slot": ""},
    )
    again = refused.get_data(as_text=True)
    assert refused.status_code == 422 and again[again.index('<form method="get"') : again.index("</form>")] == form
