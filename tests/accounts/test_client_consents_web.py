"""Staff record the consent answers a client gave them (signed paper form, at the desk, on the phone) on the
client's page: how it was given is required, staff confirm the client said it, each change is audited with the
recorder, the history shows who recorded what, and a campaign or re-enrollment sees it at once."""

import re

import pytest

from checkup.core.audit import Actor
from checkup.core.errors import NotFound, ValidationError
from checkup.models import AuditEvent, Consent
from checkup.models.care import HEALTH_TARGETING, MARKETING_EMAIL, SERVICE_REMINDERS
from checkup.services.accounts import consents
from tests import factories

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def counselor(client):
    """The front desk (a scheduler): may record consents given and withdrawn."""
    user = factories.make_user("scheduler", name="周前台")
    factories.sign_in_directly(client, user)
    return user


def version(client, person):
    """The answers version the page shows (the hidden field staff post back)."""
    page = client.get(url(person)).get_data(as_text=True)
    return re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)


def post(client, person, **data):
    data.setdefault("version", version(client, person))
    return client.post(url(person), data=data)


@pytest.fixture
def person(app):
    return factories.make_client(name="钱多多", email="qian@example.com")


def url(person):
    return f"/directory/clients/{person.id}/consents"


def ticked(html):
    boxes = re.findall(r'<input[^>]*type="checkbox"[^>]*>', html)
    names = (re.search(r'name="([^"]+)"', box).group(1) for box in boxes if " checked" in box)
    return sorted(name for name in names if name != "confirmed")  # the purposes ticked


def test_the_page_shows_every_purpose_unticked_when_never_asked_and_an_empty_history(client, counselor, person):
    page = client.get(url(person)).get_data(as_text=True)
    assert "<h1>Email choices of 钱多多</h1>" in page
    assert ticked(page) == [] and page.count("Never asked, so treated as no.") == 3
    assert "No answer recorded yet." in page
    assert 'value="staff_paper"' in page and "checked" not in page.split('value="staff_paper"')[1][:40]


def test_recording_a_paper_form_writes_the_changes_with_the_recorder_and_audits_them(client, counselor, person):
    response = post(client, person, marketing_email="y", service_reminders="y", source="staff_paper", confirmed="y")
    assert response.status_code == 303 and response.headers["Location"].endswith(url(person))
    rows = list(Consent.select().where(Consent.client == person.id).order_by(Consent.purpose))
    assert [(r.purpose, r.granted, r.source, r.recorded_by_id) for r in rows] == [
        (MARKETING_EMAIL, True, "staff_paper", counselor.id),
        (SERVICE_REMINDERS, True, "staff_paper", counselor.id),
    ]
    events = list(AuditEvent.select().where(AuditEvent.action == "consent.granted"))
    assert len(events) == 2 and {e.user_id for e in events} == {counselor.id}
    page = client.get(url(person)).get_data(as_text=True)
    assert "The client&#39;s answers are recorded." in page
    assert ticked(page) == [MARKETING_EMAIL, SERVICE_REMINDERS]
    history = page.split('id="history-heading"')[1]
    assert history.count("on a signed paper form") == 2 and history.count("周前台") == 2
    assert consents.has_consent(person.id, MARKETING_EMAIL) and not consents.has_consent(person.id, HEALTH_TARGETING)


def test_a_withdrawal_by_phone_applies_at_once_and_the_history_keeps_both(client, counselor, person):
    consents.record_changes(None, person.id, {MARKETING_EMAIL: True}, "privacy_page")
    response = post(client, person, source="staff_phone", confirmed="y")  # every box unticked
    assert response.status_code == 303
    assert not consents.has_consent(person.id, MARKETING_EMAIL)
    page = client.get(url(person)).get_data(as_text=True)
    assert "by phone, recorded by our staff" in page and "The client" in page  # the earlier row: by the client
    assert [row.granted for row in consents.history(person.id)] == [False, True]


def test_submitting_the_answers_in_force_changes_nothing_and_says_so(client, counselor, person):
    response = client.post(
        url(person), data={"source": "staff_in_person", "confirmed": "y", "version": "0"}, follow_redirects=True
    )
    assert "Nothing changed: these were already the client&#39;s answers." in response.get_data(as_text=True)
    assert Consent.select().count() == 0


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"marketing_email": "y", "confirmed": "y"}, "source", "Choose how the client gave these answers."),
        (
            {"marketing_email": "y", "source": "by_pigeon", "confirmed": "y"},
            "source",
            "Choose how the client gave these answers.",
        ),
        (
            {"marketing_email": "y", "source": "staff_paper"},
            "confirmed",
            "Record only answers the client gave themselves, and confirm that they did.",
        ),
    ],
)
def test_without_how_or_the_confirmation_nothing_is_recorded_and_the_message_is_by_the_field(
    client, counselor, person, data, field, message
):
    response = post(client, person, **data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'role="alert"' in page and "Nothing was recorded: check the marked fields." in page
    assert re.search(rf'id="{field}-error"[^>]*>{re.escape(message)}', page.replace("&#39;", "'"))
    assert (
        Consent.select().count() == 0
        and AuditEvent.select().where(AuditEvent.action.startswith("consent.")).count() == 0
    )
    assert ticked(page) == [MARKETING_EMAIL]  # what staff ticked is kept for the retry


def test_a_missing_client_is_a_404_and_the_service_refuses_it_too(client, counselor):
    assert client.get("/directory/clients/987654/consents").status_code == 404
    assert (
        client.post(
            "/directory/clients/987654/consents",
            data={"source": "staff_paper", "confirmed": "y", "marketing_email": "y"},
        ).status_code
        == 404
    )
    with pytest.raises(NotFound):
        consents.record_for_client(Actor(counselor), 987654, {MARKETING_EMAIL: True}, "staff_paper", True, 0)
    with pytest.raises(ValidationError) as refused:  # a staff page cannot pose as the client's own answer
        consents.record_for_client(
            Actor(counselor), factories.make_client(name="x").id, {MARKETING_EMAIL: True}, "registration", True, 0
        )
    assert set(refused.value.field_errors) == {"source"}
    assert Consent.select().count() == 0


def test_the_client_page_summarises_the_answers_and_links_to_the_history(client, counselor, person):
    consents.record_changes(None, person.id, {SERVICE_REMINDERS: True, MARKETING_EMAIL: True}, "privacy_page")
    consents.record_changes(None, person.id, {MARKETING_EMAIL: False}, "unsubscribe_link")
    page = client.get(f"/directory/clients/{person.id}").get_data(as_text=True)
    section = page.split('id="consents-heading"')[1].split("</section>")[0]
    answers = dict(zip(re.findall(r"<dt>([^<]+)</dt>", section), re.findall(r"<dd>([^<]+)</dd>", section)))
    assert answers == {
        "Service reminders": "Given",
        "Health news and offers by email": "Withdrawn",
        "Offers chosen using my checkup findings": "Not given",
    }
    assert url(person) in section


def test_the_clients_own_privacy_page_shows_the_staff_recorded_answer(client, person):
    consents.record_for_client(
        Actor(factories.make_user("scheduler")), person.id, {MARKETING_EMAIL: True}, "staff_in_person", True, 0
    )
    account = factories.make_user("client", client=person, email="qian.account@example.com")
    factories.sign_in_directly(client, account)
    page = client.get("/me/privacy").get_data(as_text=True)
    assert ticked(page) == [MARKETING_EMAIL] and "in person, recorded by our staff" in page


def test_an_answer_changed_while_the_page_was_open_is_not_overwritten(client, counselor, person):
    consents.record_changes(None, person.id, {MARKETING_EMAIL: True}, "registration")
    shown = version(client, person)  # the page shows marketing ticked
    consents.withdraw_marketing(None, person.id, "unsubscribe_link")  # meanwhile, the link in an email
    response = client.post(
        url(person), data={"marketing_email": "y", "source": "staff_phone", "confirmed": "y", "version": shown}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "changed while this page was open" in page and 'role="alert"' in page
    assert not consents.has_consent(person.id, MARKETING_EMAIL)  # the withdrawal stands
    assert ticked(page) == []  # the page now shows the answers in force, with their version
    assert f'value="{consents.answers_version(person.id)}"' in page


@pytest.mark.parametrize("forged", ["", "abc", "-1", "9" * 30])
def test_a_missing_or_forged_version_records_nothing(client, counselor, person, forged):
    response = client.post(
        url(person), data={"marketing_email": "y", "source": "staff_paper", "confirmed": "y", "version": forged}
    )
    assert response.status_code == 409 and Consent.select().count() == 0


def test_a_counselor_records_a_withdrawal_but_not_a_consent_given(client, person):
    consents.record_changes(None, person.id, {MARKETING_EMAIL: True}, "registration")
    factories.sign_in_directly(client, factories.make_user("counselor", name="吴顾问"))
    page = client.get(url(person)).get_data(as_text=True)
    assert "A consent being given is recorded by the front desk or an administrator." in page
    refused = post(client, person, marketing_email="y", health_targeting="y", source="staff_phone", confirmed="y")
    assert refused.status_code == 422
    assert "Only the front desk or an administrator records a consent being given." in refused.get_data(as_text=True)
    assert not consents.has_consent(person.id, HEALTH_TARGETING)
    withdrawn = post(client, person, source="staff_phone", confirmed="y")  # marketing unticked
    assert withdrawn.status_code == 303 and not consents.has_consent(person.id, MARKETING_EMAIL)


def test_opening_the_page_is_audited(client, counselor, person):
    client.get(url(person))
    assert (
        AuditEvent.select()
        .where(AuditEvent.action == "directory.consents_viewed", AuditEvent.object_id == str(person.id))
        .count()
        == 1
    )
