"""Registration, password reset, profile and password change."""
import re

import pytest

from checkup.models import AuditEvent, Client, LoginSession, PasswordResetToken, User
from checkup.services import passwords
from tests import factories
from tests.conftest import PASSWORD

pytestmark = pytest.mark.both_dbs

GOOD = {"name": "王小明", "email": "Xiaoming@Example.com", "phone": "13800138000", "sex": "male",
        "birth_date": "1990-02-03", "password": "a-long-password", "confirm": "a-long-password"}


def test_register_creates_client_record_account_and_welcome_mail(client, outbox):
    response = client.post("/register", data=GOOD)
    assert response.status_code == 303 and response.headers["Location"] == "/me"
    user = User.get(User.email == "xiaoming@example.com")
    assert user.role_names == {"client"}
    assert user.client.name == "王小明" and user.client.sex == "male"
    assert user.password_hash.startswith("$argon2id$")
    assert client.get("/me").status_code == 200
    [mail] = outbox()
    assert mail["To"] == "xiaoming@example.com" and "Welcome" in mail["Subject"]


@pytest.mark.parametrize("field,value,message", [
    ("email", "not-an-email", "Enter a valid email address."),
    ("password", "short", "Use 10 to 128 characters."),
    ("confirm", "different-password", "The two passwords do not match."),
    ("sex", "other", "Not a valid choice"),
    ("birth_date", "2090-01-01", "Enter a real date of birth."),
    ("birth_date", "yesterday", "Not a valid date value."),
    ("phone", "call me", "Enter a phone number"),
    ("name", "x" * 101, "Use at most 100 characters."),
    ("name", "", "This field is required."),
])
def test_register_rejects_bad_input_next_to_the_field(client, field, value, message):
    data = dict(GOOD, **{field: value})
    response = client.post("/register", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert f'id="{field}-error"' in html
    assert [(u.id, u.email) for u in User.select()] == [] and Client.select().count() == 0


def test_register_refuses_a_taken_email(client, make_user):
    make_user("client", email="xiaoming@example.com")
    response = client.post("/register", data=GOOD)
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)
    assert User.select().count() == 1


def _reset_link(mail):
    return re.search(r"http://localhost(/password/reset/\S+)", mail.get_content()).group(1)


def test_password_reset_journey_is_single_use_and_ends_sessions(app, client, make_user, outbox, login):
    user = make_user("physician", email="doc@example.com")
    other = app.test_client()
    login(user, http=other)
    response = client.post("/password/forgot", data={"email": "doc@example.com"})
    assert response.status_code == 303
    link = _reset_link(outbox()[-1])
    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": "brand-new-password", "confirm": "brand-new-password"})
    assert response.status_code == 303
    assert other.get("/exam").status_code == 302  # every session ended
    assert LoginSession.select().count() == 0
    assert client.post("/login", data={"email": "doc@example.com", "password": "brand-new-password"}).status_code == 303
    again = client.post(link, data={"password": "another-password-1", "confirm": "another-password-1"})
    assert again.status_code == 400
    assert "invalid or has expired" in again.get_data(as_text=True)
    assert passwords.verify_password(User.get_by_id(user.id).password_hash, "brand-new-password")


def test_forgot_password_answers_the_same_for_unknown_email(client, make_user, outbox):
    make_user("admin", email="known@example.com")
    known = client.post("/password/forgot", data={"email": "known@example.com"}, follow_redirects=True)
    unknown = client.post("/password/forgot", data={"email": "unknown@example.com"}, follow_redirects=True)
    assert factories.page_shape(known) == factories.page_shape(unknown)
    assert len(outbox()) == 1


def test_tampered_or_expired_reset_link_is_refused(app, client, make_user):
    import datetime

    from checkup.services import accounts

    user = make_user("admin")
    token = accounts.issue_reset_token(user)
    assert client.get(f"/password/reset/{token}x").status_code == 400
    PasswordResetToken.update(expires_at=datetime.datetime(2000, 1, 1)).execute()
    assert client.get(f"/password/reset/{token}").status_code == 400


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
    wrong = client.post("/account/password", data={"pw-current_password": "wrong-one-here",
                                                   "pw-new_password": "new-password-123",
                                                   "pw-confirm": "new-password-123"})
    assert wrong.status_code == 422 and "current password is not correct" in wrong.get_data(as_text=True)
    ok = client.post("/account/password", data={"pw-current_password": PASSWORD, "pw-new_password": "new-password-123",
                                                "pw-confirm": "new-password-123"})
    assert ok.status_code == 303
    assert client.get("/desk").status_code == 200
    assert other.get("/desk").status_code == 302
    assert AuditEvent.select().where(AuditEvent.action == "account.password_changed").count() == 1
