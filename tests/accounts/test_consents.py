"""Consents: an append-only history whose latest answer wins, never pre-ticked, recorded at registration only when
ticked, changed on the privacy page or through the manage link in every email (no sign-in), effective at once."""

import re

import pytest

from checkup.core import audit
from checkup.models import AuditEvent, Campaign, Consent, Message
from checkup.models.care import HEALTH_TARGETING, MARKETING_EMAIL, SERVICE_REMINDERS
from checkup.services.accounts import consents
from checkup.services.care import campaign_segments, campaigns
from checkup.services.mail import messages
from tests.campaign_helpers import consenting_client
from tests.factories import make_client, make_user, sign_in_directly

pytestmark = pytest.mark.both_dbs

REGISTRATION = {
    "name": "Lin Mei",
    "email": "lin.mei@example.com",
    "phone": "13800000000",
    "sex": "female",
    "birth_date": "1990-04-05",
    "password": "a-long-password",
    "confirm": "a-long-password",
}


def checkboxes(html):
    return re.findall(r"<input[^>]*type=\"checkbox\"[^>]*>", html)


def ticked(html):
    return sorted(re.search(r'name="([^"]+)"', box).group(1) for box in checkboxes(html) if " checked" in box)


def path_of(url):
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


# --- the history -------------------------------------------------------------------------------------


def test_the_latest_answer_wins_and_the_history_keeps_every_answer(app):
    client = make_client(email="a@example.com")
    assert consents.has_consent(client.id, MARKETING_EMAIL) is False  # never asked is no
    for answer in (True, False, True):
        consents.record_changes(audit.SYSTEM, client.id, {MARKETING_EMAIL: answer}, "privacy_page")
    assert consents.has_consent(client.id, MARKETING_EMAIL) is True
    assert [row.granted for row in consents.history(client.id)] == [True, False, True]
    assert list(consents.consented_ids(MARKETING_EMAIL).tuples()) == [(client.id,)]
    consents.record_changes(audit.SYSTEM, client.id, {MARKETING_EMAIL: False}, "privacy_page")
    assert consents.consented_ids(MARKETING_EMAIL).count() == 0
    assert [e.action for e in AuditEvent.select().order_by(AuditEvent.id)] == [
        "consent.granted",
        "consent.withdrawn",
        "consent.granted",
        "consent.withdrawn",
    ]


def test_only_changes_are_recorded(app):
    client = make_client(email="b@example.com")
    # an unticked box for a purpose never asked is no change: nothing is written
    assert consents.record_changes(audit.SYSTEM, client.id, {SERVICE_REMINDERS: False}, "privacy_page") == []
    assert consents.record_changes(
        audit.SYSTEM, client.id, {SERVICE_REMINDERS: True, MARKETING_EMAIL: False}, "privacy_page"
    ) == [SERVICE_REMINDERS]
    assert consents.record_changes(audit.SYSTEM, client.id, {SERVICE_REMINDERS: True}, "privacy_page") == []
    assert Consent.select().count() == 1
    with pytest.raises(ValueError):
        consents.record_changes(audit.SYSTEM, client.id, {"diagnoses": True}, "privacy_page")


def test_masks_show_enough_to_recognise_oneself_and_no_more(app):
    assert consents.mask_name("王芳") == "王*"
    assert consents.mask_name("Jane Smith") == "J*** S****"
    assert consents.mask_email("jane.smith@example.com") == "j***@example.com"
    assert consents.mask_email("") == ""


# --- the client's privacy page ------------------------------------------------------------------------


@pytest.fixture
def client_user(client, make_user):
    return sign_in_directly(client, make_user("client", email="me@example.com"))


def test_privacy_page_ticks_nothing_when_no_consent_exists(client, client_user):
    response = client.get("/me/privacy")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert len(checkboxes(html)) == 3 and ticked(html) == []
    assert 'href="/me/privacy" aria-current="page"' in html  # in the client's navigation
    assert "You have not been asked yet" in html
    assert "Health news and offers by email" in html and "Offers chosen using my checkup findings" in html


def test_privacy_page_shows_the_answer_in_force_with_when_and_how(client, client_user):
    consents.record_changes(audit.SYSTEM, client_user.client_id, {MARKETING_EMAIL: True}, "registration")
    html = client.get("/me/privacy").get_data(as_text=True)
    assert ticked(html) == ["marketing_email"]
    assert "when registering" in html and "Given" in html


def test_saving_the_privacy_page_records_only_what_changed(client, client_user):
    response = client.post("/me/privacy", data={"marketing_email": "y"})
    assert response.status_code == 303 and response.headers["Location"] == "/me/privacy"
    [row] = Consent.select()
    assert (row.purpose, row.granted, row.source, row.recorded_by_id) == (
        MARKETING_EMAIL,
        True,
        "privacy_page",
        client_user.id,
    )
    client.post("/me/privacy", data={"marketing_email": "y"})
    assert Consent.select().count() == 1
    client.post("/me/privacy", data={})
    assert consents.has_consent(client_user.client_id, MARKETING_EMAIL) is False
    assert Consent.select().count() == 2
    html = client.get("/me/privacy").get_data(as_text=True)
    assert ticked(html) == [] and "Withdrawn" in html and "on the privacy page" in html
    assert html.count("<tr>") == 1 + 2  # the header row and two answers in the history


# --- registration --------------------------------------------------------------------------------------


def test_registration_offers_unticked_consents(client):
    html = client.get("/register").get_data(as_text=True)
    assert sorted(re.search(r'name="([^"]+)"', b).group(1) for b in checkboxes(html)) == [
        "consent_marketing_email",
        "consent_service_reminders",
    ]
    assert ticked(html) == []


def _open_account(client, outbox):
    """Follow the welcome email's link and give the password chosen when registering."""
    link = re.search(r"http://localhost(/register/confirm/\S+)", outbox()[-1].get_content()).group(1)
    client.get(link)
    assert client.post("/register/confirm", data={"password": REGISTRATION["password"]}).status_code == 303


def test_registration_records_only_the_ticked_consent_once_the_owner_confirms(client, outbox):
    response = client.post("/register", data=dict(REGISTRATION, consent_marketing_email="y"))
    assert response.status_code == 303
    assert Consent.select().count() == 0  # an address nobody has confirmed gets no campaign
    _open_account(client, outbox)
    [row] = Consent.select()
    assert (row.purpose, row.granted, row.source) == (MARKETING_EMAIL, True, "registration")
    assert row.recorded_by_id is not None


def test_registration_without_ticks_records_nothing(client, outbox):
    assert client.post("/register", data=REGISTRATION).status_code == 303
    _open_account(client, outbox)
    assert Consent.select().count() == 0


# --- the manage link ---------------------------------------------------------------------------------


def test_manage_link_works_logged_out_and_shows_only_masked_details(app, client):
    person = consenting_client(name="Jane Smith", email="jane.smith@example.com")
    traded = client.get(path_of(consents.manage_url(person.id)))  # the token leaves the address at once
    assert traded.status_code == 303 and traded.headers["Location"] == "/preferences"
    response = client.get("/preferences")
    html = response.get_data(as_text=True)
    assert path_of(consents.manage_url(person.id)) not in html and 'action="/preferences"' in html
    assert response.status_code == 200
    assert "J*** S****" in html and "j***@example.com" in html
    assert "Jane Smith" not in html and "jane.smith@example.com" not in html
    assert ticked(html) == ["marketing_email"]
    assert "Unsubscribe from all marketing" in html


@pytest.mark.parametrize("token", ["garbage", "MQ.forged-signature", "a" * 500])
def test_a_forged_token_is_a_404(app, client, token):
    consenting_client()
    response = client.get(f"/preferences/{token}")
    assert response.status_code == 404
    assert client.post("/preferences", data={"action": "unsubscribe_all"}).status_code == 404  # nothing kept
    assert client.post(f"/preferences/{token}/unsubscribe").status_code == 404
    assert Consent.select().where(Consent.granted == False).count() == 0


def test_a_token_signed_with_another_key_is_a_404(app, client):
    person = consenting_client()
    token = consents.manage_token(person.id)
    app.config["SECRET_KEY"] = "another-key"
    assert client.get(f"/preferences/{token}").status_code == 404


def test_unsubscribe_through_the_link_takes_effect_before_the_next_send(app, client, outbox):
    leaving = consenting_client(
        name="Leaving", email="leaving@example.com", purposes=(MARKETING_EMAIL, HEALTH_TARGETING, SERVICE_REMINDERS)
    )
    staying = consenting_client(name="Staying", email="staying@example.com")
    segment = campaign_segments.clean_segment({})
    assert campaign_segments.audience(segment).count() == 2

    url = path_of(consents.manage_url(leaving.id))
    client.get(url)
    response = client.post("/preferences", data={"action": "unsubscribe_all"})
    assert response.status_code == 303 and response.headers["Location"] == "/preferences"
    assert "unsubscribed from all marketing" in client.get("/preferences").get_data(as_text=True)
    answers = consents.current(leaving.id)
    assert answers == {SERVICE_REMINDERS: True, MARKETING_EMAIL: False, HEALTH_TARGETING: False}
    assert {r.source for r in Consent.select().where(Consent.granted == False)} == {"unsubscribe_link"}
    assert [c.id for c in campaign_segments.audience(segment)] == [staying.id]

    campaign = Campaign.create(
        name="Spring",
        subject="Spring offers",
        body="Hello",
        status="queued",
        segment_json=campaign_segments.dump(segment),
    )
    campaigns.send_campaign(campaign.id)
    assert [m["To"] for m in outbox()] == ["staying@example.com"]


def test_per_purpose_toggles_on_the_manage_page(app, client):
    person = consenting_client(purposes=(MARKETING_EMAIL,))
    client.get(path_of(consents.manage_url(person.id)))
    assert client.post("/preferences", data={"action": "save", "service_reminders": "y"}).status_code == 303
    assert consents.current(person.id) == {SERVICE_REMINDERS: True, MARKETING_EMAIL: False, HEALTH_TARGETING: False}
    assert {r.source for r in Consent.select().where(Consent.id > 1)} == {"unsubscribe_link"}


def test_one_click_unsubscribe_needs_no_form_token(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    person = consenting_client(purposes=(MARKETING_EMAIL, HEALTH_TARGETING))
    url = path_of(consents.manage_url(person.id))
    # the page's own form needs its CSRF token …
    assert client.get(url).status_code == 303
    assert client.post("/preferences", data={"action": "unsubscribe_all"}).status_code == 400
    assert consents.has_consent(person.id, MARKETING_EMAIL)
    # … the RFC 8058 one-click address is what mail programs POST to, with no token
    response = client.post(url + "/unsubscribe", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not consents.has_consent(person.id, MARKETING_EMAIL)
    assert not consents.has_consent(person.id, HEALTH_TARGETING)


def test_every_message_carries_a_working_manage_link_and_list_unsubscribe(app, client, outbox):
    person = consenting_client(email="reader@example.com")
    messages.send_once(person, "campaign", "test:1", "Subject", "Body text", one_click=True)
    [mail] = outbox()
    body = mail.get_content()
    manage = consents.manage_url(person.id)
    assert manage in body
    assert mail["List-Unsubscribe"].strip() == f"<{manage}/unsubscribe>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert client.get(path_of(manage), follow_redirects=True).status_code == 200
    messages.send_once(person, "reenrollment", "test:2", "Subject", "Body text")
    assert outbox()[1]["List-Unsubscribe"].strip() == f"<{manage}>" and outbox()[1]["List-Unsubscribe-Post"] is None
    assert Message.select().count() == 2


def test_a_staff_member_signed_in_sees_no_privacy_page_of_their_own(client):
    sign_in_directly(client, make_user("counselor"))
    assert client.get("/me/privacy").status_code == 403
