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


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
                                    "http:/evil", "https:evil.example"])
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
    response = client.get("/admin/accounts?q=x", headers={"HX-Request": "true",
                                                          "HX-Current-URL": "http://localhost/admin/accounts"})
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
