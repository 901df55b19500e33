"""The client's booking pages: choose, confirm, list, reschedule, cancel, waitlist offer and claim."""

import re

import pytest

from checkup.core.audit import Actor
from checkup.models import Appointment, Slot, WaitlistEntry
from checkup.services.booking import booking, waitlist
from tests import factories
from tests.booking_helpers import Center, assert_counters_consistent

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def center(app):
    yield Center(slot_capacity=2, ct_capacity=1)
    assert_counters_consistent()


@pytest.fixture
def me(make_user, login):
    user = make_user("client", email="me@example.com")
    login(user)
    return user


def test_choose_page_shows_price_month_and_slots(client, center, me):
    html = client.get(f"/me/book/CT-PKG?addons=EYE&month={center.day:%Y-%m}&day={center.day}").get_data(as_text=True)
    assert "¥395.00" in html  # 380 + 15
    assert "08:00–09:00" in html
    fragment = client.get(f"/me/book/CT-PKG?addons=EYE&day={center.day}", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True) and "¥395.00" in fragment.get_data(as_text=True)


def test_unknown_package_is_404_and_bad_addon_explained(client, center, me):
    assert client.get("/me/book/NOPE").status_code == 404
    html = client.get("/me/book/BASIC?addons=ZZZ").get_data(as_text=True)
    assert "cannot be added" in html


def test_confirm_books_once_even_when_resubmitted(client, center, me, outbox):
    page = client.get(f"/me/book/BASIC/confirm?slot={center.slot.id}").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([0-9a-f]+)"', page).group(1)
    data = {"slot": center.slot.id, "idempotency_key": key}
    first = client.post("/me/book/BASIC/confirm", data=data)
    second = client.post("/me/book/BASIC/confirm", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert Appointment.select().count() == 1
    detail = client.get(first.headers["Location"]).get_data(as_text=True)
    assert Appointment.get().exam_code in detail
    assert len(outbox()) == 1


def test_full_slot_gets_a_clear_message_with_alternatives(client, center, me):
    for _ in range(2):
        booking.book(Actor(), factories.make_client().id, center.slot.id, "BASIC")
    response = client.post("/me/book/BASIC/confirm", data={"slot": center.slot.id, "idempotency_key": "k"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "just filled up" in html and "09:00–10:00" in html


def test_tampered_slot_and_price_change_nothing(client, center, me):
    assert client.post("/me/book/BASIC/confirm", data={"slot": "abc"}).status_code == 303
    response = client.post("/me/book/BASIC/confirm", data={"slot": 999999, "price": "0.01"}, follow_redirects=True)
    assert "Choose a time from the list." in response.get_data(as_text=True)
    assert Appointment.select().count() == 0


def test_list_reschedule_and_cancel(client, center, me):
    appointment = booking.book(Actor(), me.client_id, center.slot.id, "BASIC")
    listing = client.get("/me/appointments").get_data(as_text=True)
    assert appointment.exam_code in listing
    response = client.post(f"/me/appointments/{appointment.id}/reschedule", data={"slot": center.slot2.id})
    assert response.status_code == 303
    assert Appointment.get_by_id(appointment.id).slot_id == center.slot2.id
    assert client.post(f"/me/appointments/{appointment.id}/cancel", data={"reason": ""}).status_code == 422
    response = client.post(f"/me/appointments/{appointment.id}/cancel", data={"reason": "ill", "details": "flu"})
    assert response.status_code == 303
    assert Appointment.get_by_id(appointment.id).status == "cancelled"
    ics = client.get(f"/me/appointments/{appointment.id}/calendar.ics")
    assert ics.mimetype == "text/calendar"


def test_another_clients_appointment_is_a_404_like_a_missing_one(client, center, me):
    other = factories.make_client()
    theirs = booking.book(Actor(), other.id, center.slot.id, "BASIC")
    for path in (
        f"/me/appointments/{theirs.id}",
        f"/me/appointments/{theirs.id}/cancel",
        f"/me/appointments/{theirs.id}/reschedule",
        f"/me/appointments/{theirs.id}/calendar.ics",
    ):
        mine, missing = client.get(path), client.get(path.replace(str(theirs.id), "999999"))
        assert mine.status_code == missing.status_code == 404
        assert factories.page_shape(mine) == factories.page_shape(missing)
    assert client.post(f"/me/appointments/{theirs.id}/cancel", data={"reason": "ill"}).status_code == 404
    assert Appointment.get_by_id(theirs.id).status == "booked"


def test_waitlist_offer_holds_the_place_and_claim_books_it(app, client, center, me, outbox):
    blockers = [
        booking.book(Actor(), factories.make_client().id, s.id, "BASIC")
        for s in (center.slot, center.slot, center.slot2, center.slot2)
    ]
    response = client.post("/me/waitlist/BASIC", data={"day": center.day.isoformat()})
    assert response.status_code == 303 and WaitlistEntry.select().count() == 1
    booking.cancel(Actor(), blockers[0].id, "changed plans")  # frees a place → offered to me, held
    slot = Slot.get_by_id(center.slot.id)
    assert (slot.booked, slot.held) == (1, 1)
    with pytest.raises(booking.PlaceTaken):  # nobody else can take the held place
        booking.book(Actor(), factories.make_client().id, center.slot.id, "BASIC")
    link = re.search(r"http://localhost(/me/waitlist/offer/\S+)", outbox()[-1].get_content()).group(1)
    traded = client.get(link)  # the token leaves the address at once: kept in the session
    assert traded.status_code == 303 and traded.headers["Location"] == "/me/waitlist/offer"
    page = client.get("/me/waitlist/offer").get_data(as_text=True)
    assert "Book this place" in page and link.rsplit("/", 1)[1] not in page
    assert client.post("/me/waitlist/offer").status_code == 303
    assert Appointment.select().where(Appointment.client == me.client_id, Appointment.status == "booked").count() == 1
    reused = client.get(link)
    assert reused.status_code == 410 and "expired or was already used" in reused.get_data(as_text=True)


def test_an_offer_link_opened_signed_out_keeps_its_token_out_of_the_sign_in_address(
    app, client, center, me, outbox, login
):
    for s in (center.slot, center.slot, center.slot2, center.slot2):
        booking.book(Actor(), factories.make_client().id, s.id, "BASIC")
    waitlist.join(Actor(), me.client_id, center.day, "BASIC")
    Slot.update(capacity=3).where(Slot.id == center.slot.id).execute()
    assert waitlist.offer_free_places(center.day.isoformat()) == 1
    link = re.search(r"http://localhost(/me/waitlist/offer/\S+)", outbox()[-1].get_content()).group(1)
    token = link.rsplit("/", 1)[1]
    client.post("/logout")
    traded = client.get(link)
    assert traded.status_code == 303 and traded.headers["Location"] == "/me/waitlist/offer"
    wall = client.get("/me/waitlist/offer")
    assert wall.status_code == 302 and token not in wall.headers["Location"]
    signed_in = login(me)  # signing in rotates the session, and keeps the offer
    assert token not in signed_in.headers["Location"]
    assert "Book this place" in client.get("/me/waitlist/offer").get_data(as_text=True)
    assert client.post("/me/waitlist/offer").status_code == 303
    assert Appointment.select().where(Appointment.client == me.client_id, Appointment.status == "booked").count() == 1


def test_expired_offer_passes_to_the_next_in_line(app, center):
    import datetime

    for s in (center.slot, center.slot, center.slot2, center.slot2):
        booking.book(Actor(), factories.make_client().id, s.id, "BASIC")
    first, second = factories.make_client(), factories.make_client()
    waitlist.join(Actor(), first.id, center.day, "BASIC")
    waitlist.join(Actor(), second.id, center.day, "BASIC")
    Slot.update(capacity=3).where(Slot.id == center.slot.id).execute()
    assert waitlist.offer_free_places(center.day.isoformat()) == 1
    WaitlistEntry.update(offer_expires_at=datetime.datetime(2000, 1, 1)).where(
        WaitlistEntry.client == first.id
    ).execute()
    waitlist.expire_offers()
    statuses = {e.client_id: e.status for e in WaitlistEntry.select()}
    assert statuses == {first.id: "expired", second.id: "offered"}
