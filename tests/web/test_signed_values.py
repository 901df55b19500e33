"""The session cookie verified once per value and the CSRF token signed once per session (web/signed_values.py):
the same answers as Flask and Flask-WTF give, without their HMAC work on every request."""

import pytest

from checkup.web import signed_values
from tests.conftest import PASSWORD
from tests.web.conftest import csrf_token_in


def _cookie(http, app):
    return http.get_cookie(app.config["SESSION_COOKIE_NAME"]).value


def _sign_in(http, user):
    token = csrf_token_in(http.get("/login").get_data(as_text=True))
    response = http.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303


def test_a_verified_cookie_is_answered_from_what_it_held(real_app, make_user, monkeypatch):
    user = make_user("admin")
    http = real_app.test_client()
    _sign_in(http, user)
    assert http.get("/account").status_code == 200  # the first page after sign-in may change the cookie
    assert http.get("/account").status_code == 200  # this one opens a cookie that stays
    interface = real_app.session_interface
    assert any(value == _cookie(http, real_app) for (_keys, value) in interface._opened)

    def refuse(*args, **kwargs):
        raise AssertionError("a kept cookie was verified again")

    monkeypatch.setattr(type(interface.get_signing_serializer(real_app)), "loads", refuse)
    page = http.get("/account")
    assert page.status_code == 200 and user.email in page.get_data(as_text=True)


def test_a_changed_cookie_is_refused_and_never_kept(real_app, make_user):
    user = make_user("admin")
    http = real_app.test_client()
    _sign_in(http, user)
    name = real_app.config["SESSION_COOKIE_NAME"]
    forged = _cookie(http, real_app)[:-2] + ("AA" if not _cookie(http, real_app).endswith("AA") else "BB")
    http.set_cookie(name, forged)
    response = http.get("/account")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    assert all(value != forged for (_keys, value) in real_app.session_interface._opened)


def test_a_kept_cookie_expires_when_flasks_own_check_says_so(real_app, make_user, monkeypatch):
    user = make_user("admin")
    http = real_app.test_client()
    _sign_in(http, user)
    assert http.get("/account").status_code == 200  # kept now
    lifetime = real_app.permanent_session_lifetime.total_seconds()
    later = signed_values.time.time() + lifetime + 5
    monkeypatch.setattr(signed_values.time, "time", lambda: later)  # itsdangerous reads the same clock
    response = http.get("/account")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_a_session_holding_a_list_is_not_kept(real_app):
    with real_app.test_request_context("/"):
        interface = real_app.session_interface
        cookie = interface.get_signing_serializer(real_app).dumps({"_flashes": [["info", "Saved."]], "x": "1"})
    http = real_app.test_client()
    http.set_cookie(real_app.config["SESSION_COOKIE_NAME"], cookie)
    http.get("/login")
    assert all(value != cookie for (_keys, value) in interface._opened)


def test_each_session_keeps_its_own_csrf_token_and_it_still_works(real_app, make_user, monkeypatch):
    user = make_user("admin")
    first, second = real_app.test_client(), real_app.test_client()
    tokens = [csrf_token_in(first.get("/login").get_data(as_text=True))]
    later = signed_values.time.time() + 10  # a token signed now would carry another timestamp
    monkeypatch.setattr(signed_values.time, "time", lambda: later)
    tokens += [csrf_token_in(first.get("/login").get_data(as_text=True)) for _ in range(2)]
    assert len(set(tokens)) == 1  # signed once, then the kept one
    other = csrf_token_in(second.get("/login").get_data(as_text=True))
    assert other != tokens[0]
    # the other session's token is refused here; this session's own kept token signs in
    refused = first.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": other})
    assert refused.status_code == 400
    signed_in = first.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": tokens[0]})
    assert signed_in.status_code == 303


@pytest.mark.parametrize("limit", [3600])
def test_a_token_with_a_time_limit_is_signed_afresh(real_app, limit, monkeypatch):
    monkeypatch.setitem(real_app.config, "WTF_CSRF_TIME_LIMIT", limit)
    http = real_app.test_client()
    first = csrf_token_in(http.get("/login").get_data(as_text=True))
    later = signed_values.time.time() + 2
    monkeypatch.setattr(signed_values.time, "time", lambda: later)
    assert csrf_token_in(http.get("/login").get_data(as_text=True)) != first


def test_the_kept_values_stay_bounded(monkeypatch):
    monkeypatch.setattr(signed_values, "MAX_KEPT", 3)
    kept = {}
    for number in range(10):
        signed_values._keep(kept, number, str(number))
    assert len(kept) <= 3 and 9 in kept
