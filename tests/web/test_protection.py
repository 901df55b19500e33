"""CSRF on every form and htmx request; login throttling per account and per address."""

import re

from checkup.models import User
from tests.conftest import PASSWORD
from tests.web.conftest import csrf_token_in


def test_form_without_csrf_token_is_refused_and_changes_nothing(real_app, make_user):
    user = make_user("admin")
    http = real_app.test_client()
    response = http.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "form has expired" in response.get_data(as_text=True)


def test_form_with_token_works_and_htmx_header_token_works(real_app, make_user):
    user = make_user("admin")
    http = real_app.test_client()
    token = csrf_token_in(http.get("/login").get_data(as_text=True))
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
    token = csrf_token_in(http.get("/login").get_data(as_text=True))
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
    token = csrf_token_in(http.get("/login").get_data(as_text=True))
    statuses = [
        http.post(
            "/login", data={"email": f"u{i}@example.com", "password": "wrong-wrong-wrong", "csrf_token": token}
        ).status_code
        for i in range(7)
    ]
    assert statuses[:6] == [422] * 6 and statuses[6] == 429


def test_limits_are_checked_by_their_routes_not_before_every_request(real_app, make_user):
    """Every limit decorates its route: Flask-Limiter's check before each request is left out (web/app.py), and
    the decorated routes still count (the two tests above); a page without a limit never touches the limiter."""
    from checkup.web.extensions import limiter

    assert limiter.enabled
    assert limiter._check_request_limit not in real_app.before_request_funcs.get(None, [])
    http = real_app.test_client()
    assert all(http.get("/healthz").status_code == 200 for _ in range(30))


def test_user_text_inside_a_translated_message_is_escaped(client, make_user, login):
    """An unknown add-on code comes back inside a lazy (translated) message: it must be escaped."""
    from tests.booking_helpers import Center

    Center()
    login(make_user("client"))
    html = client.get("/me/book/BASIC?addons=%3Cimg%20src=x%20onerror=alert(1)%3E").get_data(as_text=True)
    assert "<img src=x" not in html
    assert "&lt;img src=x" in html
