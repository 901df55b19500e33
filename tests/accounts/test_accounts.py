"""Registration, password reset, profile and password change."""

import re

import pytest

from checkup.core import passwords
from checkup.models import AuditEvent, Client, Consent, LoginSession, PasswordResetToken, User
from tests import factories
from tests.conftest import PASSWORD

pytestmark = pytest.mark.both_dbs

GOOD = {
    "name": "王小明",
    "email": "Xiaoming@Example.com",
    "phone": "13800138000",
    "sex": "male",
    "birth_date": "1990-02-03",
    "password": "a-long-password",
    "confirm": "a-long-password",
}


def _confirm_link(mail):
    return re.search(r"http://localhost(/register/confirm/\S+)", mail.get_content()).group(1)


def test_register_opens_the_account_only_from_the_welcome_link(client, outbox):
    response = client.post("/register", data=GOOD)
    assert response.status_code == 303 and response.headers["Location"] == "/register/sent"
    page = client.get("/register/sent").get_data(as_text=True)
    assert "Check your email" in page and "Follow the link in it to continue." in page
    user = User.get(User.email == "xiaoming@example.com")
    assert user.role_names == {"client"} and (user.is_active, user.registration_pending) == (False, True)
    assert user.client.name == "王小明" and user.client.sex == "male"
    assert user.password_hash.startswith("$argon2id$")
    assert client.get("/me").status_code == 302  # not signed in
    refused = client.post("/login", data={"email": "xiaoming@example.com", "password": "a-long-password"})
    assert refused.status_code == 422 and "The email or password is not correct." in refused.get_data(as_text=True)

    [mail] = outbox()
    assert mail["To"] == "xiaoming@example.com" and "Confirm your email address" in mail["Subject"]
    link = _confirm_link(mail)
    held = client.get(link)  # the token goes into the session, out of the address bar
    assert held.status_code == 303 and held.headers["Location"] == "/register/confirm"
    assert "Open your account" in client.get("/register/confirm").get_data(as_text=True)
    wrong = client.post("/register/confirm", data={"password": "not-my-password"})
    assert wrong.status_code == 422
    assert "This is not the password you chose when registering." in wrong.get_data(as_text=True)
    assert User.get_by_id(user.id).registration_pending is True

    opened = client.post("/register/confirm", data={"password": "a-long-password"})
    assert opened.status_code == 303 and opened.headers["Location"] == "/me"
    home = client.get("/me", follow_redirects=True).get_data(as_text=True)
    assert "Welcome! Your account is ready." in home
    assert (User.get_by_id(user.id).is_active, User.get_by_id(user.id).registration_pending) == (True, False)
    assert AuditEvent.select().where(AuditEvent.action == "account.registration_confirmed").count() == 1
    again = client.get(link)  # the link is spent
    assert again.status_code == 400 and "Register again" in again.get_data(as_text=True)


def test_register_with_a_taken_email_answers_exactly_like_a_new_registration(app, make_user, outbox, monkeypatch):
    owner = make_user("client", email="xiaoming@example.com", name="Owner Name")
    owner_hash = owner.password_hash
    costs = []
    monkeypatch.setattr(passwords, "hash_password", _counting(passwords.hash_password, costs, "hash"))
    monkeypatch.setattr(passwords, "burn_time", _counting(passwords.burn_time, costs, "burn"))
    newcomer, intruder = app.test_client(), app.test_client()

    new = newcomer.post("/register", data=dict(GOOD, email="someone.new@example.com"))
    taken = intruder.post("/register", data=GOOD)

    # from outside the two answers are one: status, headers, body, no cookie, the same page after it
    assert (
        (new.status_code, new.headers["Location"])
        == (taken.status_code, taken.headers["Location"])
        == (303, "/register/sent")
    )
    assert sorted(new.headers.items()) == sorted(taken.headers.items())
    assert "Set-Cookie" not in new.headers and new.get_data() == taken.get_data()
    new_page, taken_page = newcomer.get("/register/sent"), intruder.get("/register/sent")
    assert factories.page_shape(new_page) == factories.page_shape(taken_page)
    for answer in (taken, taken_page):
        assert "already" not in answer.get_data(as_text=True)
    assert costs == ["hash", "burn"]  # one password hash each: the same time class
    # nobody is signed in; nothing was created or changed for the taken address
    assert intruder.get("/me").status_code == 302 and newcomer.get("/me").status_code == 302
    assert User.select().count() == 2 and Client.select().count() == 2
    owner = User.get_by_id(owner.id)
    assert (owner.name, owner.password_hash, owner.is_active) == ("Owner Name", owner_hash, True)
    assert (
        AuditEvent.select()
        .where(AuditEvent.action == "account.registration_attempt", AuditEvent.object_id == str(owner.id))
        .count()
        == 1
    )
    # the owner hears of it, with the ways in and no reset token
    mails = {mail["To"]: mail for mail in outbox()}
    assert set(mails) == {"someone.new@example.com", "xiaoming@example.com"}
    notice = mails["xiaoming@example.com"]
    assert notice["Subject"] == "Someone tried to register with your email address"
    text = notice.get_content()
    assert "Dear Owner Name" in text and "nothing was created or changed" in text
    assert "http://localhost/login" in text and "http://localhost/password/forgot" in text
    assert "/password/reset/" not in text and "/register/confirm/" not in text
    assert "/register/confirm/" in mails["someone.new@example.com"].get_content()


def _counting(function, calls, name):
    def counted(*args, **kwargs):
        calls.append(name)
        return function(*args, **kwargs)

    return counted


def test_a_second_registration_of_a_pending_address_replaces_the_first(client, outbox):
    """Someone registered the address first (their password, a newsletter tick); its owner registers too:
    the first link dies, the owner's own details and answers count, and only their password opens it."""
    client.post(
        "/register",
        data=dict(
            GOOD,
            name="Someone Else",
            password="intruders-password",
            confirm="intruders-password",
            consent_marketing_email="y",
        ),
    )
    client.post("/register", data=GOOD)
    first, second = [_confirm_link(mail) for mail in outbox()]
    assert client.get(first).status_code == 400
    assert client.get(second).status_code == 303
    assert client.post("/register/confirm", data={"password": "intruders-password"}).status_code == 422
    assert client.post("/register/confirm", data={"password": "a-long-password"}).status_code == 303
    user = User.get(User.email == "xiaoming@example.com")
    assert user.name == user.client.name == "王小明" and user.is_active
    assert Consent.select().count() == 0 and User.select().count() == 1


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("email", "not-an-email", "Enter a valid email address."),
        ("password", "short", "Use 10 to 128 characters."),
        ("confirm", "different-password", "The two passwords do not match."),
        ("sex", "other", "Not a valid choice"),
        ("birth_date", "2090-01-01", "Enter a real date of birth."),
        ("birth_date", "yesterday", "Not a valid date value."),
        ("phone", "call me", "Enter a phone number"),
        ("name", "x" * 101, "Use at most 100 characters."),
        ("name", "", "This field is required."),
    ],
)
def test_register_rejects_bad_input_next_to_the_field(client, field, value, message):
    data = dict(GOOD, **{field: value})
    response = client.post("/register", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert f'id="{field}-error"' in html
    assert [(u.id, u.email) for u in User.select()] == [] and Client.select().count() == 0


def _reset_link(mail):
    return re.search(r"http://localhost(/password/reset/\S+)", mail.get_content()).group(1)


def test_password_reset_journey_is_single_use_and_ends_sessions(app, client, make_user, outbox, login):
    user = make_user("physician", email="doc@example.com")
    other = app.test_client()
    login(user, http=other)
    response = client.post("/password/forgot", data={"email": "doc@example.com"})
    assert response.status_code == 303
    link = _reset_link(outbox()[-1])
    traded = client.get(link)  # the token leaves the address at once: kept in the session
    assert traded.status_code == 303 and traded.headers["Location"] == "/password/reset"
    page = client.get("/password/reset")
    assert page.status_code == 200 and link.rsplit("/", 1)[1] not in page.get_data(as_text=True)
    response = client.post("/password/reset", data={"password": "brand-new-password", "confirm": "brand-new-password"})
    assert response.status_code == 303
    assert other.get("/exam").status_code == 302  # every session ended
    assert LoginSession.select().count() == 0
    assert client.post("/login", data={"email": "doc@example.com", "password": "brand-new-password"}).status_code == 303
    again = client.get(link)
    assert again.status_code == 400 and "invalid or has expired" in again.get_data(as_text=True)
    assert again.headers["Referrer-Policy"] == "no-referrer"  # the page at the token address passes it on to nobody
    replay = client.post("/password/reset", data={"password": "another-password-1", "confirm": "another-password-1"})
    assert replay.status_code == 400 and "invalid or has expired" in replay.get_data(as_text=True)
    assert passwords.verify_password(User.get_by_id(user.id).password_hash, "brand-new-password")


def test_forgot_password_answers_the_same_for_unknown_email(client, make_user, outbox):
    make_user("admin", email="known@example.com")
    known = client.post("/password/forgot", data={"email": "known@example.com"}, follow_redirects=True)
    unknown = client.post("/password/forgot", data={"email": "unknown@example.com"}, follow_redirects=True)
    assert factories.page_shape(known) == factories.page_shape(unknown)
    assert len(outbox()) == 1


def test_tampered_or_expired_reset_link_is_refused(app, client, make_user):
    import datetime

    from checkup.services.accounts import accounts

    user = make_user("admin")
    token = accounts.issue_reset_token(user)
    assert client.get(f"/password/reset/{token}x").status_code == 400
    assert client.get("/password/reset").status_code == 400  # nothing was kept
    assert client.get(f"/password/reset/{token}").status_code == 303
    PasswordResetToken.update(expires_at=datetime.datetime(2000, 1, 1)).execute()
    assert client.get(f"/password/reset/{token}").status_code == 400
    assert client.get("/password/reset").status_code == 400  # the kept token is checked again


def test_profile_update_and_validation(client, make_user, login):
    user = make_user("client")
    login(user)
    response = client.post("/account", data={"name": "新名字", "phone": "13912345678", "locale": "zh"})
    assert response.status_code == 303
    user = User.get_by_id(user.id)
    assert user.name == "新名字" and user.locale == "zh" and user.client.name == "新名字"
    bad = client.post("/account", data={"name": "", "phone": "abc"})
    assert bad.status_code == 422
    assert User.get_by_id(user.id).name == "新名字"


def test_change_password_needs_current_one_and_keeps_this_session(app, client, make_user, login):
    user = make_user("scheduler")
    login(user)
    other = app.test_client()
    login(user, http=other)
    wrong = client.post(
        "/account/password",
        data={
            "pw-current_password": "wrong-one-here",
            "pw-new_password": "new-password-123",
            "pw-confirm": "new-password-123",
        },
    )
    assert wrong.status_code == 422 and "current password is not correct" in wrong.get_data(as_text=True)
    ok = client.post(
        "/account/password",
        data={"pw-current_password": PASSWORD, "pw-new_password": "new-password-123", "pw-confirm": "new-password-123"},
    )
    assert ok.status_code == 303
    assert client.get("/desk").status_code == 200
    assert other.get("/desk").status_code == 302
    assert AuditEvent.select().where(AuditEvent.action == "account.password_changed").count() == 1


# --- only the newest emailed link works -------------------------------------------------------------------


def _link_works(http, link):
    """Whether an emailed link still opens its form (400: invalid or expired)."""
    status = http.get(link, follow_redirects=True).status_code
    assert status in (200, 400), status
    return status == 200


def test_asking_for_a_new_reset_link_ends_the_earlier_one(client, make_user, outbox):
    make_user("physician", email="doc@example.com")
    client.post("/password/forgot", data={"email": "doc@example.com"})
    client.post("/password/forgot", data={"email": "doc@example.com"})
    first, second = [_reset_link(mail) for mail in outbox()]
    assert not _link_works(client, first)
    assert _link_works(client, second)
    assert PasswordResetToken.select().count() == 1


def test_using_a_link_ends_every_other_link(app, client, make_user):
    from checkup.services.accounts import accounts

    user = make_user("physician", email="doc@example.com")
    older = f"/password/reset/{accounts.issue_reset_token(user)}"
    kept = PasswordResetToken.get(PasswordResetToken.user == user.id)
    newer = f"/password/reset/{accounts.issue_reset_token(user)}"
    # two live links side by side, as a database from before this rule may hold them
    PasswordResetToken.create(nonce_hash=kept.nonce_hash, user=user, expires_at=kept.expires_at)
    assert _link_works(app.test_client(), older)
    client.get(newer, follow_redirects=True)
    used = client.post("/password/reset", data={"password": "brand-new-password", "confirm": "brand-new-password"})
    assert used.status_code == 303
    assert not _link_works(app.test_client(), older)
    assert PasswordResetToken.select().count() == 0


def test_changing_the_password_ends_emailed_links(client, make_user, login, outbox):
    user = make_user("scheduler", email="desk@example.com")
    client.post("/password/forgot", data={"email": "desk@example.com"})
    link = _reset_link(outbox()[-1])
    login(user)
    changed = client.post(
        "/account/password",
        data={"pw-current_password": PASSWORD, "pw-new_password": "new-password-123", "pw-confirm": "new-password-123"},
    )
    assert changed.status_code == 303
    client.post("/logout")
    assert not _link_works(client, link)
    assert PasswordResetToken.select().where(PasswordResetToken.user == user.id).count() == 0
