"""Signing in and out: sessions that really end, rotation, generic errors, safe redirects, htmx walls."""

import pytest

from checkup.models import AuditEvent, LoginSession, User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.both_dbs


def test_login_lands_on_role_home_and_is_audited(client, make_user, login):
    user = make_user("counselor")
    response = login(user)
    assert response.headers["Location"] == "/care"
    assert client.get("/care").status_code == 200
    assert AuditEvent.select().where(AuditEvent.action == "auth.login", AuditEvent.user == user.id).count() == 1


def test_unknown_email_and_wrong_password_get_the_same_message(client, make_user):
    make_user("admin", email="known@example.com")
    wrong = client.post("/login", data={"email": "known@example.com", "password": "nope-nope-nope"})
    unknown = client.post("/login", data={"email": "nobody@example.com", "password": "nope-nope-nope"})
    assert wrong.status_code == unknown.status_code == 422
    message = "The email or password is not correct."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_email_is_case_insensitive(client, make_user, login):
    make_user("physician", email="doc@example.com")
    assert login("DOC@Example.com").status_code == 303


def test_inactive_account_cannot_sign_in(client, make_user):
    make_user("admin", email="gone@example.com", is_active=False)
    response = client.post("/login", data={"email": "gone@example.com", "password": PASSWORD})
    assert response.status_code == 422


def test_logout_kills_a_copied_cookie(app, make_user):
    user = make_user("admin")
    browser = app.test_client()
    browser.post("/login", data={"email": user.email, "password": PASSWORD})
    cookie = browser.get_cookie("checkup_session").value
    thief = app.test_client()
    thief.set_cookie("checkup_session", cookie)
    assert thief.get("/admin").status_code == 200
    browser.post("/logout")
    assert LoginSession.select().where(LoginSession.user == user.id).count() == 0
    response = thief.get("/admin")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_session_cookie_changes_at_login(app, make_user):
    user = make_user("admin")
    browser = app.test_client()
    browser.get("/login")
    browser.post("/language", data={"locale": "zh", "next": "/login"})
    before = browser.get_cookie("checkup_session").value
    browser.post("/login", data={"email": user.email, "password": PASSWORD})
    after = browser.get_cookie("checkup_session").value
    assert before != after
    assert LoginSession.select().count() == 1


def test_deactivation_ends_sessions(app, make_user, login):
    admin = make_user("admin")
    staff = make_user("scheduler")
    staff_browser = app.test_client()
    login(staff, http=staff_browser)
    assert staff_browser.get("/desk").status_code == 200
    admin_browser = app.test_client()
    login(admin, http=admin_browser)
    response = admin_browser.post(f"/admin/accounts/{staff.id}/active", data={"active": "0"})
    assert response.status_code == 303
    assert staff_browser.get("/desk").status_code == 302
    assert User.get_by_id(staff.id).is_active is False


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "http:/evil",
        "https:evil.example",
    ],
)
def test_next_only_redirects_to_local_paths(client, make_user, target):
    user = make_user("admin")
    response = client.post("/login?next=" + target, data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin"


def test_next_local_path_is_followed(client, make_user):
    user = make_user("admin")
    response = client.post("/login?next=/admin/audit", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/admin/audit"


def test_anonymous_page_request_redirects_to_login_with_next(client):
    response = client.get("/admin/audit?page=2")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_htmx_request_at_auth_wall_gets_hx_redirect(client):
    response = client.get(
        "/admin/accounts?q=x", headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/admin/accounts"}
    )
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")
    assert response.get_data() == b""


def test_wrong_role_is_forbidden(client, make_user, login):
    login(make_user("client"))
    response = client.get("/admin")
    assert response.status_code == 403
    assert "does not have access" in response.get_data(as_text=True)


def test_session_cookie_flags(client, make_user):
    user = make_user("admin")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = client.post("/login", data={"email": user.email, "password": PASSWORD}, base_url="https://localhost")
    assert "Secure" in secure.headers.get("Set-Cookie", "Secure")


def test_security_headers_and_vary(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "HX-Request" in response.headers["Vary"]
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"


def test_nothing_but_static_files_may_be_cached(client, make_user, login):
    """Pages, PDFs, spreadsheets and calendar files can hold personal data: no cache keeps them."""
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    assert client.get("/healthz").headers["Cache-Control"] == "no-store"
    login(make_user("admin"))
    assert client.get("/admin/management.xlsx").headers["Cache-Control"] == "no-store"
    static = client.get("/static/css/app.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")


def test_huge_ids_and_nul_bytes_are_clean_4xx(client, make_user, login):
    login(make_user("admin"))
    assert client.get("/admin/accounts/99999999999999999999").status_code == 404
    assert client.get("/admin/accounts?q=a%00b").status_code == 400
    assert client.post("/login", data={"email": "a\x00@example.com", "password": "x"}).status_code == 400


# --- idle logins end ----------------------------------------------------------------------------------


def move_clock(monkeypatch, **delta):
    """From now on the sessions' clock reads ``delta`` later than it did (calls add up)."""
    import datetime

    from checkup.services.accounts import sessions

    real = sessions.utcnow
    shift = datetime.timedelta(**delta)
    monkeypatch.setattr(sessions, "utcnow", lambda: real() + shift)


@pytest.mark.parametrize("role, home, minutes", [("scheduler", "/desk", 30), ("hr", "/hr", 30), ("client", "/me", 120)])
def test_an_idle_login_ends_and_says_why(client, make_user, login, monkeypatch, role, home, minutes):
    user = make_user(role)
    login(user)
    move_clock(monkeypatch, minutes=minutes - 1)
    assert client.get(home).status_code == 200  # activity: the idle time starts again
    move_clock(monkeypatch, minutes=minutes - 1)
    assert client.get(home).status_code == 200
    move_clock(monkeypatch, minutes=minutes + 1, seconds=1)
    response = client.get(home)
    assert response.status_code == 302 and response.headers["Location"] == f"/login?next={home}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"You were signed out after {minutes} minutes without activity." in page
    assert LoginSession.select().where(LoginSession.user == user.id).count() == 0
    assert AuditEvent.select().where(AuditEvent.action == "auth.idle_timeout", AuditEvent.user == user.id).count() == 1
    again = client.get(home)  # still anonymous, and the notice is not repeated
    assert again.status_code == 302
    assert "without activity" not in client.get(again.headers["Location"]).get_data(as_text=True)


def test_the_idle_limit_comes_from_the_settings_and_an_htmx_request_is_sent_to_sign_in(
    app, client, make_user, login, monkeypatch
):
    app.config["IDLE_MINUTES_STAFF"] = 10
    login(make_user("physician"))
    move_clock(monkeypatch, minutes=11, seconds=1)
    response = client.get("/exam", headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/exam"})
    assert response.status_code == 401 and response.headers["HX-Redirect"] == "/login?next=/exam"
    assert "You were signed out after 10 minutes without activity." in client.get("/login").get_data(as_text=True)
    app.config["IDLE_MINUTES_STAFF"] = 1  # too short to warn two minutes before: 5 is the least
    login(make_user("physician"))
    move_clock(monkeypatch, minutes=4)
    assert client.get("/exam").status_code == 200


def test_last_seen_is_written_once_a_minute_at_most(client, make_user, login, count_queries, monkeypatch):
    user = make_user("counselor")
    login(user)
    signed_in_at = LoginSession.get(LoginSession.user == user.id).last_seen_at
    with count_queries() as quick:
        assert client.get("/care").status_code == 200
    assert not [q for q in quick.queries if q.startswith('UPDATE "login_session"')]
    move_clock(monkeypatch, minutes=2)
    assert client.get("/care").status_code == 200
    moved = LoginSession.get(LoginSession.user == user.id).last_seen_at
    assert 119 <= (moved - signed_in_at).total_seconds() <= 125


def test_a_page_polling_on_a_timer_does_not_keep_the_login_alive(client, make_user, login, monkeypatch):
    """An exam station's worklist refreshes itself every 30 s: nobody may be at the screen."""
    user = make_user("physician")
    login(user)
    signed_in_at = LoginSession.get(LoginSession.user == user.id).last_seen_at
    poll = {"HX-Request": "true", "X-Checkup-Background": "1"}
    for _minute in range(30):
        move_clock(monkeypatch, minutes=1)
        assert client.get("/exam", headers=poll).status_code == 200
    assert LoginSession.get(LoginSession.user == user.id).last_seen_at == signed_in_at
    move_clock(monkeypatch, minutes=1, seconds=1)
    assert client.get("/exam", headers=poll).status_code == 401  # htmx is sent to the sign-in page


def test_signed_in_pages_carry_the_idle_warning_without_inline_script(client, make_user, login):
    import re

    anonymous = client.get("/login").get_data(as_text=True)
    assert "idle-warning" not in anonymous and "idle.js" not in anonymous
    login(make_user("scheduler"))
    html = client.get("/desk").get_data(as_text=True)
    box = re.search(r'<div id="idle-warning"[^>]*>', html).group(0)
    assert 'role="alert"' in box and 'data-idle-seconds="1800"' in box
    assert 'data-keepalive-url="/session/keepalive"' in box and "data-csrf-token=" in box
    assert re.search(
        r'<template id="idle-warning-content">.*You will be signed out in 2 minutes without '
        r'activity\..*<button type="button">Stay signed in</button>',
        html,
        re.S,
    )
    scripts = re.findall(r"<script([^>]*)>", html)
    assert ' src="/static/js/idle.js" defer' in scripts
    assert all("src=" in attrs for attrs in scripts)  # CSP script-src 'self': nothing inline
    assert client.get("/static/js/idle.js").status_code == 200


def test_stay_signed_in_starts_the_idle_time_again(app, client, make_user, monkeypatch):
    import datetime
    import re

    from checkup.models.base import utcnow

    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user("physician")
    form = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": form.group(1)})
    assert response.status_code == 303
    page = client.get("/exam").get_data(as_text=True)
    csrf = re.search(r'data-csrf-token="([^"]+)"', page).group(1)
    move_clock(monkeypatch, minutes=28)
    kept = client.post("/session/keepalive", headers={"X-CSRFToken": csrf})  # what the button sends
    assert kept.status_code == 204 and kept.get_data() == b""
    seen = LoginSession.get(LoginSession.user == user.id).last_seen_at
    assert abs(seen - (utcnow() + datetime.timedelta(minutes=28))) < datetime.timedelta(seconds=5)
    move_clock(monkeypatch, minutes=28)  # 56 minutes after the page, 28 after the button
    assert client.get("/exam").status_code == 200
    assert client.post("/session/keepalive").status_code == 400  # CSRF-protected


def test_keepalive_needs_a_login(client):
    response = client.post("/session/keepalive")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
