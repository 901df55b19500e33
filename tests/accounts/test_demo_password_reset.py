"""The demo's accounts live in the reserved `test` domain (client@demo.test, hr@acme.demo.test): where
mail goes to the outbox folder, they can ask for a new password like anyone; other malformed or
special-use addresses are still refused, and a portal that sends real mail refuses `.test` too."""

import re

import pytest

from checkup.config import build_config
from checkup.demo import demo
from checkup.models import User

DEMO_ADDRESSES = [demo.DEMO_CLIENT["email"]] + [email for email, _name, _roles in demo.ACCOUNTS]


@pytest.fixture
def demo_center(app):
    demo.seed(history=False)


def _reset_path(mail):
    return re.search(r"http://localhost(/password/reset/\S+)", mail.get_content()).group(1)


@pytest.mark.parametrize("email", ["client@demo.test", "hr@acme.demo.test"])
def test_a_demo_account_gets_its_reset_link_in_the_outbox(app, demo_center, client, outbox, email):
    assert app.config["ALLOW_TEST_EMAIL_DOMAINS"] is True  # no SMTP server: the embedded set-up
    before = len(outbox())  # seeding the demo sent its own mail (bookings, reports)
    response = client.post("/password/forgot", data={"email": email})

    assert response.status_code == 303
    [mail] = outbox()[before:]
    assert mail["To"].addresses[0].addr_spec == email and mail["Subject"] == "Reset your password"
    assert client.get(_reset_path(mail)).headers["Location"] == "/password/reset"
    page = client.get("/password/reset")
    assert page.status_code == 200 and "New password" in page.get_data(as_text=True)


def test_every_demo_address_passes_the_forms_check(app, client, outbox):
    """No account behind them here: the answer is the same "if an account exists" page, not a form error."""
    assert len(DEMO_ADDRESSES) >= 6
    for email in DEMO_ADDRESSES:
        response = client.post("/password/forgot", data={"email": email})
        assert response.status_code == 303, (email, response.get_data(as_text=True)[:300])
    assert outbox() == []


@pytest.mark.parametrize(
    "email",
    [
        "client@demo",
        "client@localhost",
        "client@demo.invalid",
        "client@demo.local",
        "client.demo.test",
        "client@@demo.test",
        "client@-demo.test",
        "",
    ],
)
def test_garbage_is_still_refused(client, outbox, email):
    response = client.post("/password/forgot", data={"email": email})

    assert response.status_code == 422
    assert 'id="email-error"' in response.get_data(as_text=True)
    assert outbox() == []


def test_a_portal_that_sends_real_mail_refuses_test_addresses(app, client, outbox, make_user):
    make_user("client", email="someone@demo.test")
    app.config["ALLOW_TEST_EMAIL_DOMAINS"] = False  # what build_config decides when SMTP is configured

    response = client.post("/password/forgot", data={"email": "someone@demo.test"})

    assert response.status_code == 422 and "Enter a valid email address." in response.get_data(as_text=True)
    assert outbox() == []
    assert client.post("/password/forgot", data={"email": "someone@example.com"}).status_code == 303


def test_registration_takes_a_test_address_in_the_demo_set_up(client, outbox):
    response = client.post(
        "/register",
        data={
            "name": "演示用户",
            "email": "new.client@demo.test",
            "phone": "13800138000",
            "sex": "female",
            "birth_date": "1990-01-01",
            "password": "a-long-password",
            "confirm": "a-long-password",
        },
    )

    assert response.status_code == 303
    assert [mail["To"].addresses[0].addr_spec for mail in outbox()] == ["new.client@demo.test"]
    assert User.get(User.email == "new.client@demo.test").is_active is False  # waits for the emailed link


@pytest.mark.parametrize(
    "settings,allowed",
    [
        ({}, True),  # the embedded default: mail to the outbox folder
        ({"MAIL_SERVER": "smtp.example.com"}, False),  # real mail: real addresses only
        ({"MAIL_SERVER": "smtp.example.com", "ALLOW_TEST_EMAIL_DOMAINS": True}, True),
        ({"ALLOW_TEST_EMAIL_DOMAINS": False}, False),
    ],
)
def test_test_addresses_are_allowed_by_default_only_without_smtp(tmp_path, monkeypatch, settings, allowed):
    for env in ("CHECKUP_MAIL_SERVER", "CHECKUP_ALLOW_TEST_EMAIL_DOMAINS"):
        monkeypatch.delenv(env, raising=False)
    config = build_config(tmp_path, {"SECRET_KEY": "k", "NATIONAL_ID_KEY": "n", **settings})
    assert config["ALLOW_TEST_EMAIL_DOMAINS"] is allowed


def test_the_setting_reads_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CHECKUP_MAIL_SERVER", "smtp.example.com")
    monkeypatch.setenv("CHECKUP_ALLOW_TEST_EMAIL_DOMAINS", "yes")
    assert build_config(tmp_path, {"SECRET_KEY": "k", "NATIONAL_ID_KEY": "n"})["ALLOW_TEST_EMAIL_DOMAINS"] is True
