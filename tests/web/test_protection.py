"""CSRF on every form and htmx request; login throttling per account and per address."""

import re

import pytest

from checkup import create_app
from checkup.models import User
from tests.conftest import PASSWORD, FreshContextClient, base_config


@pytest.fixture
def real_app(app, tmp_path):
    """The same database, with CSRF and rate limits on as in production."""
    real = create_app(
        base_config(
            tmp_path,
            DATABASE_URL=app.config["DATABASE_URL"],
            WTF_CSRF_ENABLED=True,
            RATELIMIT_ENABLED=True,
            LOGIN_LIMIT_PER_ACCOUNT="3/minute",
            LOGIN_LIMIT_PER_IP="6/minute",
            RATELIMIT_STORAGE_URI="memory://",
        )
    )
    real.test_client_class = FreshContextClient
    with real.app_context():
        yield real


def _token(html):
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def test_form_without_csrf_token_is_refused_and_changes_nothing(real_app, make_user):
    user = make_user("admin")
    http = real_app.test_client()
    response = http.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "form has expired" in response.get_data(as_text=True)


def test_form_with_token_works_and_htmx_header_token_works(real_app, make_user):
    user = make_user("admin")
    http = real_app.test_client()
    token = _token(http.get("/login").get_data(as_text=True))
    assert http.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}).status_code == 303
    page = http.get("/admin/accounts").get_data(as_text=True)
    header_token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    assert http.post("/language", data={"locale": "zh"}).status_code == 400
    response = http.post(
        "/language", data={"locale": "zh"}, headers={"X-CSRFToken": header_token, "HX-Request": "true"}
    )
    assert response.status_code == 303
    assert User.get_by_id(user.id).locale == "zh"


def test_login_is_throttled_per_account(real_app, make_user):
    user = make_user("admin")
    http = real_app.test_client()
    token = _token(http.get("/login").get_data(as_text=True))
    for _ in range(3):
        assert (
            http.post(
                "/login", data={"email": user.email, "password": "wrong-wrong-wrong", "csrf_token": token}
            ).status_code
            == 422
        )
    blocked = http.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)
    other = make_user("admin", email="other@example.com")
    assert (
        http.post("/login", data={"email": other.email, "password": PASSWORD, "csrf_token": token}).status_code == 303
    )


def test_login_is_throttled_per_address(real_app, make_user):
    http = real_app.test_client()
    token = _token(http.get("/login").get_data(as_text=True))
    statuses = [
        http.post(
            "/login", data={"email": f"u{i}@example.com", "password": "wrong-wrong-wrong", "csrf_token": token}
        ).status_code
        for i in range(7)
    ]
    assert statuses[:6] == [422] * 6 and statuses[6] == 429


def test_user_text_inside_a_translated_message_is_escaped(client, make_user, login):
    """An unknown add-on code comes back inside a lazy (translated) message: it must be escaped."""
    from tests.booking_helpers import Center

    Center()
    login(make_user("client"))
    html = client.get("/me/book/BASIC?addons=%3Cimg%20src=x%20onerror=alert(1)%3E").get_data(as_text=True)
    assert "<img src=x" not in html
    assert "&lt;img src=x" in html
